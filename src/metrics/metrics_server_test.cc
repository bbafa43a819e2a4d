#include "metrics/metrics_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

namespace keyward::metrics {
namespace {

class FixedCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    return {CounterFamily("kw_test_things_total", "things", 7), GaugeFamily("kw_test_level", "level", 3)};
  }
};

TEST(MetricsServer, ServesMetricsHealthAndReadiness) {
  auto registry = std::make_shared<prometheus::Registry>();
  prometheus::BuildCounter().Name("kw_test_requests_total").Help("requests").Register(*registry).Add({}).Increment(2);
  auto ms = MetricsServer::Start("127.0.0.1:0", {registry, std::make_shared<FixedCollector>()});
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  httplib::Client cli("127.0.0.1", (*ms)->port());
  cli.set_connection_timeout(std::chrono::seconds(5));
  cli.set_read_timeout(std::chrono::seconds(5));
  auto health = cli.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = cli.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  (*ms)->SetReady(true);
  ready = cli.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto m = cli.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("kw_test_requests_total 2"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("# TYPE kw_test_things_total counter"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("kw_test_things_total 7"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("kw_test_level 3"), std::string::npos) << m->body;
}

TEST(MetricsServer, RejectsBadAddresses) {
  EXPECT_FALSE(MetricsServer::Start("nonsense", {}).ok());
  EXPECT_FALSE(MetricsServer::Start("127.0.0.1:99999", {}).ok());
}

}  // namespace
}  // namespace keyward::metrics
