// WitnessCollector: the log's side of C2SP tlog-witness. Before a checkpoint is published it is
// sent to every witness of the log's tlog-policy that has a URL (`POST <url>/add-checkpoint`), in
// parallel; verified cosignatures are collected until every witness answered or timed out, and the
// checkpoint is publishable only if the policy quorum holds.
//
// Per witness it remembers the size the witness last cosigned (starting from the log's published
// size) and sends a consistency proof from there; a 409 answer carries the witness's real size and
// the request is retried once from it (tlog-witness "old" handling). A 422 or 403 is logged and
// counts as no cosignature: a log never works around a witness that refuses.
//
// Thread-safety: Collect() is called by the one integrator thread; it spawns one short-lived thread
// per witness and joins them before returning.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "log/http_util.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/policy.h"

namespace keyward::log {

class WitnessCollector {
 public:
  using ProofFn = std::function<StatusOr<std::vector<tlog::Hash>>(uint64_t old_size, uint64_t new_size)>;
  WitnessCollector(tlog::Policy policy, uint64_t initial_size,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  ~WitnessCollector();

  // `note` is the log-signed checkpoint for `size` records with body `body`. Returns the
  // cosignature lines ("— name base64\n"...) to append to the note; FailedPrecondition if the
  // policy quorum is not reached (the message lists each witness's answer).
  StatusOr<std::string> Collect(const std::string& note, std::string_view body, uint64_t size,
                                const ProofFn& proof);

  const tlog::Policy& policy() const { return policy_; }

 private:
  struct Answer {
    bool ok = false;
    std::vector<tlog::NoteSignature> cosignatures;
    std::string error;
    uint64_t witness_size = 0;
  };
  Answer AskOne(size_t witness, const std::string& note, std::string_view body, uint64_t size,
                const ProofFn& proof);

  tlog::Policy policy_;
  std::chrono::milliseconds timeout_;
  std::vector<uint64_t> known_size_;  // per policy witness; written only by Collect's caller thread
  // Per policy witness: a keep-alive connection, used by at most one of Collect's threads at a time.
  std::vector<std::unique_ptr<HttpConnection>> connections_;
};

}  // namespace keyward::log
