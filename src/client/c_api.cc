// The C API (include/keyward/keyward.h) over the C++ SDK (include/keyward/client.h). Nothing may
// throw across the extern "C" boundary: every entry point catches everything (a std::bad_alloc
// from gRPC or the standard library) and turns it into KEYWARD_INTERNAL.
//
// Credentials come with each call; the SDK asks for them through its credential callbacks, which
// the wrapper answers from thread-local slots set for the duration of that call (the SDK calls
// them synchronously on the calling thread).
#include "keyward/keyward.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "keyward/client.h"

struct keyward_client {
  std::unique_ptr<keyward::VaultClient> sdk;
  std::string vault_address;
  std::string trust_policy_text;
  std::string trust_state_path;  // over-the-air policies
  std::string fleet_id;
};

namespace {

using keyward::ClientErrorKind;

thread_local std::string g_error;
thread_local keyward::ByteSpan g_credential;
thread_local keyward::ByteSpan g_authority_credential;

keyward_status StatusOf(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::kOk: return KEYWARD_OK;
    case ClientErrorKind::kInvalidArgument: return KEYWARD_INVALID_ARGUMENT;
    case ClientErrorKind::kTrust: return KEYWARD_TRUST;
    case ClientErrorKind::kWrongPassword: return KEYWARD_WRONG_PASSWORD;
    case ClientErrorKind::kLocked: return KEYWARD_LOCKED;
    case ClientErrorKind::kUnavailable: return KEYWARD_UNAVAILABLE;
    case ClientErrorKind::kRejected: return KEYWARD_REJECTED;
    case ClientErrorKind::kTampered: return KEYWARD_TAMPERED;
    case ClientErrorKind::kInternal: return KEYWARD_INTERNAL;
  }
  return KEYWARD_INTERNAL;
}

keyward_status Fail(keyward_status status, std::string message) {
  g_error = std::move(message);
  return status;
}

keyward_status FromOutcome(const keyward::Outcome& o, uint32_t* attempts_remaining) {
  if (attempts_remaining != nullptr && o.attempts_remaining.has_value()) {
    *attempts_remaining = *o.attempts_remaining;
  }
  if (o.ok()) return KEYWARD_OK;
  return Fail(StatusOf(o.kind), o.message);
}

// Runs `fn` with nothing escaping: exceptions become KEYWARD_INTERNAL.
template <typename Fn>
keyward_status Guard(Fn&& fn) {
  g_error.clear();
  try {
    return fn();
  } catch (const std::exception& e) {
    return Fail(KEYWARD_INTERNAL, std::string("internal error: ") + e.what());
  } catch (...) {
    return Fail(KEYWARD_INTERNAL, "internal error");
  }
}

// Sets the thread's credential slots for one call and clears them after.
class CredentialScope {
 public:
  CredentialScope(const uint8_t* credential, size_t len, bool authority) {
    (authority ? g_authority_credential : g_credential) = keyward::ByteSpan(credential, len);
  }
  ~CredentialScope() {
    g_credential = {};
    g_authority_credential = {};
  }
};

keyward::StatusOr<keyward::Bytes> SlotOrError(keyward::ByteSpan slot, const char* what) {
  if (slot.empty()) {
    return keyward::InvalidArgument(std::string("no ") + what + " credential given for this call");
  }
  return keyward::Bytes(slot.begin(), slot.end());
}

keyward_status Rebuild(keyward_client* c, keyward::crypto::KsfConfig ksf) {
  keyward::VaultClient::Config config;
  config.vault_address = c->vault_address;
  config.trust_policy_text = c->trust_policy_text;
  config.trust_state_path = c->trust_state_path;
  config.fleet_id = c->fleet_id;
  config.ksf = std::move(ksf);
  config.credentials = [](std::string_view) { return SlotOrError(g_credential, "account"); };
  config.authority_credentials = [](std::string_view) {
    return SlotOrError(g_authority_credential, "account-authority");
  };
  auto sdk = keyward::VaultClient::Create(std::move(config));
  if (!sdk.ok()) {
    // As the CLI (exit 2): an unreadable or unusable trust policy is a trust failure.
    return Fail(KEYWARD_TRUST, "cannot create the client: " + sdk.status().message());
  }
  c->sdk = std::move(sdk).value();
  return KEYWARD_OK;
}

bool ValidBuffer(const uint8_t* p, size_t len) { return len == 0 || p != nullptr; }

keyward::crypto::SecretBytes Secret(const uint8_t* p, size_t len) {
  return keyward::crypto::SecretBytes(keyward::ByteSpan(p, len));
}

}  // namespace

