// Keyward client SDK (C++): store a backup secret in a Keyward vault and get it back with a
// password. The password never leaves the device (OPAQUE, RFC 9807); after max_attempts wrong
// guesses the vault destroys the secret. The client talks only to a vault whose fleet key its trust
// policy validates (pinned mode today: trust/pinned.h).
//
//   keyward::VaultClient::Config config;
//   config.vault_address = "vault.example:7443";
//   config.trust_policy_path = "trust.policy";
//   config.credentials = [](std::string_view user) { return MyAppServer::TokenFor(user); };
//   auto client = keyward::VaultClient::Create(std::move(config));
//   keyward::Outcome r = (*client)->Register("alice", password, secret, {.max_attempts = 10});
//   keyward::Outcome got = (*client)->Recover("alice", password);   // got.secret
//
// Every call returns an Outcome: a typed error kind (what the app should do), a message for humans,
// attempts remaining where the vault reported it, and the secret on a successful Recover.
//
// A fleet (docs/replication.md): give the members' addresses ("m1:7443,m2:7443,m3:7443" or
// Config::vault_addresses). Any member serves a call (followers relay it to the leader) and tells
// the client which member leads (trailing metadata `keyward-leader`); the client then sends its
// calls straight to the leader, and goes back to its configured members, in turn, when the
// leader stops answering. The hint only routes: whichever node answers must still prove the fleet
// key the trust policy validates.
//
// Ownership: a VaultClient owns its gRPC channels (one per address in use). Thread-safety: a
// VaultClient may be used from several threads at once (each call is independent).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/ksf.h"
#include "crypto/secret.h"

namespace keyward {

namespace trust {
class PinnedPolicy;
}

enum class ClientErrorKind {
  kOk = 0,
  kInvalidArgument,  // the caller's input is invalid (user id, secret size, max attempts...)
  kTrust,            // the vault's fleet key is not validated by the trust policy: do not proceed
  kWrongPassword,    // recovery failed; attempts_remaining says how many guesses are left
  kLocked,           // the record is destroyed (last attempt used) or was never registered
  kUnavailable,      // vault unreachable, shutting down or rate-limiting: retry later
  kRejected,         // the vault refused the request (bad account credential, invalid request,
                     // registering over an active record without authority...); see message
  kTampered,         // the vault's answer does not verify (e.g. success without a valid secret)
  kInternal,
};
const char* ClientErrorKindName(ClientErrorKind kind);

struct Outcome {
  ClientErrorKind kind = ClientErrorKind::kOk;
  std::string message;
  std::optional<uint32_t> attempts_remaining;
  crypto::SecretBytes secret;  // Recover: the secret on success
  // Recover (over-the-air mode): the record lives on a fleet the current bundle marks `retiring`.
  // The app should register the recovered secret again on an active fleet, e.g. at
  // reregister_endpoint (empty if the bundle lists no active fleet with an endpoint).
  bool fleet_retiring = false;
  std::string reregister_endpoint;
  // Over-the-air mode: something about trust the app should surface although the call went on,
  // e.g. "a policy update was refused, policy version N stays in force: rejected: <code>: ..." (a
  // node served a policy update that does not verify) or a log consistency check that fell back
  // to the offline rule because the log could not be reached. Empty if none.
  std::string trust_warning;
  bool ok() const { return kind == ClientErrorKind::kOk; }
};

struct RecordPolicy {
  uint32_t max_attempts = 10;  // 1..255
  // Register with the account-authority credential (Config::authority_credentials), which may
  // replace an ACTIVE record. Otherwise the user credential is used and an active record is
  // refused (kRejected): recover it and Delete(user, password) first.
  bool as_account_authority = false;
};

class VaultClient {
 public:
  struct Config {
    // "HOST:PORT", or the members of one fleet "HOST:PORT,HOST:PORT,..." (tried in this order).
    // Over-the-air trust matches the first address against the bundle's fleet endpoints.
    std::string vault_address;
    // More members of the same fleet (appended to those of vault_address).
    std::vector<std::string> vault_addresses;
    // Send calls to the member named by a member's leader hint (see above). false: always the
    // configured members (followers relay; the Recover stream falls back to the unary calls).
    bool follow_leader_hint = true;
    std::string trust_policy_path;          // pinned trust policy file (or set trust_policy_text)
    std::string trust_policy_text;
    // Over-the-air trust policies (signer/log/witness lines; docs/trust.md): the trust state file
    // (epoch and log high-water marks; created if missing, replaced atomically). Required then.
    std::string trust_state_path;
    // Over-the-air: when a new log checkpoint arrives, fetch a consistency proof from the log (the
    // URL of the policy's `log` line; bounded, trust/online_consistency.h) and refuse a split view;
    // if the log cannot be reached, the witness quorum vouches (Outcome::trust_warning says so).
    // false: the offline rule only.
    bool trust_online_consistency = true;
    std::string fleet_id;                   // which pinned fleet the vault belongs to; empty: the
                                            // policy's only fleet
    // The account credential (scope USER) for a user, from the app's server. Required.
    std::function<StatusOr<Bytes>(std::string_view user_id)> credentials;
    // Optional: an ACCOUNT-AUTHORITY credential for a user (the app server's own, rarely minted).
    // Needed only by DeleteAsAuthority and RecordPolicy::as_account_authority.
    std::function<StatusOr<Bytes>(std::string_view user_id)> authority_credentials;
    // Must match at registration and at every recovery.
    crypto::KsfConfig ksf = crypto::KsfConfig::Default();
    std::chrono::milliseconds call_timeout{10000};
    // Recover over the one-stream Vault.Recover call (KE1 -> KE2 -> KE3 -> result; the stream's
    // deadline is call_timeout, at most 60 s). A node that answers UNIMPLEMENTED is then asked
    // with RecoverStart + RecoverFinish, as it is when this is false.
    bool recover_stream = true;
  };

  static StatusOr<std::unique_ptr<VaultClient>> Create(Config config);
  ~VaultClient();

  // Registers `secret` (1..128 bytes) for `user_id` (1..256 bytes), in three phases (start,
  // upload, activate). attempts_remaining = the guesses allowed.
  Outcome Register(std::string_view user_id, const crypto::SecretBytes& password,
                   const crypto::SecretBytes& secret, RecordPolicy policy = {});
  // Recovers the secret. A wrong password is kWrongPassword with attempts_remaining; a destroyed
  // or unknown record is kLocked.
  Outcome Recover(std::string_view user_id, const crypto::SecretBytes& password);
  // Deletes the user's record after proving the password: a full recovery (counted and reset
  // like Recover; a wrong password is kWrongPassword and deletes nothing), then a Delete carrying
  // that session's proof. Needs only the user credential.
  Outcome Delete(std::string_view user_id, const crypto::SecretBytes& password);
  // Deletes the user's record without the password, with the account-authority credential.
  Outcome DeleteAsAuthority(std::string_view user_id);

  // The fleet key the trust policy validated for this vault.
  const std::array<uint8_t, 32>& fleet_key() const;
  // The address the next call will go to: a configured member, or the leader a member named.
  std::string current_address() const;

  struct Impl;

 private:
  explicit VaultClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keyward
