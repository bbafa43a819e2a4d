#include "logd/daemons.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log/http_util.h"

namespace keyward::testing {

std::string KeygenCli(const std::string& name, const std::filesystem::path& out, bool witness) {
  SubprocessOptions o;
  o.argv = {KeywardBinary(), "keygen", "--name", name, "--out", out.string()};
  if (witness) o.argv.push_back("--witness");
  auto p = Subprocess::Start(o);
  EXPECT_TRUE(p.ok());
  if (!p.ok()) return "";
  auto line = (*p)->ReadLine(std::chrono::seconds(20));
  EXPECT_TRUE(line.ok()) << "keygen printed nothing";
  auto st = (*p)->Wait(std::chrono::seconds(20));
  EXPECT_TRUE(st.ok() && WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
  return line.ok() ? *line : "";
}

Daemon StartDaemon(std::vector<std::string> args) {
  SubprocessOptions o;
  o.argv = {KeywardBinary()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.argv.push_back("--listen");
  o.argv.push_back("127.0.0.1:0");
  o.pipe_stdin = false;
  Daemon d;
  auto p = Subprocess::Start(o);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return d;
  d.proc = std::move(*p);
  auto rest = d.proc->WaitForLine("READY ", std::chrono::seconds(60));
  EXPECT_TRUE(rest.ok()) << "daemon did not print READY: " << rest.status().ToString();
  if (!rest.ok()) return d;
  auto j = nlohmann::json::parse(*rest, nullptr, false);
  EXPECT_FALSE(j.is_discarded());
  if (j.is_discarded()) return d;
  d.url = "http://" + j.value("listen", std::string());
  d.vkey = j.value("vkey", std::string());
  if (j.contains("metrics")) d.metrics_url = "http://" + j.value("metrics", std::string());
  return d;
}

AddResult AddEntry(const std::string& url, const std::string& entry, const std::string& token) {
  log::HttpOptions o;
  o.read_timeout = std::chrono::seconds(30);
  auto r = log::HttpPost(url + "/add", entry, "application/octet-stream", o, token);
  if (!r.ok()) return {0, r.status().ToString()};
  return {r->status, r->body};
}

uint64_t ProofIndex(const std::string& proof) {
  size_t p = proof.find("\nindex ");
  if (p == std::string::npos) return UINT64_MAX;
  return std::stoull(proof.substr(p + 7));
}

}  // namespace keyward::testing
