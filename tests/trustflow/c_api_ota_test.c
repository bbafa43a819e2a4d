/* The C API (include/keyward/keyward.h) in over-the-air mode, used from C (compiled as C11): a client
 * that holds only a trust policy (signers, log, witnesses: no fleet key) and a state file registers
 * and recovers against a real node that serves the validation bundle inline. Driven by
 * c_api_ota_driver_test.cc, which starts the log, witnesses and node, publishes the bundle and mints
 * the credential. */
#include <stdio.h>
#include <string.h>

#include "keyward/keyward.h"
#include "support/c_check.h"

int keyward_c_api_ota_scenario(const char* vault, const char* policy_text, const char* state_path,
                               const uint8_t* credential, size_t credential_len, char* err,
                               size_t err_len);

int keyward_c_api_ota_scenario(const char* vault, const char* policy_text, const char* state_path,
                               const uint8_t* credential, size_t credential_len, char* err,
                               size_t err_len) {
  int status = 0;
  keyward_client* c = NULL;
  keyward_client* again = NULL;
  uint8_t* got = NULL;
  size_t got_len = 0;
  uint32_t left = 0;
  const char* user = "c-ota-user";
  const uint8_t pw[] = "over the air";
  const uint8_t secret[] = "a secret from C, over the air";
  const size_t pw_len = sizeof pw - 1, secret_len = sizeof secret - 1;
  FILE* f = NULL;

  /* An over-the-air policy without a state file is refused, and says what is missing. */
  CHECK_STATUS(keyward_client_new(vault, policy_text, NULL, &c), KEYWARD_TRUST);
  CHECK(c == NULL);
  CHECK(strstr(keyward_error_message(), "state") != NULL);
  CHECK_STATUS(keyward_client_new_with_state(vault, policy_text, "", NULL, &c), KEYWARD_TRUST);
  CHECK_STATUS(keyward_client_new_with_state(NULL, policy_text, state_path, NULL, &c),
               KEYWARD_INVALID_ARGUMENT);

  /* With the state file: the first answer brings the bundle; register and recover. */
  CHECK_STATUS(keyward_client_new_with_state(vault, policy_text, state_path, NULL, &c), KEYWARD_OK);
  CHECK(c != NULL);
  CHECK_STATUS(keyward_client_set_argon2id(c, 8, 1, 1), KEYWARD_OK);
  CHECK_STATUS(keyward_register(c, user, credential, credential_len, pw, pw_len, secret,
                                secret_len, 5, &left),
               KEYWARD_OK);
  CHECK(left == 5);
  CHECK_STATUS(keyward_recover(c, user, credential, credential_len, pw, pw_len, &got, &got_len,
                               &left),
               KEYWARD_OK);
  CHECK(got_len == secret_len && memcmp(got, secret, secret_len) == 0);
  keyward_free(got, got_len);
  got = NULL;

  /* The state file now holds the epoch and the log checkpoint. */
  f = fopen(state_path, "rb");
  CHECK(f != NULL);
  {
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    CHECK(strstr(buf, "\"epoch\":1") != NULL);
    CHECK(strstr(buf, "\"logs\":{\"") != NULL);
  }

  /* A second client on the same state file (e.g. after an app restart) recovers too. */
  CHECK_STATUS(keyward_client_new_with_state(vault, policy_text, state_path, "", &again), KEYWARD_OK);
  CHECK_STATUS(keyward_client_set_argon2id(again, 8, 1, 1), KEYWARD_OK);
  CHECK_STATUS(keyward_recover(again, user, credential, credential_len, pw, pw_len, &got, &got_len,
                               &left),
               KEYWARD_OK);
  CHECK(got_len == secret_len && memcmp(got, secret, secret_len) == 0);

done:
  if (f != NULL) fclose(f);
  keyward_free(got, got_len);
  keyward_client_free(again);
  keyward_client_free(c);
  return status;
}
