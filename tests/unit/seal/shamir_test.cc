#include "coffer/shamir.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "absl/strings/escaping.h"
#include "seal/gf256.h"
#include "support/catch.h"

namespace coffer {
namespace {

using seal::gf256::Div;
using seal::gf256::Inverse;
using seal::gf256::Mul;

TEST_CASE("GF(2^8) arithmetic uses the AES polynomial", "[seal][shamir]") {
  CHECK(Mul(3, 7) == 9);
  CHECK(Mul(3, 0) == 0);
  CHECK(Mul(0, 3) == 0);
  CHECK(Mul(0x57, 0x83) == 0xc1);  // FIPS-197 section 4.2
  CHECK(Div(6, 3) == 2);
  CHECK(Div(3, 3) == 1);
  CHECK(Div(0, 7) == 0);
  for (int a = 1; a < 256; ++a) {
    CHECK(Mul(static_cast<uint8_t>(a), Inverse(static_cast<uint8_t>(a))) == 1);
  }
}

TEST_CASE("any threshold of parts recovers the secret", "[seal][shamir]") {
  const std::string secret = "the root of all keys, 32 bytes!!";
  auto parts = ShamirSplit(secret, 5, 3);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 5);
  for (const std::string& p : *parts) CHECK(p.size() == secret.size() + 1);
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) {
      for (int k = 0; k < 5; ++k) {
        if (i == j || j == k || i == k) continue;
        auto combined = ShamirCombine({(*parts)[i], (*parts)[j], (*parts)[k]});
        REQUIRE(combined.ok());
        CHECK(*combined == secret);
      }
    }
  }
  auto all = ShamirCombine(*parts);
  REQUIRE(all.ok());
  CHECK(*all == secret);
}

TEST_CASE("fewer parts than the threshold do not reveal the secret",
          "[seal][shamir]") {
  const std::string secret(32, 'k');
  auto parts = ShamirSplit(secret, 5, 3);
  REQUIRE(parts.ok());
  auto two = ShamirCombine({(*parts)[0], (*parts)[1]});
  REQUIRE(two.ok());
  CHECK(*two != secret);
}

TEST_CASE("x coordinates are distinct and nonzero", "[seal][shamir]") {
  auto parts = ShamirSplit("s", 255, 2);
  REQUIRE(parts.ok());
  std::vector<int> xs;
  for (const std::string& p : *parts) xs.push_back(static_cast<uint8_t>(p[1]));
  std::sort(xs.begin(), xs.end());
  for (int i = 0; i < 255; ++i) CHECK(xs[i] == i + 1);
}

TEST_CASE("one share of threshold one is allowed", "[seal][shamir]") {
  auto parts = ShamirSplit("solo", 1, 1);
  REQUIRE(parts.ok());
  REQUIRE(parts->size() == 1);
  auto combined = ShamirCombine(*parts);
  REQUIRE(combined.ok());
  CHECK(*combined == "solo");
}

TEST_CASE("parts in Vault's format combine", "[seal][shamir][vault]") {
  // Shares of "vault-compatible" (threshold 3) at x = 0x4a, 0x07, 0xc3,
  // 0x19, 0xfe, computed by an independent log/exp-table implementation of
  // Vault's scheme: y bytes followed by the x byte, field 0x11b.
  const std::vector<std::string> hex = {"d4e31d58e97ff3474a30dc39c57276694a",
                                        "a5e4d5a1534d9464672a00d753ef1b2007",
                                        "dd558b51d230a1a8eca01864a10eb9cbc3",
                                        "5ae3247be44e86b71e0a430acf641f2b19",
                                        "b46902f44996027ca789f531c58594c4fe"};
  std::vector<std::string> parts;
  for (const std::string& h : hex) parts.push_back(absl::HexStringToBytes(h));
  auto first = ShamirCombine({parts[0], parts[1], parts[2]});
  REQUIRE(first.ok());
  CHECK(*first == "vault-compatible");
  auto last = ShamirCombine({parts[4], parts[2], parts[3]});
  REQUIRE(last.ok());
  CHECK(*last == "vault-compatible");
}

TEST_CASE("bad split parameters are rejected", "[seal][shamir]") {
  CHECK(absl::IsInvalidArgument(ShamirSplit("", 3, 2).status()));
  CHECK(absl::IsInvalidArgument(ShamirSplit("s", 0, 0).status()));
  CHECK(absl::IsInvalidArgument(ShamirSplit("s", 2, 3).status()));
  CHECK(absl::IsInvalidArgument(ShamirSplit("s", 256, 3).status()));
  CHECK(absl::IsInvalidArgument(ShamirSplit("s", 10, 1).status()));
}

TEST_CASE("malformed parts are rejected with a reason", "[seal][shamir]") {
  auto status_of = [](std::vector<std::string> parts) {
    return ShamirCombine(parts).status();
  };
  CHECK(absl::IsInvalidArgument(status_of({})));
  CHECK(absl::IsInvalidArgument(status_of({"foo", "ba"})));
  CHECK(absl::IsInvalidArgument(status_of({"f", "b"})));
  absl::Status dup = status_of({"foo", "foo"});
  CHECK(absl::IsInvalidArgument(dup));
  CHECK(dup.message().find("duplicate") != absl::string_view::npos);
  CHECK(absl::IsInvalidArgument(status_of({std::string("ab\0", 3), "abc"})));
  CHECK(absl::IsInvalidArgument(status_of(std::vector<std::string>(256, "x"))));
}

TEST_CASE("random secrets and thresholds round trip", "[seal][shamir]") {
  const unsigned seed = std::random_device{}();
  INFO("seed " << seed);
  std::printf("shamir round-trip seed %u\n", seed);
  std::mt19937 rng(seed);  // chooses sizes and subsets, never key material
  for (int round = 0; round < 50; ++round) {
    const int shares = 2 + static_cast<int>(rng() % 20);
    const int threshold = 2 + static_cast<int>(rng() % (shares - 1));
    std::string secret(1 + rng() % 64, '\0');
    for (char& c : secret) c = static_cast<char>(rng());
    auto parts = ShamirSplit(secret, shares, threshold);
    REQUIRE(parts.ok());
    std::shuffle(parts->begin(), parts->end(), rng);
    parts->resize(threshold + rng() % (shares - threshold + 1));
    auto combined = ShamirCombine(*parts);
    REQUIRE(combined.ok());
    CHECK(*combined == secret);
  }
}

}  // namespace
}  // namespace coffer
