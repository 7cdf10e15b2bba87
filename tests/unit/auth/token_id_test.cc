// Token ids and accessors: Vault's hvs form, their entropy, their hashes.
#include "auth/token_id.h"

#include <cmath>
#include <set>

#include "auth/random.h"
#include "auth_fixture.h"

namespace coffer::auth {
namespace {

bool IsBase62(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

TEST_CASE("base62 is the exact big-endian number, fixed width", "[auth][id]") {
  const std::vector<uint8_t> zeros(24, 0), ones(24, 0xff), one = {1};
  std::vector<uint8_t> counting;
  for (uint8_t i = 1; i <= 24; ++i) counting.push_back(i);
  CHECK(Base62(zeros, 33) == std::string(33, '0'));
  CHECK(Base62(one, 33) == std::string(32, '0') + "1");
  CHECK(Base62(ones, 33) == "2lFA6LboL2xx0ldQH2K1TdSrwuqMMiME3");
  CHECK(Base62(counting, 33) == "00fnYAQKBwXJ0DMxbwWuazpTQt4v6hH5s");
  // Too narrow a width still gives every digit.
  CHECK(Base62(ones, 2).size() == 33);
}

TEST_CASE("an id is hvs. and 33 base62 characters carrying 192 bits",
          "[auth][id]") {
  // 33 base62 digits hold more than the 192 random bits, 32 would not.
  CHECK(33 * std::log2(62.0) > 8 * kIdRandomBytes);
  CHECK(32 * std::log2(62.0) < 8 * kIdRandomBytes);
  CHECK(8 * kIdRandomBytes >= 128);
  CHECK(8 * kAccessorRandomBytes >= 128);

  AuthFixture f;
  std::set<std::string> ids, accessors;
  for (int i = 0; i < 50; ++i) {
    auto created = f.Create(f.root);
    REQUIRE(created.ok());
    const std::string& id = created->id;
    REQUIRE(id.size() == 4 + 33);
    CHECK(id.starts_with("hvs."));
    CHECK(IsBase62(id.substr(4)));
    CHECK(created->token.accessor.size() == 33);
    CHECK(IsBase62(created->token.accessor));
    ids.insert(id);
    accessors.insert(created->token.accessor);
  }
  CHECK(ids.size() == 50);
  CHECK(accessors.size() == 50);
}

TEST_CASE("every random bit reaches the id", "[auth][id]") {
  // Flipping any one bit of the id bytes changes the id (the encoding is a
  // bijection on numbers, so no two byte strings share an id).
  const TokenRandom base = TestRandom(7);
  const std::string id = FormatTokenId(base);
  for (size_t byte = 0; byte < kIdRandomBytes; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      TokenRandom r = base;
      r.id[byte] ^= static_cast<uint8_t>(1 << bit);
      CHECK(FormatTokenId(r) != id);
    }
  }
  // The accessor depends on its own bytes only.
  TokenRandom r = base;
  r.id[0] ^= 1;
  CHECK(FormatAccessor(r) == FormatAccessor(base));
}

TEST_CASE("the CSPRNG draws fresh bytes", "[auth][id]") {
  auto a = DrawTokenRandom();
  auto b = DrawTokenRandom();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->id != b->id);
  CHECK(a->accessor != b->accessor);
  CHECK(a->salt != b->salt);
}

TEST_CASE("ids and accessors hash in separate domains under the salt",
          "[auth][id]") {
  const Hasher h1("salt one"), h2("salt two");
  CHECK(h1.TokenId("x") != h1.Accessor("x"));
  CHECK(h1.TokenId("x") != h2.TokenId("x"));
  CHECK(h1.TokenId("x") == Hasher("salt one").TokenId("x"));
  crypto::Digest back;
  REQUIRE(ParseDigestHex(DigestHex(h1.TokenId("x")), &back));
  CHECK(back == h1.TokenId("x"));
  CHECK_FALSE(ParseDigestHex("00", &back));
  CHECK_FALSE(ParseDigestHex(std::string(64, 'G'), &back));
  CHECK_FALSE(ParseDigestHex(std::string(64, 'A'), &back));  // lower only
}

}  // namespace
}  // namespace coffer::auth
