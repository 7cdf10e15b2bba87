#include "seal/barrier.h"

#include "crypto/random.h"
#include "seal/envelope.h"
#include "support/catch.h"

namespace coffer::seal {
namespace {

crypto::SecureBuffer NewRootKey() { return *crypto::RandomSecret(32); }

struct Fixture {
  MemoryPhysicalStore store;
  crypto::SecureBuffer root = NewRootKey();
  Barrier barrier{&store};

  Fixture() {
    REQUIRE(barrier.Initialize(root).ok());
    REQUIRE(barrier.Unseal(root).ok());
  }
};

TEST_CASE("values round trip through the barrier", "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("secret/data/a", "alpha").ok());
  REQUIRE(f.barrier.Put("secret/data/empty", "").ok());
  CHECK(**f.barrier.Get("secret/data/a") == "alpha");
  CHECK(**f.barrier.Get("secret/data/empty") == "");
  CHECK_FALSE(f.barrier.Get("secret/data/missing")->has_value());
  CHECK(f.store.data().at("secret/data/a").find("alpha") == std::string::npos);
  REQUIRE(f.barrier.Delete("secret/data/a").ok());
  CHECK_FALSE(f.barrier.Get("secret/data/a")->has_value());
  CHECK(*f.barrier.List("secret/") ==
        std::vector<std::string>{"secret/data/empty"});
}

TEST_CASE("flipping any bit of a stored ciphertext is detected",
          "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("p", "sensitive value").ok());
  const std::string original = f.store.data().at("p");
  for (size_t i = 0; i < original.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string tampered = original;
      tampered[i] ^= static_cast<char>(1 << bit);
      f.store.data()["p"] = tampered;
      CHECK(absl::IsDataLoss(f.barrier.Get("p").status()));
    }
  }
  f.store.data()["p"] = original.substr(0, original.size() - 1);
  CHECK(absl::IsDataLoss(f.barrier.Get("p").status()));
  f.store.data()["p"] = "";
  CHECK(absl::IsDataLoss(f.barrier.Get("p").status()));
}

TEST_CASE("a ciphertext copied to another path does not decrypt",
          "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("secret/data/mine", "v").ok());
  f.store.data()["secret/data/yours"] = f.store.data().at("secret/data/mine");
  absl::Status s = f.barrier.Get("secret/data/yours").status();
  CHECK(absl::IsDataLoss(s));
  CHECK(s.message().find("secret/data/yours") != absl::string_view::npos);
}

TEST_CASE("rotation keeps old data readable and survives reseal",
          "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("old", "before").ok());
  CHECK(f.barrier.active_term() == 1);
  REQUIRE(*f.barrier.Rotate() == 2);
  REQUIRE(f.barrier.Put("new", "after").ok());
  CHECK(f.store.data().at("new").substr(0, 4) == std::string("\0\0\0\2", 4));
  f.barrier.Seal();
  REQUIRE(f.barrier.Unseal(f.root).ok());
  CHECK(f.barrier.active_term() == 2);
  CHECK(**f.barrier.Get("old") == "before");
  CHECK(**f.barrier.Get("new") == "after");
}

TEST_CASE("the barrier rotates by itself before a key wears out",
          "[seal][barrier]") {
  MemoryPhysicalStore store;
  crypto::SecureBuffer root = NewRootKey();
  Barrier barrier(&store, BarrierOptions{.rotate_after_encryptions = 64});
  REQUIRE(barrier.Initialize(root).ok());
  REQUIRE(barrier.Unseal(root).ok());
  // The unseal counted one checkpoint (1) as already used.
  for (int i = 0; i < 63; ++i) {
    REQUIRE(barrier.Put("k" + std::to_string(i), "v").ok());
  }
  CHECK(barrier.active_term() == 1);
  REQUIRE(barrier.Put("next", "v").ok());
  CHECK(barrier.active_term() == 2);
  for (int i = 0; i < 63; ++i) {
    CHECK(**barrier.Get("k" + std::to_string(i)) == "v");
  }
  // The count persists: after a reseal the new key starts where it was.
  barrier.Seal();
  REQUIRE(barrier.Unseal(root).ok());
  CHECK(barrier.active_term() == 2);
}

TEST_CASE(
    "a replicated barrier stores its automatic rotation once and adopts it "
    "on Reload",
    "[seal][barrier]") {
  MemoryPhysicalStore store;
  crypto::SecureBuffer root = NewRootKey();
  Barrier barrier(&store, BarrierOptions{.rotate_after_encryptions = 64,
                                         .replicated = true});
  REQUIRE(barrier.Initialize(root).ok());
  REQUIRE(barrier.Unseal(root).ok());
  for (int i = 0; i < 63; ++i) {
    REQUIRE(barrier.Put("k" + std::to_string(i), "v").ok());
  }
  // The limit is reached: the rotation is stored, not used yet, and the
  // encryptions until it is adopted do not stack more terms.
  REQUIRE(barrier.Put("a", "v").ok());
  REQUIRE(barrier.Put("b", "v").ok());
  CHECK(barrier.active_term() == 1);
  CHECK(*seal::EnvelopeTerm(store.data().at("b")) == 1);
  Barrier other(&store);
  REQUIRE(other.Unseal(root).ok());
  CHECK(other.active_term() == 2);
  // Applied: Reload adopts it, and new data uses it.
  REQUIRE(barrier.Reload().ok());
  CHECK(barrier.active_term() == 2);
  REQUIRE(barrier.Put("c", "v").ok());
  CHECK(*seal::EnvelopeTerm(store.data().at("c")) == 2);
  CHECK(**barrier.Get("b") == "v");
}

TEST_CASE("a sealed barrier refuses everything", "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("p", "v").ok());
  f.barrier.Seal();
  CHECK(f.barrier.sealed());
  CHECK(absl::IsFailedPrecondition(f.barrier.Put("p", "v")));
  CHECK(absl::IsFailedPrecondition(f.barrier.Get("p").status()));
  CHECK(absl::IsFailedPrecondition(f.barrier.Delete("p")));
  CHECK(absl::IsFailedPrecondition(f.barrier.List("").status()));
  CHECK(absl::IsFailedPrecondition(f.barrier.Encrypt("p", "v").status()));
  CHECK(absl::IsFailedPrecondition(
      f.barrier.Decrypt("p", f.store.data().at("p")).status()));
  CHECK(absl::IsFailedPrecondition(f.barrier.Rotate().status()));
}

TEST_CASE("a wrong root key leaves the barrier sealed", "[seal][barrier]") {
  MemoryPhysicalStore store;
  Barrier barrier(&store);
  crypto::SecureBuffer root = NewRootKey();
  CHECK(absl::IsFailedPrecondition(barrier.Unseal(root)));
  REQUIRE(barrier.Initialize(root).ok());
  CHECK(absl::IsFailedPrecondition(barrier.Initialize(root)));
  CHECK(absl::IsPermissionDenied(barrier.Unseal(NewRootKey())));
  CHECK(barrier.sealed());
  CHECK(absl::IsInvalidArgument(
      barrier.Unseal(crypto::SecureBuffer::CopyOf("short"))));
  CHECK(barrier.sealed());
}

TEST_CASE("a corrupt keyring is reported as data loss", "[seal][barrier]") {
  Fixture f;
  f.barrier.Seal();
  std::string& ring = f.store.data().at(std::string(kKeyringPath));
  ring[ring.size() / 2] ^= 0x40;
  // The root key cannot open an altered keyring: to the operator that is
  // indistinguishable from a wrong key, and nothing is unsealed.
  CHECK_FALSE(f.barrier.Unseal(f.root).ok());
  CHECK(f.barrier.sealed());
}

}  // namespace
}  // namespace coffer::seal

