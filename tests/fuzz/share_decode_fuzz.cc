// Decoding an operator's share (raw, hex or base64): an error or 33 bytes.
#include <cstdint>
#include <cstdlib>

#include "seal/seal_manager.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto share = coffer::seal::SealManager::DecodeShare(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  if (share.ok() && share->size() != 33) std::abort();
  return 0;
}
