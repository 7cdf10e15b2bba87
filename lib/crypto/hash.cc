#include "crypto/hash.h"

#include <new>

#include "base/check.h"
#include "crypto/boringssl.h"

namespace coffer::crypto {

using internal::Ssl;

struct Sha256::State {
  SHA256_CTX ctx;
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
  Ssl().SHA256_Init(&state_->ctx);
}

Sha256::~Sha256() = default;

void Sha256::Update(absl::string_view data) {
  Ssl().SHA256_Update(&state_->ctx, data.data(), data.size());
}

Digest Sha256::Finish() {
  Digest d;
  Ssl().SHA256_Final(d.data(), &state_->ctx);
  return d;
}

Digest Sha256::Hash(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

HmacSha256::HmacSha256(absl::string_view key) : ctx_(sizeof(HMAC_CTX)) {
  const internal::BoringSsl& ssl = Ssl();
  auto* ctx = new (ctx_.data()) HMAC_CTX;
  ssl.HMAC_CTX_init(ctx);
  COFFER_CHECK(ssl.HMAC_Init_ex(ctx,
                                reinterpret_cast<const uint8_t*>(key.data()),
                                key.size(), ssl.EVP_sha256(), nullptr) == 1);
}

HmacSha256::~HmacSha256() {
  Ssl().HMAC_CTX_cleanup(reinterpret_cast<HMAC_CTX*>(ctx_.data()));
}

void HmacSha256::Update(absl::string_view data) {
  COFFER_CHECK(Ssl().HMAC_Update(reinterpret_cast<HMAC_CTX*>(ctx_.data()),
                                 reinterpret_cast<const uint8_t*>(data.data()),
                                 data.size()) == 1);
}

Digest HmacSha256::Finish() {
  Digest d;
  unsigned len = 0;
  COFFER_CHECK(Ssl().HMAC_Final(reinterpret_cast<HMAC_CTX*>(ctx_.data()),
                                d.data(), &len) == 1 &&
               len == d.size());
  return d;
}

Digest HmacSha256::Mac(absl::string_view key, absl::string_view data) {
  HmacSha256 h(key);
  h.Update(data);
  return h.Finish();
}

absl::StatusOr<SecureBuffer> HkdfSha256(absl::string_view ikm,
                                        absl::string_view salt,
                                        absl::string_view info, size_t length) {
  if (length == 0 || length > 255 * kSha256Size) {
    return absl::InvalidArgumentError(
        "crypto: HKDF-SHA256 output length must be 1..8160 bytes");
  }
  const internal::BoringSsl& ssl = Ssl();
  SecureBuffer out(length);
  auto bytes = [](absl::string_view s) {
    return reinterpret_cast<const uint8_t*>(s.data());
  };
  if (ssl.HKDF(out.data(), out.size(), ssl.EVP_sha256(), bytes(ikm), ikm.size(),
               bytes(salt), salt.size(), bytes(info), info.size()) != 1) {
    ssl.ERR_clear_error();
    return absl::InternalError("crypto: HKDF failed");
  }
  return out;
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return Ssl().CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace coffer::crypto
