// Test-only: a VaultCore with in-memory keys and a minimal, independent client written directly
// against crypto/opaque.h and core/protocol_crypto.h (the real client is src/client/protocol.h;
// having two lets each check the other). Deterministic: everything draws from one seeded RNG.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "core/vault_core.h"
#include "crypto/opaque.h"
#include "crypto/random.h"

namespace keyward::core::testing {

struct Upload {
  UploadRequest request;
  Bytes activation_key;
};

struct ClientRecovery {
  RecoverStartResult start;
  Bytes ke3;
  std::optional<crypto::SecretBytes> session_key;  // set iff the client-side login verified
};

class CoreHarness {
 public:
  explicit CoreHarness(uint64_t seed, CoreConfig config = {});

  VaultCore& core() { return *core_; }
  crypto::Rng& rng() { return rng_; }
  const crypto::opaque::Options& options() const { return options_; }

  // Phase 1 + 2 inputs, built against the current registration epoch (or `epoch_override`).
  Upload MakeUpload(const std::string& user, const std::string& password, const std::string& secret,
                    uint8_t max_attempts = kDefaultMaxAttempts,
                    std::optional<uint64_t> epoch_override = std::nullopt);
  // Upload + activate; asserts both succeed.
  void Register(const std::string& user, const std::string& password, const std::string& secret,
                uint8_t max_attempts = kDefaultMaxAttempts);
  // KE1 -> KE2 -> client finish (decoy KE3 if it failed locally). Does not send KE3.
  StatusOr<ClientRecovery> StartRecovery(const std::string& user, const std::string& password);
  // Sends KE3; on success decrypts the secret into *secret.
  StatusOr<RecoverFinishResult> Finish(const std::string& user, const ClientRecovery& r,
                                       std::string* secret = nullptr);
  // Both steps.
  StatusOr<RecoverFinishResult> Recover(const std::string& user, const std::string& password,
                                        std::string* secret = nullptr);

 private:
  crypto::DeterministicRng rng_;
  std::unique_ptr<crypto::opaque::InMemoryServerKeys> keys_;
  std::unique_ptr<VaultCore> core_;
  crypto::opaque::Options options_;
};

}  // namespace keyward::core::testing
