// Witness: the state and request handling of a C2SP tlog-witness (v1.0.0) witness, without HTTP.
//
// For each configured log (origin → trusted log keys) it keeps the latest cosigned (size, root) in
// STATE_DIR/<hex SHA-256(origin)>.state:
//
//   keyward-witness-state/v1\n
//   <origin>\n
//   <size>\n
//   <base64 root hash>\n
//
// AddCheckpoint() evaluates a request body with tlog::EvaluateAddCheckpoint and, on acceptance,
// persists the new state (write-temp + fsync + rename + fsync dir) under the log's lock BEFORE it
// signs, so the check and the update are atomic and a witness never cosigns a checkpoint
// inconsistent with one it cosigned before, across restarts (a crash after persisting and before
// answering only means one cosignature was never delivered).
//
// Thread-safety: AddCheckpoint is thread-safe; requests for one log are serialised by its mutex,
// different logs proceed in parallel.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/ed25519.h"
#include "tlog/cosignature.h"
#include "tlog/witness_check.h"

namespace keyward::witness {

struct WitnessResponse {
  int status = 0;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

class Witness {
 public:
  using Clock = std::function<uint64_t()>;  // POSIX seconds
  // `log_vkeys`: type-0x01 vkeys of the logs to witness (the origin is the key name; several keys
  // may share an origin). `name`: the witness's key name (its cosignatures carry it).
  static StatusOr<std::unique_ptr<Witness>> Open(const std::filesystem::path& state_dir,
                                                 const std::vector<std::string>& log_vkeys, std::string name,
                                                 std::shared_ptr<const crypto::Ed25519Signer> key,
                                                 Clock clock = nullptr);

  // POST /add-checkpoint body → the response the spec mandates.
  WitnessResponse AddCheckpoint(std::string_view body);

  // The type-0x04 vkey of this witness (for the log's policy file).
  std::string verifier_key() const { return cosigner_.VerifierKeyString(); }
  // Latest cosigned size of a log (0 if unknown), for tests and status pages.
  uint64_t CosignedSize(std::string_view origin) const;

 private:
  struct Slot {
    mutable std::mutex mu;
    std::string origin;
    std::filesystem::path path;
    tlog::WitnessedLog state;  // guarded by mu
  };
  Witness(tlog::Cosigner cosigner, Clock clock) : cosigner_(std::move(cosigner)), clock_(std::move(clock)) {}
  Status LoadState(Slot& slot);
  Status SaveState(const Slot& slot, uint64_t size, const tlog::Hash& root);

  tlog::Cosigner cosigner_;
  Clock clock_;
  std::map<std::string, std::unique_ptr<Slot>, std::less<>> logs_;  // immutable after Open
};

// Parses a state file (grammar above). InvalidArgument when malformed.
struct WitnessState {
  std::string origin;
  uint64_t size = 0;
  tlog::Hash root{};
};
StatusOr<WitnessState> ParseWitnessState(std::string_view text);
std::string FormatWitnessState(const WitnessState& state);

}  // namespace keyward::witness