extern "C" {

keyward_status keyward_client_new(const char* vault_address, const char* trust_policy_text,
                                  const char* fleet_id, keyward_client** out) {
  return keyward_client_new_with_state(vault_address, trust_policy_text, nullptr, fleet_id, out);
}

keyward_status keyward_client_new_with_state(const char* vault_address, const char* trust_policy_text,
                                             const char* trust_state_path, const char* fleet_id,
                                             keyward_client** out) {
  return Guard([&]() -> keyward_status {
    if (out == nullptr || vault_address == nullptr || trust_policy_text == nullptr ||
        *vault_address == '\0') {
      return Fail(KEYWARD_INVALID_ARGUMENT,
                  "vault_address (HOST:PORT), trust_policy_text and out are required");
    }
    *out = nullptr;
    auto c = std::make_unique<keyward_client>();
    c->vault_address = vault_address;
    c->trust_policy_text = trust_policy_text;
    c->trust_state_path = trust_state_path == nullptr ? "" : trust_state_path;
    c->fleet_id = fleet_id == nullptr ? "" : fleet_id;
    const keyward_status s = Rebuild(c.get(), keyward::crypto::KsfConfig::Default());
    if (s != KEYWARD_OK) return s;
    *out = c.release();
    return KEYWARD_OK;
  });
}

keyward_status keyward_client_set_argon2id(keyward_client* client, uint32_t memory_kib,
                                           uint32_t iterations, uint32_t parallelism) {
  return Guard([&]() -> keyward_status {
    if (client == nullptr) return Fail(KEYWARD_INVALID_ARGUMENT, "client is NULL");
    auto ksf = keyward::crypto::KsfConfig::Argon2id(
        {.memory_kib = memory_kib, .iterations = iterations, .parallelism = parallelism});
    if (!ksf.ok()) return Fail(KEYWARD_INVALID_ARGUMENT, ksf.status().message());
    return Rebuild(client, std::move(ksf).value());
  });
}

void keyward_client_free(keyward_client* client) {
  try {
    delete client;
  } catch (...) {
  }
}

keyward_status keyward_register(keyward_client* client, const char* user_id,
                                const uint8_t* credential, size_t credential_len,
                                const uint8_t* password, size_t password_len,
                                const uint8_t* secret, size_t secret_len, uint32_t max_attempts,
                                uint32_t* attempts_remaining) {
  return Guard([&]() -> keyward_status {
    if (client == nullptr || user_id == nullptr || !ValidBuffer(credential, credential_len) ||
        !ValidBuffer(password, password_len) || !ValidBuffer(secret, secret_len)) {
      return Fail(KEYWARD_INVALID_ARGUMENT, "client, user_id and the buffers must not be NULL");
    }
    CredentialScope scope(credential, credential_len, /*authority=*/false);
    return FromOutcome(client->sdk->Register(user_id, Secret(password, password_len),
                                             Secret(secret, secret_len),
                                             {.max_attempts = max_attempts}),
                       attempts_remaining);
  });
}

keyward_status keyward_recover(keyward_client* client, const char* user_id,
                               const uint8_t* credential, size_t credential_len,
                               const uint8_t* password, size_t password_len, uint8_t** secret_out,
                               size_t* secret_len_out, uint32_t* attempts_remaining) {
  return Guard([&]() -> keyward_status {
    if (client == nullptr || user_id == nullptr || secret_out == nullptr ||
        secret_len_out == nullptr || !ValidBuffer(credential, credential_len) ||
        !ValidBuffer(password, password_len)) {
      return Fail(KEYWARD_INVALID_ARGUMENT,
                  "client, user_id, secret_out, secret_len_out and the buffers must not be NULL");
    }
    *secret_out = nullptr;
    *secret_len_out = 0;
    CredentialScope scope(credential, credential_len, /*authority=*/false);
    keyward::Outcome o = client->sdk->Recover(user_id, Secret(password, password_len));
    const keyward_status s = FromOutcome(o, attempts_remaining);
    if (s != KEYWARD_OK) return s;
    auto* buffer = static_cast<uint8_t*>(std::malloc(o.secret.size()));
    if (buffer == nullptr) return Fail(KEYWARD_INTERNAL, "out of memory");
    std::memcpy(buffer, o.secret.Reveal().data(), o.secret.size());
    *secret_out = buffer;
    *secret_len_out = o.secret.size();
    return KEYWARD_OK;
  });
}

keyward_status keyward_delete(keyward_client* client, const char* user_id,
                              const uint8_t* credential, size_t credential_len,
                              const uint8_t* password, size_t password_len,
                              uint32_t* attempts_remaining) {
  return Guard([&]() -> keyward_status {
    if (client == nullptr || user_id == nullptr || !ValidBuffer(credential, credential_len) ||
        !ValidBuffer(password, password_len)) {
      return Fail(KEYWARD_INVALID_ARGUMENT, "client, user_id and the buffers must not be NULL");
    }
    CredentialScope scope(credential, credential_len, /*authority=*/false);
    return FromOutcome(client->sdk->Delete(user_id, Secret(password, password_len)),
                       attempts_remaining);
  });
}

keyward_status keyward_delete_as_authority(keyward_client* client, const char* user_id,
                                           const uint8_t* authority_credential,
                                           size_t authority_credential_len) {
  return Guard([&]() -> keyward_status {
    if (client == nullptr || user_id == nullptr ||
        !ValidBuffer(authority_credential, authority_credential_len)) {
      return Fail(KEYWARD_INVALID_ARGUMENT, "client, user_id and the buffer must not be NULL");
    }
    CredentialScope scope(authority_credential, authority_credential_len, /*authority=*/true);
    return FromOutcome(client->sdk->DeleteAsAuthority(user_id), nullptr);
  });
}

void keyward_free(uint8_t* p, size_t len) {
  if (p == nullptr) return;
  sodium_memzero(p, len);
  std::free(p);
}

const char* keyward_error_message(void) { return g_error.c_str(); }

const char* keyward_status_name(keyward_status status) {
  switch (status) {
    case KEYWARD_OK: return "ok";
    case KEYWARD_INVALID_ARGUMENT: return "invalid-argument";
    case KEYWARD_TRUST: return "trust-failure";
    case KEYWARD_WRONG_PASSWORD: return "wrong-password";
    case KEYWARD_LOCKED: return "locked";
    case KEYWARD_UNAVAILABLE: return "unavailable";
    case KEYWARD_REJECTED: return "rejected";
    case KEYWARD_TAMPERED: return "tampered";
    case KEYWARD_INTERNAL: return "internal";
  }
  return "unknown";
}

}  // extern "C"
