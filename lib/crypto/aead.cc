#include "crypto/aead.h"

#include <new>
#include <utility>

#include "crypto/boringssl.h"

namespace coffer::crypto {
namespace {

using internal::Ssl;

const uint8_t* Bytes(absl::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

absl::StatusOr<Aes256Gcm> Aes256Gcm::Create(absl::string_view key) {
  if (key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        "crypto: AES-256-GCM needs a 32-byte key");
  }
  if (absl::Status s = internal::LoadBoringSsl(); !s.ok()) return s;
  const internal::BoringSsl& ssl = Ssl();
  Aes256Gcm aead;
  aead.ctx_ = SecureBuffer(sizeof(EVP_AEAD_CTX));
  auto* ctx = new (aead.ctx_.data()) EVP_AEAD_CTX;
  if (ssl.EVP_AEAD_CTX_init(ctx, ssl.EVP_aead_aes_256_gcm(), Bytes(key),
                            key.size(), kTagSize, nullptr) != 1) {
    ssl.ERR_clear_error();
    aead.ctx_.Clear();
    return absl::InternalError("crypto: AES-256-GCM key setup failed");
  }
  return aead;
}

Aes256Gcm::Aes256Gcm(Aes256Gcm&&) noexcept = default;
Aes256Gcm& Aes256Gcm::operator=(Aes256Gcm&& other) noexcept {
  if (this != &other) {
    if (!ctx_.empty()) {
      Ssl().EVP_AEAD_CTX_cleanup(reinterpret_cast<EVP_AEAD_CTX*>(ctx_.data()));
    }
    ctx_ = std::move(other.ctx_);
  }
  return *this;
}

Aes256Gcm::~Aes256Gcm() {
  if (!ctx_.empty()) {
    Ssl().EVP_AEAD_CTX_cleanup(reinterpret_cast<EVP_AEAD_CTX*>(ctx_.data()));
  }
}

absl::StatusOr<std::string> Aes256Gcm::Seal(
    absl::string_view nonce, absl::string_view plaintext,
    absl::string_view additional_data) const {
  if (nonce.size() != kNonceSize) {
    return absl::InvalidArgumentError("crypto: AES-GCM nonce must be 12 bytes");
  }
  const internal::BoringSsl& ssl = Ssl();
  std::string out(plaintext.size() + kTagSize, '\0');
  size_t out_len = 0;
  if (ssl.EVP_AEAD_CTX_seal(
          reinterpret_cast<const EVP_AEAD_CTX*>(ctx_.data()),
          reinterpret_cast<uint8_t*>(out.data()), &out_len, out.size(),
          Bytes(nonce), nonce.size(), Bytes(plaintext), plaintext.size(),
          Bytes(additional_data), additional_data.size()) != 1) {
    ssl.ERR_clear_error();
    return absl::InternalError("crypto: AES-GCM encryption failed");
  }
  out.resize(out_len);
  return out;
}

absl::Status Aes256Gcm::OpenTo(absl::string_view nonce,
                               absl::string_view sealed,
                               absl::string_view additional_data, uint8_t* out,
                               size_t* out_len) const {
  if (nonce.size() != kNonceSize) {
    return absl::InvalidArgumentError("crypto: AES-GCM nonce must be 12 bytes");
  }
  if (sealed.size() < kTagSize) {
    return absl::InvalidArgumentError(
        "crypto: AES-GCM input is shorter than its tag");
  }
  const internal::BoringSsl& ssl = Ssl();
  if (ssl.EVP_AEAD_CTX_open(
          reinterpret_cast<const EVP_AEAD_CTX*>(ctx_.data()), out, out_len,
          sealed.size() - kTagSize, Bytes(nonce), nonce.size(), Bytes(sealed),
          sealed.size(), Bytes(additional_data), additional_data.size()) != 1) {
    ssl.ERR_clear_error();
    return absl::DataLossError("crypto: message authentication failed");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Aes256Gcm::Open(
    absl::string_view nonce, absl::string_view sealed,
    absl::string_view additional_data) const {
  std::string out(sealed.size() >= kTagSize ? sealed.size() - kTagSize : 0,
                  '\0');
  size_t out_len = 0;
  absl::Status s = OpenTo(nonce, sealed, additional_data,
                          reinterpret_cast<uint8_t*>(out.data()), &out_len);
  if (!s.ok()) return s;
  out.resize(out_len);
  return out;
}

absl::StatusOr<SecureBuffer> Aes256Gcm::OpenSecret(
    absl::string_view nonce, absl::string_view sealed,
    absl::string_view additional_data) const {
  SecureBuffer out(sealed.size() >= kTagSize ? sealed.size() - kTagSize : 0);
  size_t out_len = 0;
  absl::Status s = OpenTo(nonce, sealed, additional_data, out.data(), &out_len);
  if (!s.ok()) return s;
  return out;  // GCM plaintext length equals ciphertext length exactly
}

}  // namespace coffer::crypto
