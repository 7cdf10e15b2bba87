#include "seal/keyring.h"

#include "support/catch.h"

namespace coffer::seal {
namespace {

TEST_CASE("a keyring serializes and parses back", "[seal][keyring]") {
  auto ring = Keyring::Create();
  REQUIRE(ring.ok());
  REQUIRE(ring->Rotate().ok());
  ring->AddEncryptions(7);
  crypto::SecureBuffer bytes = ring->Serialize();
  auto parsed = Keyring::Parse(bytes.view());
  REQUIRE(parsed.ok());
  CHECK(parsed->active_term() == 2);
  CHECK(parsed->size() == 2);
  CHECK(parsed->active_encryptions() == 7);
  CHECK(parsed->ForTerm(1) != nullptr);
  CHECK(parsed->ForTerm(3) == nullptr);
  CHECK(parsed->Serialize().Equals(bytes));
}

TEST_CASE("a malformed keyring is data loss", "[seal][keyring]") {
  auto ring = Keyring::Create();
  REQUIRE(ring.ok());
  std::string bytes(ring->Serialize().view());
  CHECK(absl::IsDataLoss(Keyring::Parse("").status()));
  CHECK(absl::IsDataLoss(Keyring::Parse("XKR1" + bytes.substr(4)).status()));
  CHECK(absl::IsDataLoss(
      Keyring::Parse(bytes.substr(0, bytes.size() - 1)).status()));
  std::string wrong_active = bytes;
  wrong_active[7] = 9;  // active term 9, which the ring lacks
  CHECK(absl::IsDataLoss(Keyring::Parse(wrong_active).status()));
}

}  // namespace
}  // namespace coffer::seal
