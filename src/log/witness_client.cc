#include "log/witness_client.h"

#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "log/http_util.h"
#include "tlog/checkpoint.h"
#include "tlog/witness_check.h"

namespace keyward::log {

WitnessCollector::WitnessCollector(tlog::Policy policy, uint64_t initial_size,
                                   std::chrono::milliseconds timeout)
    : policy_(std::move(policy)),
      timeout_(timeout),
      known_size_(policy_.witnesses().size(), initial_size),
      connections_(policy_.witnesses().size()) {}

WitnessCollector::~WitnessCollector() = default;

WitnessCollector::Answer WitnessCollector::AskOne(size_t w, const std::string& note, std::string_view body,
                                                  uint64_t size, const ProofFn& proof) {
  const auto& witness = policy_.witnesses()[w];
  Answer a;
  uint64_t old_size = std::min(known_size_[w], size);
  HttpOptions opts;
  opts.connect_timeout = timeout_;
  opts.read_timeout = timeout_;
  opts.max_response_bytes = 1 << 16;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto p = proof(old_size, size);
    if (!p.ok()) {
      a.error = p.status().ToString();
      return a;
    }
    tlog::AddCheckpointRequest req;
    req.old_size = old_size;
    req.proof = std::move(*p);
    req.checkpoint = note;
    if (!connections_[w]) {
      auto c = HttpConnection::Open(*witness.url, opts);
      if (!c.ok()) {
        a.error = c.status().message();
        return a;
      }
      connections_[w] = std::move(*c);
    }
    auto res = connections_[w]->Post("/add-checkpoint", tlog::FormatAddCheckpointRequest(req),
                                     "text/plain; charset=utf-8");
    if (!res.ok()) {
      connections_[w].reset();  // reconnect next time
      a.error = res.status().message();
      return a;
    }
    if (res->status == 409) {
      auto ws = tlog::ParseDecimalU64(res->body.substr(0, res->body.find('\n')));
      if (!ws.ok() || *ws > size || *ws == old_size) {
        a.error = "409 with unusable size \"" + res->body.substr(0, 24) + "\"";
        return a;
      }
      old_size = *ws;
      continue;
    }
    if (res->status != 200) {
      a.error = "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
      return a;
    }
    // The body is one or more signature lines; keep those that verify with the policy key.
    std::string_view rest = res->body;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) break;
      auto sig = tlog::ParseSignatureLine(rest.substr(0, nl));
      rest.remove_prefix(nl + 1);
      if (!sig.ok()) continue;
      if (sig->name == witness.verifier->name() && sig->key_id == witness.verifier->key_id() &&
          witness.verifier->Verify(body, sig->signature)) {
        a.cosignatures.push_back(std::move(*sig));
      }
    }
    if (a.cosignatures.empty()) {
      a.error = "200 without a valid cosignature for the policy key";
      return a;
    }
    a.ok = true;
    a.witness_size = size;
    return a;
  }
  a.error = "witness kept answering 409";
  return a;
}

StatusOr<std::string> WitnessCollector::Collect(const std::string& note, std::string_view body,
                                                uint64_t size, const ProofFn& proof) {
  const auto& ws = policy_.witnesses();
  std::vector<Answer> answers(ws.size());
  std::vector<std::thread> threads;
  for (size_t w = 0; w < ws.size(); ++w) {
    if (!ws[w].url) continue;
    threads.emplace_back([&, w] { answers[w] = AskOne(w, note, body, size, proof); });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> present;
  std::string lines;
  std::string report;
  for (size_t w = 0; w < ws.size(); ++w) {
    if (!ws[w].url) continue;
    if (answers[w].ok) {
      present.insert(ws[w].name);
      known_size_[w] = answers[w].witness_size;
      for (const auto& s : answers[w].cosignatures) lines += tlog::FormatSignatureLine(s);
    } else {
      spdlog::warn("event=witness_refused witness={} size={} error=\"{}\"", ws[w].name, size, answers[w].error);
      report += " " + ws[w].name + ": " + answers[w].error + ";";
    }
  }
  if (!policy_.QuorumSatisfied(present)) {
    return FailedPrecondition("witness quorum \"" + policy_.quorum() + "\" not reached for size " +
                              std::to_string(size) + ":" + report + " check the witnesses are up");
  }
  return lines;
}

}  // namespace keyward::log
