// Uses coffer's public API only, compiled as C++17 as an older host might.
#include <cstdio>

#include "coffer/coffer.h"

int main() {
  auto parts = coffer::ShamirSplit("installed and working", 3, 2);
  if (!parts.ok()) return 1;
  auto secret = coffer::ShamirCombine({(*parts)[2], (*parts)[0]});
  if (!secret.ok() || *secret != "installed and working") return 1;
  std::printf("coffer %s: %s\n", COFFER_VERSION_STRING, secret->c_str());
  return 0;
}
