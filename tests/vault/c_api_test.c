/* The C API (include/keyward/keyward.h) used from C — this file is compiled as C11, so the header
 * must be valid C — against a real dev node. Driven by c_api_driver_test.cc, which starts the node
 * and mints the credentials. */
#include <stdio.h>
#include <string.h>

#include "keyward/keyward.h"
#include "support/c_check.h"

/* Runs the scenario; returns 0 if every check held, else writes the first failed check to `err`
 * and returns its line number. */
int keyward_c_api_scenario(const char* vault, const char* policy_text,
                           const char* other_fleet_policy_text, const uint8_t* credential,
                           size_t credential_len, const uint8_t* authority_credential,
                           size_t authority_credential_len, char* err, size_t err_len);

int keyward_c_api_scenario(const char* vault, const char* policy_text,
                           const char* other_fleet_policy_text, const uint8_t* credential,
                           size_t credential_len, const uint8_t* authority_credential,
                           size_t authority_credential_len, char* err, size_t err_len) {
  int status = 0;
  keyward_client* c = NULL;
  keyward_client* stranger = NULL;
  keyward_client* nowhere = NULL;
  uint8_t* got = NULL;
  size_t got_len = 0;
  uint32_t left = 0;
  const char* user = "c-user";
  const uint8_t pw[] = "right password";
  const uint8_t bad[] = "wrong password";
  const uint8_t secret[] = "a secret from C";
  const size_t pw_len = sizeof pw - 1, bad_len = sizeof bad - 1, secret_len = sizeof secret - 1;

  /* Usage errors say what was wrong. */
  CHECK_STATUS(keyward_client_new(NULL, policy_text, NULL, &c), KEYWARD_INVALID_ARGUMENT);
  CHECK(strlen(keyward_error_message()) > 0);
  CHECK_STATUS(keyward_client_new(vault, "not a policy", NULL, &c), KEYWARD_TRUST);
  CHECK(c == NULL);

  CHECK_STATUS(keyward_client_new(vault, policy_text, NULL, &c), KEYWARD_OK);
  CHECK(strlen(keyward_error_message()) == 0);
  CHECK_STATUS(keyward_client_set_argon2id(c, 256, 1, 1), KEYWARD_OK);
  CHECK_STATUS(keyward_client_set_argon2id(c, 0, 0, 0), KEYWARD_INVALID_ARGUMENT);
  CHECK_STATUS(keyward_register(c, user, credential, credential_len, pw, pw_len, secret,
                                secret_len, 0, &left),
               KEYWARD_INVALID_ARGUMENT);

  CHECK_STATUS(keyward_register(c, user, credential, credential_len, pw, pw_len, secret,
                                secret_len, 3, &left),
               KEYWARD_OK);
  CHECK(left == 3);

  /* A wrong password is counted and reported. */
  CHECK_STATUS(keyward_recover(c, user, credential, credential_len, bad, bad_len, &got, &got_len,
                               &left),
               KEYWARD_WRONG_PASSWORD);
  CHECK(left == 2);
  CHECK(got == NULL && got_len == 0);
  CHECK(strstr(keyward_error_message(), "attempts remaining: 2") != NULL);

  CHECK_STATUS(keyward_recover(c, user, credential, credential_len, pw, pw_len, &got, &got_len,
                               &left),
               KEYWARD_OK);
  CHECK(got_len == secret_len && memcmp(got, secret, secret_len) == 0);
  CHECK(left == 3);
  keyward_free(got, got_len);
  got = NULL;

  /* A user credential cannot overwrite the active record... */
  CHECK_STATUS(keyward_register(c, user, credential, credential_len, bad, bad_len, secret,
                                secret_len, 3, &left),
               KEYWARD_REJECTED);
  /* ...nor delete it as the authority; with the password it can. */
  CHECK_STATUS(keyward_delete_as_authority(c, user, credential, credential_len), KEYWARD_REJECTED);
  CHECK_STATUS(keyward_delete(c, user, credential, credential_len, bad, bad_len, &left),
               KEYWARD_WRONG_PASSWORD);
  CHECK(left == 2);
  CHECK_STATUS(keyward_delete(c, user, credential, credential_len, pw, pw_len, &left), KEYWARD_OK);
  CHECK_STATUS(keyward_recover(c, user, credential, credential_len, pw, pw_len, &got, &got_len,
                               &left),
               KEYWARD_LOCKED);

  /* The account authority deletes without the password. */
  CHECK_STATUS(keyward_register(c, user, credential, credential_len, pw, pw_len, secret,
                                secret_len, 3, &left),
               KEYWARD_OK);
  CHECK_STATUS(keyward_delete_as_authority(c, user, authority_credential, authority_credential_len),
               KEYWARD_OK);
  CHECK_STATUS(keyward_recover(c, user, credential, credential_len, pw, pw_len, &got, &got_len,
                               &left),
               KEYWARD_LOCKED);

  /* A policy pinning another fleet's key refuses this vault before any secret moves. */
  CHECK_STATUS(keyward_client_new(vault, other_fleet_policy_text, NULL, &stranger), KEYWARD_OK);
  CHECK_STATUS(keyward_client_set_argon2id(stranger, 256, 1, 1), KEYWARD_OK);
  CHECK_STATUS(keyward_register(stranger, user, credential, credential_len, pw, pw_len, secret,
                                secret_len, 3, &left),
               KEYWARD_TRUST);

  /* Nothing listening: unavailable. */
  CHECK_STATUS(keyward_client_new("127.0.0.1:1", policy_text, NULL, &nowhere), KEYWARD_OK);
  CHECK_STATUS(keyward_client_set_argon2id(nowhere, 256, 1, 1), KEYWARD_OK);
  CHECK_STATUS(keyward_recover(nowhere, user, credential, credential_len, pw, pw_len, &got,
                               &got_len, &left),
               KEYWARD_UNAVAILABLE);
  CHECK(strcmp(keyward_status_name(KEYWARD_WRONG_PASSWORD), "wrong-password") == 0);

done:
  keyward_free(got, got_len);
  keyward_client_free(c);
  keyward_client_free(stranger);
  keyward_client_free(nowhere);
  return status;
}
