/* Keyward client SDK, C API (for mobile bindings: Swift, Kotlin/JNI, Dart FFI...).
 *
 * A plain C view of the C++ SDK (keyward/client.h): store a backup secret in a Keyward vault and
 * get it back with a password. The password never leaves the device (OPAQUE, RFC 9807); after
 * max_attempts wrong guesses the vault destroys the secret. The client talks only to a vault whose
 * fleet key the trust policy validates (docs/trust.md "Trust modes"):
 *   - pinned: the policy lists the fleet keys (`fleet ID KEY` lines); keyward_client_new;
 *   - over-the-air: the policy pins the signing organisations, the audit log and its witnesses;
 *     fleet keys arrive in validation bundles (and the policy itself may be rotated by logged
 *     policy updates) inline with the vault's answers and are verified before use. The client
 *     keeps a small state file (epoch, log and policy high-water marks); keyward_client_new_with_state.
 *
 *   keyward_client* c = NULL;
 *   if (keyward_client_new("vault.example:7443", policy_text, NULL, &c) != KEYWARD_OK) {
 *     puts(keyward_error_message());   // say why
 *   }
 *   // credential: the account credential the app's server minted for this user (72 bytes)
 *   keyward_register(c, "alice", cred, cred_len, pw, pw_len, secret, secret_len, 10, &left);
 *   uint8_t* got = NULL; size_t got_len = 0; uint32_t left = 0;
 *   keyward_status s = keyward_recover(c, "alice", cred, cred_len, pw, pw_len, &got, &got_len, &left);
 *   if (s == KEYWARD_WRONG_PASSWORD) printf("attempts remaining: %u\n", left);
 *   keyward_free(got, got_len);          // wipes, then frees
 *   keyward_client_free(c);
 *
 * Status codes: the values 0..6 are the `keyward client` CLI's exit codes for the same situation.
 * Errors never cross this boundary as C++ exceptions. After any call that returned other than
 * KEYWARD_OK, keyward_error_message() says what was wrong and what to do.
 *
 * Ownership: keyward_client_new allocates a client, keyward_client_free releases it. A secret
 * returned by keyward_recover belongs to the caller and must be released with keyward_free.
 * Input buffers are borrowed for the duration of the call only.
 * Thread-safety: a keyward_client may be used from several threads at once; the error message is
 * per thread (valid until that thread's next keyward_* call).
 */
#ifndef KEYWARD_KEYWARD_H_
#define KEYWARD_KEYWARD_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum keyward_status {
  KEYWARD_OK = 0,
  KEYWARD_INVALID_ARGUMENT = 1, /* bad input (user id, secret size, max attempts, NULL pointer) */
  KEYWARD_TRUST = 2,            /* the vault's fleet key is not validated by the trust policy */
  KEYWARD_WRONG_PASSWORD = 3,   /* recovery failed; *attempts_remaining says how many guesses left */
  KEYWARD_LOCKED = 4,           /* the record is destroyed (last attempt used) or never registered */
  KEYWARD_UNAVAILABLE = 5,      /* vault unreachable, shutting down or rate-limiting: retry later */
  KEYWARD_REJECTED = 6,         /* the vault refused the request (credential, active record...) */
  /* 7 is the CLI's local I/O error; it cannot occur here. */
  KEYWARD_TAMPERED = 8,         /* the vault's answer does not verify (the CLI reports it as 6) */
  KEYWARD_INTERNAL = 9
} keyward_status;

typedef struct keyward_client keyward_client;

/* Creates a client for the vault at `vault_address` ("HOST:PORT", or a fleet's members as
 * "HOST:PORT,HOST:PORT,...": the client follows the leader hint and fails over) that trusts the fleets pinned by
 * `trust_policy_text` (the text of a trust policy file). `fleet_id` selects a fleet when the policy
 * pins several; NULL or "" means the policy's only fleet. Uses the default Argon2id KSF
 * (m=65536 KiB, t=3, p=4). On success *out is a new client. */
