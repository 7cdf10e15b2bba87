// ShamirCombine on arbitrary parts: an error or a secret one byte shorter
// than the parts, never a crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "coffer/shamir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte: how many parts (1..8); the rest is cut into that many parts,
  // the last one taking any remainder so lengths may differ.
  const size_t count = 1 + data[0] % 8;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t each = rest.size() / count;
  std::vector<std::string> parts;
  for (size_t i = 0; i < count; ++i) {
    parts.push_back(i + 1 == count ? rest.substr(i * each)
                                   : rest.substr(i * each, each));
  }
  auto secret = coffer::ShamirCombine(parts);
  if (secret.ok() && secret->size() + 1 != parts[0].size()) std::abort();
  return 0;
}
