// A host that links OpenSSL's libcrypto (as many do) and embeds coffer: both
// libraries stay correct. This binary links OpenSSL first, so OpenSSL's
// symbols (SHA256_Init, HMAC_Init_ex, EVP_sha256, ...) are in the global
// scope before coffer loads BoringSSL; were BoringSSL linked or loaded
// globally, its internal calls would land in OpenSSL (or the reverse) and the
// vectors below would fail or crash.
#include <openssl/hmac.h>
#include <openssl/opensslv.h>
#include <openssl/sha.h>

#include "crypto/aead.h"
#include "crypto/hash.h"
#include "support/catch.h"
#include "unit/crypto/test_hex.h"

namespace coffer::crypto {
namespace {

static_assert(OPENSSL_VERSION_MAJOR >= 3, "must build against OpenSSL");

std::string OpenSslHmac(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
       &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

TEST_CASE("coffer and a host's OpenSSL both compute correctly in one process",
          "[crypto][openssl]") {
  // The host's OpenSSL works before coffer loads BoringSSL...
  CHECK(Hex(OpenSslHmac("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  // ...coffer's HMAC, HKDF and AES-GCM give the published answers...
  CHECK(Hex(HmacSha256::Mac("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  auto okm = HkdfSha256(std::string(22, '\x0b'), "", "", 42);
  REQUIRE(okm.ok());
  CHECK(Hex(okm->view()) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        "9d201395faa4b61a96c8");
  auto aead = Aes256Gcm::Create(std::string(32, '\0'));
  REQUIRE(aead.ok());
  auto sealed = aead->Seal(std::string(12, '\0'), std::string(16, '\0'), "");
  REQUIRE(sealed.ok());
  CHECK(Hex(*sealed) ==
        "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
  auto opened = aead->Open(std::string(12, '\0'), *sealed, "");
  REQUIRE(opened.ok());
  CHECK(*opened == std::string(16, '\0'));

  // ...and the host's OpenSSL still works after.
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>("abc"), 3, digest);
  CHECK(Hex(std::string(reinterpret_cast<char*>(digest), 32)) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(OpenSslHmac("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace coffer::crypto
