#include "crypto/aead.h"

#include "support/catch.h"
#include "unit/crypto/test_hex.h"

namespace coffer::crypto {
namespace {

struct GcmVector {
  const char* name;
  const char* key;
  const char* nonce;
  const char* plaintext;
  const char* aad;
  const char* ciphertext;
  const char* tag;
};

// AES-256 cases 13, 14 and 16 of "The Galois/Counter Mode of Operation"
// (McGrew and Viega), the test vectors NIST's GCM validation builds on.
const GcmVector kVectors[] = {
    {"case 13: empty plaintext",
     "00000000000000000000000000000000"
     "00000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"case 14: one zero block",
     "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"case 16: additional data and a partial block",
     "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

TEST_CASE("AES-256-GCM matches the published GCM test vectors",
          "[crypto][aead]") {
  for (const GcmVector& v : kVectors) {
    SECTION(v.name) {
      auto aead = Aes256Gcm::Create(Unhex(v.key));
      REQUIRE(aead.ok());
      auto sealed =
          aead->Seal(Unhex(v.nonce), Unhex(v.plaintext), Unhex(v.aad));
      REQUIRE(sealed.ok());
      CHECK(Hex(*sealed) == std::string(v.ciphertext) + v.tag);
      auto opened = aead->Open(Unhex(v.nonce), *sealed, Unhex(v.aad));
      REQUIRE(opened.ok());
      CHECK(*opened == Unhex(v.plaintext));
    }
  }
}

TEST_CASE("AES-GCM detects any altered byte or a wrong key or wrong data",
          "[crypto][aead]") {
  const std::string key(32, '\x42'), nonce(12, '\x07');
  auto aead = Aes256Gcm::Create(key);
  REQUIRE(aead.ok());
  auto sealed = aead->Seal(nonce, "attack at dawn", "path/a");
  REQUIRE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    std::string tampered = *sealed;
    tampered[i] ^= 0x01;
    CHECK(absl::IsDataLoss(aead->Open(nonce, tampered, "path/a").status()));
  }
  CHECK(absl::IsDataLoss(aead->Open(nonce, *sealed, "path/b").status()));
  CHECK(absl::IsDataLoss(
      aead->Open(std::string(12, '\x08'), *sealed, "path/a").status()));
  auto other = Aes256Gcm::Create(std::string(32, '\x43'));
  REQUIRE(other.ok());
  CHECK(absl::IsDataLoss(other->Open(nonce, *sealed, "path/a").status()));
}

TEST_CASE("AES-GCM rejects bad key and nonce and input sizes",
          "[crypto][aead]") {
  CHECK(absl::IsInvalidArgument(Aes256Gcm::Create("short").status()));
  auto aead = Aes256Gcm::Create(std::string(32, 'k'));
  REQUIRE(aead.ok());
  CHECK(absl::IsInvalidArgument(aead->Seal("short", "x", "").status()));
  CHECK(absl::IsInvalidArgument(
      aead->Open(std::string(12, 'n'), "tiny", "").status()));
}

TEST_CASE("AES-GCM opens key material into a secure buffer", "[crypto][aead]") {
  auto aead = Aes256Gcm::Create(std::string(32, 'k'));
  REQUIRE(aead.ok());
  const std::string nonce(12, 'n'), secret(32, 's');
  auto sealed = aead->Seal(nonce, secret, "keyring");
  REQUIRE(sealed.ok());
  auto opened = aead->OpenSecret(nonce, *sealed, "keyring");
  REQUIRE(opened.ok());
  CHECK(opened->view() == secret);
  // A moved cipher still works; the moved-from one is simply empty.
  Aes256Gcm moved = std::move(*aead);
  CHECK(moved.Open(nonce, *sealed, "keyring").ok());
}

}  // namespace
}  // namespace coffer::crypto
