#include "crypto/scrypt.h"

#include "crypto/boringssl.h"

namespace coffer::crypto {

absl::StatusOr<SecureBuffer> Scrypt(absl::string_view password,
                                    absl::string_view salt, uint64_t n,
                                    uint32_t r, uint32_t p, size_t key_len,
                                    size_t max_mem_bytes) {
  if (n < 2 || n > (uint64_t{1} << 32) || (n & (n - 1)) != 0 || r == 0 ||
      p == 0 || uint64_t{p} * r >= (uint64_t{1} << 30) || key_len == 0) {
    return absl::InvalidArgumentError("crypto: bad scrypt parameters");
  }
  // BoringSSL's own bound: 128 * r * (n + p + 2) bytes of blocks.
  if (n + p + 2 > max_mem_bytes / 128 / r) {
    return absl::ResourceExhaustedError(
        "crypto: the scrypt parameters need more memory than allowed");
  }
  const internal::BoringSsl& ssl = internal::Ssl();
  SecureBuffer out(key_len);
  if (ssl.EVP_PBE_scrypt(password.data(), password.size(),
                         reinterpret_cast<const uint8_t*>(salt.data()),
                         salt.size(), n, r, p, max_mem_bytes, out.data(),
                         out.size()) != 1) {
    ssl.ERR_clear_error();
    return absl::ResourceExhaustedError("crypto: scrypt failed");
  }
  return out;
}

}  // namespace coffer::crypto
