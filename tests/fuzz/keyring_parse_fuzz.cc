// Parsing a decrypted keyring: kDataLoss or a keyring that serializes back
// to exactly the same bytes.
#include <cstdint>
#include <cstdlib>

#include "seal/keyring.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ring = coffer::seal::Keyring::Parse(bytes);
  if (ring.ok()) {
    if (ring->Serialize().view() != bytes) std::abort();
  } else if (!absl::IsDataLoss(ring.status())) {
    std::abort();
  }
  return 0;
}
