// `keyward fleet bench --engine async` (tools/keyward/fleet_bench_async.cc) against a real 3-member
// fleet (FleetFixture), short phases and few recoveries in flight:
//   - given every member (the leader not first), it finds the leader through the `keyward-leader`
//     hint, verifies every recovery (no failure, recoveries > 0) and reports its JSON fields, with
//     one and with two polling threads;
//   - it really verifies: a wrong recovery password, or an expected secret other than the
//     registered one, makes every recovery a failure and the exit code 6;
//   - first flights: prepared ones (the default) are taken in the order of each slot's users and
//     used once, a slot that runs out builds the rest live, and --first-flight live builds every
//     one live; the JSON counts each kind.
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <algorithm>

#include "fleet_fixture.h"

namespace keyward::testing {
namespace {

using namespace std::chrono_literals;

class FleetBenchTest : public FleetFixture {
 protected:
  void SetUp() override {
    FleetOptions options;
    options.make_clients = false;
    ASSERT_NO_FATAL_FAILURE(StartFleet(options));
    leader_ = WaitForLeader(10s);
    ASSERT_NE(leader_, -1) << "no leader after fleet init";
    ASSERT_TRUE(WaitAllVoters(15s)) << "members did not all become voters";
  }

  // `fleet bench` with every member, a follower first; returns its JSON if it exits with want_exit.
  std::optional<nlohmann::json> Bench(std::vector<std::string> extra, int want_exit) {
    std::string vaults;
    for (size_t k = 1; k <= 3; ++k) {
      vaults += (vaults.empty() ? "" : ",") + members_[(static_cast<size_t>(leader_) + k) % 3].client;
    }
    std::vector<std::string> args = {"fleet", "bench", "--vaults", vaults, "--trust", trust_policy_,
                                     "--app-key", app_key_path_, "--concurrency", "4", "--duration-ms", "300"};
    if (std::find(extra.begin(), extra.end(), "--users") == extra.end()) {
      args.insert(args.end(), {"--users", "4"});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto line = Cli(args, want_exit);
    if (!line.has_value()) return std::nullopt;
    auto json = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << "not JSON: " << *line;
    if (json.is_discarded()) return std::nullopt;
    return json;
  }

  int leader_ = -1;
};

TEST_F(FleetBenchTest, AsyncEngineVerifiesEveryRecoveryAndFindsTheLeader) {
  for (const char* threads : {"1", "2"}) {
    SCOPED_TRACE(std::string("threads ") + threads);
    auto json = Bench({"--engine", "async", "--threads", threads, "--user-prefix", std::string("ok") + threads + "-"}, 0);
    ASSERT_TRUE(json.has_value());
    EXPECT_EQ((*json)["engine"], "async");
    EXPECT_EQ((*json)["threads"], std::stoi(threads));
    EXPECT_EQ((*json)["failures"], 0);
    EXPECT_GT((*json)["recoveries"].get<int>(), 0);
    EXPECT_GT((*json)["per_s"].get<double>(), 0);
    EXPECT_GT((*json)["half_load_per_s"].get<double>(), 0);
    EXPECT_GT((*json)["client_us_per_recovery"].get<double>(), 0);
    for (const char* field : {"half_p99_ms", "nodes_cores", "vs_floor", "node_us_per_recovery", "floor_us"}) {
      EXPECT_TRUE(json->contains(field)) << field;
    }
    // The host's capacity around the full-load phase: one floor per online CPU, before and after.
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    for (const char* field : {"core_floors_us_before", "core_floors_us_after"}) {
      ASSERT_TRUE(json->contains(field) && (*json)[field].is_array()) << field;
      EXPECT_EQ((*json)[field].size(), static_cast<size_t>(cpus)) << field;
      for (const auto& us : (*json)[field]) EXPECT_GT(us.get<double>(), 0) << field;
    }
    EXPECT_GT((*json)["host_cores"].get<double>(), 0);
    EXPECT_LE((*json)["host_cores"].get<double>(), static_cast<double>(cpus));
    // The first member given was a follower: the workers moved to the leader it named (the one
    // of the start, or a later one if the leadership moved under a slow build, e.g. ASan).
    int now = Leader();
    std::string target = (*json)["target"];
    EXPECT_TRUE(target == members_[static_cast<size_t>(leader_)].client ||
                (now != -1 && target == members_[static_cast<size_t>(now)].client))
        << target;
  }
}

TEST_F(FleetBenchTest, FirstFlightsArePreparedInOrderOrBuiltLiveAndCounted) {
  // The default: enough prepared for the phase, none built live.
  auto prepared = Bench({"--user-prefix", "prep-"}, 0);
  ASSERT_TRUE(prepared.has_value());
  EXPECT_EQ((*prepared)["failures"], 0);
  EXPECT_EQ((*prepared)["first_flight"], "prepared");
  EXPECT_EQ((*prepared)["first_flights_live"], 0);
  EXPECT_GE((*prepared)["first_flights_prepared"].get<int>(), (*prepared)["recoveries"].get<int>());
  EXPECT_GT((*prepared)["prepare_us_per_flight"].get<double>(), 0);

  // Two users per slot (users 8, 4 in flight): each slot's prepared flights alternate between its
  // users, and one taken out of order fails its recovery. Prepared for 1 recovery/s, each slot
  // has 2; the rest are built live.
  auto short_pool = Bench({"--user-prefix", "short-", "--users", "8", "--prepare-rate", "1"}, 0);
  ASSERT_TRUE(short_pool.has_value());
  EXPECT_EQ((*short_pool)["failures"], 0) << (*short_pool).dump();
  EXPECT_EQ((*short_pool)["first_flights_prepared"], 8);
  EXPECT_EQ((*short_pool)["first_flights_live"].get<int>() + 8, (*short_pool)["recoveries"].get<int>())
      << "each recovery takes a prepared flight until its slot has none left";

  auto live = Bench({"--user-prefix", "live-", "--first-flight", "live"}, 0);
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ((*live)["failures"], 0);
  EXPECT_EQ((*live)["first_flight"], "live");
  EXPECT_EQ((*live)["first_flights_prepared"], 0);
  EXPECT_EQ((*live)["first_flights_live"], (*live)["recoveries"]);
}

TEST_F(FleetBenchTest, AsyncEngineCountsWrongPasswordsAndWrongSecretsAsFailures) {
  auto wrong_pw = Bench({"--engine", "async", "--user-prefix", "pw-", "--recover-password", "not the password"}, 6);
  ASSERT_TRUE(wrong_pw.has_value());
  // Every recovery of the measured phase failed (and the half-load phase's too).
  EXPECT_GT((*wrong_pw)["recoveries"].get<int>(), 0);
  EXPECT_GE((*wrong_pw)["failures"].get<int>(), (*wrong_pw)["recoveries"].get<int>());
  auto wrong_secret = Bench({"--engine", "async", "--user-prefix", "secret-", "--expect-secret", "another secret"}, 6);
  ASSERT_TRUE(wrong_secret.has_value());
  EXPECT_GT((*wrong_secret)["recoveries"].get<int>(), 0);
  EXPECT_GE((*wrong_secret)["failures"].get<int>(), (*wrong_secret)["recoveries"].get<int>());
}

}  // namespace
}  // namespace keyward::testing
