#include "crypto/hash.h"

#include "support/catch.h"
#include "unit/crypto/test_hex.h"

namespace coffer::crypto {
namespace {

TEST_CASE("SHA-256 matches FIPS 180-2 examples", "[crypto][hash]") {
  CHECK(Hex(Sha256::Hash("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(Sha256::Hash("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 streaming;
  for (int i = 0; i < 1000; ++i) streaming.Update(std::string(1000, 'a'));
  CHECK(Hex(streaming.Finish()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA256 matches RFC 4231", "[crypto][hash]") {
  CHECK(Hex(HmacSha256::Mac(std::string(20, '\x0b'), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(Hex(HmacSha256::Mac("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(Hex(HmacSha256::Mac(
            std::string(131, '\xaa'),
            "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  HmacSha256 streaming("Jefe");
  streaming.Update("what do ya want ");
  streaming.Update("for nothing?");
  CHECK(Hex(streaming.Finish()) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("HKDF-SHA256 matches RFC 5869", "[crypto][hash]") {
  auto okm =
      HkdfSha256(std::string(22, '\x0b'), Unhex("000102030405060708090a0b0c"),
                 Unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.ok());
  CHECK(Hex(okm->view()) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
        "34007208d5b887185865");
  auto no_salt = HkdfSha256(std::string(22, '\x0b'), "", "", 42);
  REQUIRE(no_salt.ok());
  CHECK(Hex(no_salt->view()) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        "9d201395faa4b61a96c8");
  CHECK(absl::IsInvalidArgument(HkdfSha256("k", "", "", 0).status()));
  CHECK(absl::IsInvalidArgument(HkdfSha256("k", "", "", 8161).status()));
}

TEST_CASE("constant-time comparison compares length and bytes",
          "[crypto][hash]") {
  CHECK(ConstantTimeEquals("", ""));
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret!"));
}

}  // namespace
}  // namespace coffer::crypto
