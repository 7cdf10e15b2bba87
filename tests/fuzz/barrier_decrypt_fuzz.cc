// Stored bytes are untrusted: decrypting anything at any path is kDataLoss
// (or, for a genuine ciphertext, its plaintext), never a crash.
#include <cstdint>
#include <cstdlib>

#include "crypto/random.h"
#include "seal/barrier.h"

namespace {

coffer::seal::Barrier& UnsealedBarrier() {
  static auto* store = new coffer::seal::MemoryPhysicalStore;
  static auto* barrier = [] {
    auto* b = new coffer::seal::Barrier(store);
    auto root = coffer::crypto::RandomSecret(32);
    if (!root.ok() || !b->Initialize(*root).ok() || !b->Unseal(*root).ok()) {
      std::abort();
    }
    return b;
  }();
  return *barrier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  coffer::seal::Barrier& barrier = UnsealedBarrier();
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Use the first bytes as the path, the rest as the ciphertext, and also
  // try an envelope header naming the active term in front of the input.
  const size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const absl::string_view path = bytes.substr(0, cut);
  const absl::string_view body = bytes.substr(cut);
  for (std::string candidate :
       {std::string(body), std::string("\0\0\0\1\1", 5) + std::string(body)}) {
    auto plain = barrier.Decrypt(path, candidate);
    if (!plain.ok() && !absl::IsDataLoss(plain.status())) std::abort();
  }
  return 0;
}
