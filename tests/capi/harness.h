/* A tiny test harness for the C ABI tests (C99, no dependencies).
 *
 * A test is a `static void name(void)` registered in a TestCase table; the
 * CHECK macros count checks and report failures with file and line, and a
 * case fails when any of its checks fails. harness_main runs the cases
 * whose name contains argv[1] (all without an argument) and prints
 * "N passed, N failed"; it returns non-zero when a case failed or none ran. */
#ifndef COFFER_TESTS_CAPI_HARNESS_H_
#define COFFER_TESTS_CAPI_HARNESS_H_

#include <stdio.h>
#include <string.h>

#include "coffer/c.h"

typedef struct TestCase {
  const char* name;
  void (*fn)(void);
} TestCase;

/* Failed checks in the running case. */
extern int harness_case_failures;

void harness_fail(const char* file, int line, const char* what);
int harness_main(int argc, char** argv, const TestCase* cases, size_t n);

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) harness_fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

/* Checks that `expr` returns `code`; on a mismatch prints the message. */
#define CHECK_CODE(expr, code)                                        \
  do {                                                                \
    int check_rc_ = (expr);                                           \
    if (check_rc_ != (code)) {                                        \
      char check_buf_[1400];                                          \
      snprintf(check_buf_, sizeof check_buf_,                         \
               "%s returned %s (%s), "                                \
               "expected %s",                                         \
               #expr, coffer_error_name(check_rc_),                   \
               coffer_last_error_message(), coffer_error_name(code)); \
      harness_fail(__FILE__, __LINE__, check_buf_);                   \
    }                                                                 \
  } while (0)
#define CHECK_OK(expr) CHECK_CODE(expr, COFFER_OK)

/* Checks that the last error message contains `needle`. */
#define CHECK_MESSAGE(needle) \
  CHECK(strstr(coffer_last_error_message(), (needle)) != NULL)

/* Ends the running case when a check has failed (its later steps would only
 * cascade). */
#define REQUIRE_NO_FAILURE()               \
  do {                                     \
    if (harness_case_failures > 0) return; \
  } while (0)

#endif /* COFFER_TESTS_CAPI_HARNESS_H_ */