keyward_status keyward_client_new(const char* vault_address, const char* trust_policy_text,
                                  const char* fleet_id, keyward_client** out);

/* As keyward_client_new, for any trust policy; an over-the-air policy (signer/log/witness lines)
 * needs `trust_state_path`: a file the app keeps for this policy (created if missing, replaced
 * atomically; losing it re-opens rollback, so back it up with the app's data). NULL or "" is only
 * valid with a pinned policy. `fleet_id` (NULL or "") over the air: the fleet is the one whose
 * bundle endpoints list vault_address. The client checks the log's consistency online (the URL of
 * the policy's `log` line) when a new checkpoint arrives, falling back to the witness quorum if the
 * log cannot be reached. A refused bundle is KEYWARD_TRUST with "rejected: <code>: ..." in
 * keyward_error_message() (codes: docs/trust.md). */
keyward_status keyward_client_new_with_state(const char* vault_address, const char* trust_policy_text,
                                             const char* trust_state_path, const char* fleet_id,
                                             keyward_client** out);

/* Sets the Argon2id parameters (memory in KiB, iterations, lanes). They must be the same at
 * registration and at every recovery of a record. Call before any other use of the client. */
keyward_status keyward_client_set_argon2id(keyward_client* client, uint32_t memory_kib,
                                           uint32_t iterations, uint32_t parallelism);

/* Releases a client (NULL is allowed). */
void keyward_client_free(keyward_client* client);

/* Registers `secret` (1..128 bytes) for `user_id` (NUL-terminated, 1..256 bytes), guarded by
 * `password`, with a limit of `max_attempts` (1..255) wrong guesses. `credential` is the account
 * credential for user_id. An ACTIVE record is never replaced (KEYWARD_REJECTED): delete it
 * first (keyward_delete with its password). On success *attempts_remaining (may be NULL) is
 * max_attempts. */
keyward_status keyward_register(keyward_client* client, const char* user_id,
                                const uint8_t* credential, size_t credential_len,
                                const uint8_t* password, size_t password_len,
                                const uint8_t* secret, size_t secret_len, uint32_t max_attempts,
                                uint32_t* attempts_remaining);

/* Recovers the secret. On KEYWARD_OK, *secret_out is a new buffer of *secret_len_out bytes that
 * the caller releases with keyward_free. On KEYWARD_WRONG_PASSWORD, *attempts_remaining (may be
 * NULL) says how many guesses are left; on KEYWARD_LOCKED there is nothing left to recover. */
keyward_status keyward_recover(keyward_client* client, const char* user_id,
                               const uint8_t* credential, size_t credential_len,
                               const uint8_t* password, size_t password_len, uint8_t** secret_out,
                               size_t* secret_len_out, uint32_t* attempts_remaining);

/* Deletes the user's record, proving the password with a recovery session first (the recovery
 * counts and resets like keyward_recover; a wrong password is KEYWARD_WRONG_PASSWORD and deletes
 * nothing). Works with an ordinary user credential. */
keyward_status keyward_delete(keyward_client* client, const char* user_id,
                              const uint8_t* credential, size_t credential_len,
                              const uint8_t* password, size_t password_len,
                              uint32_t* attempts_remaining);

/* Deletes the user's record without the password: needs an ACCOUNT-AUTHORITY credential (minted by
 * the app's server with scope "account authority"); a user credential gets KEYWARD_REJECTED. */
keyward_status keyward_delete_as_authority(keyward_client* client, const char* user_id,
                                           const uint8_t* authority_credential,
                                           size_t authority_credential_len);

/* Wipes `len` bytes at `p` and frees it (NULL is allowed). */
void keyward_free(uint8_t* p, size_t len);

/* What went wrong in this thread's last keyward_* call that did not return KEYWARD_OK (empty
 * string if none). Valid until this thread's next keyward_* call; never NULL. */
const char* keyward_error_message(void);

/* A short constant name for a status ("ok", "wrong-password", ...). */
const char* keyward_status_name(keyward_status status);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* KEYWARD_KEYWARD_H_ */
