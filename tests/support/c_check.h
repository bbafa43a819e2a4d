/* C test checks for scenarios written in C against the C API (include/keyward/keyward.h), e.g.
 * tests/vault/c_api_test.c and tests/trustflow/c_api_ota_test.c; valid C11 and C++.
 *
 * A scenario function that uses them declares `int status = 0;` and has `char* err, size_t
 * err_len` parameters and a `done:` label where it frees what it holds and returns `status`. A
 * failed check writes "line N: ..." (with keyward_error_message()) to `err`, sets `status` to the
 * line number and jumps to `done`, so the C++ driver reports the first failed check. */
#ifndef KEYWARD_TESTS_SUPPORT_C_CHECK_H_
#define KEYWARD_TESTS_SUPPORT_C_CHECK_H_

#include <stdio.h>

#include "keyward/keyward.h"

/* `call` (returning keyward_status) must return `want`. */
#define CHECK_STATUS(call, want)                                                          \
  do {                                                                                    \
    keyward_status got_ = (call);                                                         \
    if (got_ != (want)) {                                                                 \
      snprintf(err, err_len, "line %d: %s returned %s, want %s (%s)", __LINE__, #call,    \
               keyward_status_name(got_), keyward_status_name(want),                      \
               keyward_error_message());                                                  \
      status = __LINE__;                                                                  \
      goto done;                                                                          \
    }                                                                                     \
  } while (0)

/* `cond` must hold. */
#define CHECK(cond)                                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      snprintf(err, err_len, "line %d: %s is false (%s)", __LINE__, #cond,            \
               keyward_error_message());                                              \
      status = __LINE__;                                                              \
      goto done;                                                                      \
    }                                                                                 \
  } while (0)

#endif /* KEYWARD_TESTS_SUPPORT_C_CHECK_H_ */
