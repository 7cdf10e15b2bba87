#include "harness.h"

#include <stdio.h>
#include <string.h>

int harness_case_failures = 0;

void harness_fail(const char* file, int line, const char* what) {
  fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
  ++harness_case_failures;
}

int harness_main(int argc, char** argv, const TestCase* cases, size_t n) {
  const char* filter = argc > 1 ? argv[1] : "";
  int passed = 0;
  int failed = 0;
  for (size_t i = 0; i < n; ++i) {
    if (strstr(cases[i].name, filter) == NULL) continue;
    harness_case_failures = 0;
    printf("[ RUN  ] %s\n", cases[i].name);
    fflush(stdout);
    cases[i].fn();
    if (harness_case_failures == 0) {
      ++passed;
      printf("[  OK  ] %s\n", cases[i].name);
    } else {
      ++failed;
      printf("[ FAIL ] %s (%d failed checks)\n", cases[i].name,
             harness_case_failures);
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
