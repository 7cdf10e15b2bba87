#include "crypto/random.h"

#include "crypto/boringssl.h"

namespace coffer::crypto {

absl::Status RandomBytes(absl::Span<uint8_t> out) {
  if (out.empty()) return absl::OkStatus();
  if (absl::Status s = internal::LoadBoringSsl(); !s.ok()) return s;
  if (internal::Ssl().RAND_bytes(out.data(), out.size()) != 1) {
    return absl::InternalError("crypto: the random number generator failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<SecureBuffer> RandomSecret(size_t n) {
  SecureBuffer b(n);
  if (absl::Status s = RandomBytes(b.span()); !s.ok()) return s;
  return b;
}

absl::StatusOr<std::string> RandomString(size_t n) {
  std::string s(n, '\0');
  absl::Status status = RandomBytes(
      absl::MakeSpan(reinterpret_cast<uint8_t*>(s.data()), s.size()));
  if (!status.ok()) return status;
  return s;
}

}  // namespace coffer::crypto
