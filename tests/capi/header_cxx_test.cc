// include/coffer/c.h compiles as C++ and its functions link with C linkage.
#include <cstdio>
#include <cstring>

#include "coffer/c.h"

int main() {
  coffer_node_options_t o;
  coffer_node_options_init(&o, sizeof o);
  coffer_string_list_t* parts = nullptr;
  int rc = coffer_shamir_split(&parts, "secret", 6, 3, 2);
  bool ok = coffer_abi_version() == COFFER_ABI_VERSION &&
            o.struct_size == sizeof o && rc == COFFER_OK && parts != nullptr &&
            parts->num_items == 3 &&
            std::strcmp(coffer_last_error_message(), "") == 0;
  coffer_string_list_free(parts);
  std::printf("%s\n", ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
  return ok ? 0 : 1;
}