namespace coffer::seal {
namespace {

TEST_CASE("a replica adopts a rotation made elsewhere by reloading",
          "[seal][barrier]") {
  // Two nodes' barriers over the same replicated data.
  Fixture f;
  Barrier replica(&f.store);
  REQUIRE(replica.Unseal(f.root).ok());
  REQUIRE(*f.barrier.Rotate() == 2);
  REQUIRE(f.barrier.Put("after", "rotation").ok());
  CHECK(absl::IsDataLoss(replica.Get("after").status()));
  REQUIRE(replica.Reload().ok());
  CHECK(replica.active_term() == 2);
  CHECK(**replica.Get("after") == "rotation");
  // Reloading without a newer rotation keeps the keys in hand.
  REQUIRE(replica.Reload().ok());
  CHECK(replica.active_term() == 2);
}

TEST_CASE("reloading a corrupt keyring keeps the old keys", "[seal][barrier]") {
  Fixture f;
  REQUIRE(f.barrier.Put("p", "v").ok());
  std::string& ring = f.store.data().at(std::string(kKeyringPath));
  ring[ring.size() - 1] ^= 0x01;
  CHECK(absl::IsDataLoss(f.barrier.Reload()));
  CHECK(**f.barrier.Get("p") == "v");
  f.barrier.Seal();
  CHECK(absl::IsFailedPrecondition(f.barrier.Reload()));
}

}  // namespace
}  // namespace coffer::seal
