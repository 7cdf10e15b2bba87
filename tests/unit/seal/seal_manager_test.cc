#include "seal/seal_manager.h"

#include "absl/strings/escaping.h"
#include "crypto/aead.h"
#include "support/catch.h"

namespace coffer::seal {
namespace {

// A KMS for tests: AES-GCM under its own key, with switches for failure and
// for returning garbage.
class FakeKms : public Kms {
 public:
  explicit FakeKms(std::string key_id = "test-key-1")
      : key_id_(std::move(key_id)),
        cipher_(*crypto::Aes256Gcm::Create(std::string(32, 'K'))) {}

  std::string Type() const override { return "testkms"; }
  std::string KeyId() const override { return key_id_; }
  absl::StatusOr<std::string> Wrap(absl::string_view key_id,
                                   absl::string_view plaintext) override {
    if (fail) return absl::UnavailableError("kms offline");
    return cipher_.Seal(std::string(12, 'n'), plaintext, key_id);
  }
  absl::StatusOr<std::string> Unwrap(absl::string_view key_id,
                                     absl::string_view ciphertext) override {
    if (fail) return absl::UnavailableError("kms offline");
    if (garbage) return std::string(32, 'G');
    return cipher_.Open(std::string(12, 'n'), ciphertext, key_id);
  }

  bool fail = false;
  bool garbage = false;

 private:
  std::string key_id_;
  crypto::Aes256Gcm cipher_;
};

// One node's storage, barrier and seal.
struct Node {
  MemoryPhysicalStore store;
  Barrier barrier{&store};
  SealManager seal;
  explicit Node(Kms* kms = nullptr, Kms* migrate_from = nullptr)
      : seal(&store, &barrier, kms, migrate_from) {}
  // The same stored data under a differently configured seal (a restart
  // with a new configuration).
  void Reconfigure(Kms* kms, Kms* migrate_from = nullptr) {
    barrier.Seal();
    seal.~SealManager();
    new (&seal) SealManager(&store, &barrier, kms, migrate_from);
  }
};

absl::StatusOr<SealStatus> Submit(SealManager& seal,
                                  const std::vector<std::string>& shares,
                                  bool migrate = false) {
  absl::StatusOr<SealStatus> status;
  for (const std::string& s : shares) {
    status = seal.SubmitUnsealKey(s, migrate);
    if (!status.ok()) return status;
  }
  return status;
}

TEST_CASE("initialize then unseal with a threshold of shares",
          "[seal][shamir-seal]") {
  Node node;
  auto before = node.seal.Status();
  REQUIRE(before.ok());
  CHECK_FALSE(before->initialized);
  auto init = node.seal.Initialize({.secret_shares = 5, .secret_threshold = 3});
  REQUIRE(init.ok());
  REQUIRE(init->keys.size() == 5);
  CHECK(init->recovery_keys.empty());
  CHECK(absl::IsFailedPrecondition(node.seal.Initialize({}).status()));

  auto status = node.seal.Status();
  CHECK(status->initialized);
  CHECK(status->sealed);
  CHECK(status->type == "shamir");
  CHECK(status->threshold == 3);
  CHECK(status->shares == 5);
  CHECK(status->progress == 0);
  CHECK(status->nonce.empty());

  auto one = node.seal.SubmitUnsealKey(init->keys[4]);
  REQUIRE(one.ok());
  CHECK(one->progress == 1);
  CHECK(one->sealed);
  CHECK_FALSE(one->nonce.empty());
  auto two = node.seal.SubmitUnsealKey(init->keys[1]);
  CHECK(two->progress == 2);
  CHECK(two->nonce == one->nonce);
  auto three = node.seal.SubmitUnsealKey(init->keys[2]);
  REQUIRE(three.ok());
  CHECK_FALSE(three->sealed);
  CHECK(three->progress == 0);
  REQUIRE(node.barrier.Put("secret/data/x", "y").ok());

  node.seal.Seal();
  CHECK(node.barrier.sealed());
  CHECK(node.seal.Status()->sealed);
}

TEST_CASE("shares are accepted raw or as hex or base64",
          "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 3, .secret_threshold = 3});
  REQUIRE(init.ok());
  REQUIRE(node.seal.SubmitUnsealKey(init->keys[0]).ok());
  REQUIRE(
      node.seal.SubmitUnsealKey(absl::BytesToHexString(init->keys[1])).ok());
  auto done = node.seal.SubmitUnsealKey(absl::Base64Escape(init->keys[2]));
  REQUIRE(done.ok());
  CHECK_FALSE(done->sealed);
}

TEST_CASE("the same share twice counts once", "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 3, .secret_threshold = 2});
  REQUIRE(init.ok());
  CHECK(node.seal.SubmitUnsealKey(init->keys[0])->progress == 1);
  auto again = node.seal.SubmitUnsealKey(absl::BytesToHexString(init->keys[0]));
  REQUIRE(again.ok());
  CHECK(again->progress == 1);
  CHECK(again->sealed);
}

TEST_CASE("a wrong set of shares is an invalid key and resets progress",
          "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 3, .secret_threshold = 2});
  REQUIRE(init.ok());
  Node other;
  auto foreign =
      other.seal.Initialize({.secret_shares = 3, .secret_threshold = 2});
  REQUIRE(foreign.ok());
  REQUIRE(node.seal.SubmitUnsealKey(init->keys[0]).ok());
  absl::Status wrong = node.seal.SubmitUnsealKey(foreign->keys[1]).status();
  CHECK(absl::IsPermissionDenied(wrong));
  CHECK(wrong.message().find("invalid key") != absl::string_view::npos);
  auto status = node.seal.Status();
  CHECK(status->sealed);
  CHECK(status->progress == 0);
  CHECK(node.barrier.sealed());
  // Right shares still work afterwards.
  CHECK_FALSE(Submit(node.seal, {init->keys[2], init->keys[0]})->sealed);
}

TEST_CASE("malformed shares are rejected and keep progress",
          "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 3, .secret_threshold = 2});
  REQUIRE(init.ok());
  REQUIRE(node.seal.SubmitUnsealKey(init->keys[0]).ok());
  for (const std::string& bad :
       std::vector<std::string>{"", "short", "zz" + std::string(64, '0'),
                                std::string(34, 'x'), std::string("!!!")}) {
    CHECK(absl::IsInvalidArgument(node.seal.SubmitUnsealKey(bad).status()));
  }
  CHECK(node.seal.Status()->progress == 1);
  node.seal.ResetUnseal();
  CHECK(node.seal.Status()->progress == 0);
  CHECK(node.seal.Status()->nonce.empty());
}

TEST_CASE("one share of threshold one unseals", "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 1, .secret_threshold = 1});
  REQUIRE(init.ok());
  REQUIRE(init->keys.size() == 1);
  CHECK_FALSE(node.seal.SubmitUnsealKey(init->keys[0])->sealed);
}

TEST_CASE("bad share counts are rejected at init", "[seal][shamir-seal]") {
  Node node;
  CHECK(absl::IsInvalidArgument(
      node.seal.Initialize({.secret_shares = 0, .secret_threshold = 0})
          .status()));
  CHECK(absl::IsInvalidArgument(
      node.seal.Initialize({.secret_shares = 3, .secret_threshold = 4})
          .status()));
  CHECK(absl::IsInvalidArgument(
      node.seal.Initialize({.secret_shares = 3, .secret_threshold = 1})
          .status()));
  CHECK(absl::IsInvalidArgument(
      node.seal.Initialize({.secret_shares = 256, .secret_threshold = 2})
          .status()));
  CHECK_FALSE(node.seal.Status()->initialized);
}

TEST_CASE("rekey issues new shares and the old ones stop working",
          "[seal][shamir-seal]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 5, .secret_threshold = 3});
  REQUIRE(init.ok());
  REQUIRE_FALSE(
      Submit(node.seal, {init->keys[0], init->keys[1], init->keys[2]})->sealed);
  REQUIRE(node.barrier.Put("kept", "data").ok());
  // Too few or wrong current shares authorise nothing.
  CHECK(
      absl::IsInvalidArgument(node.seal.Rekey({init->keys[0]}, 3, 2).status()));
  auto fresh =
      node.seal.Rekey({init->keys[3], init->keys[4], init->keys[0]}, 3, 2);
  REQUIRE(fresh.ok());
  REQUIRE(fresh->size() == 3);
  CHECK(node.seal.Status()->threshold == 2);
  CHECK(node.seal.Status()->shares == 3);

  node.seal.Seal();
  absl::StatusOr<SealStatus> old =
      Submit(node.seal, {init->keys[0], init->keys[1]});
  CHECK(absl::IsPermissionDenied(old.status()));
  auto unsealed = Submit(node.seal, {(*fresh)[2], (*fresh)[0]});
  REQUIRE(unsealed.ok());
  CHECK_FALSE(unsealed->sealed);
  CHECK(**node.barrier.Get("kept") == "data");
}

TEST_CASE("auto-unseal needs no operator and issues recovery shares",
          "[seal][auto-seal]") {
  FakeKms kms;
  Node node(&kms);
  auto init =
      node.seal.Initialize({.recovery_shares = 4, .recovery_threshold = 2});
  REQUIRE(init.ok());
  CHECK(init->keys.empty());
  CHECK(init->recovery_keys.size() == 4);
  auto status = node.seal.Status();
  CHECK_FALSE(status->sealed);
  CHECK(status->type == "testkms");
  CHECK(status->recovery_seal);
  CHECK(status->threshold == 2);
  REQUIRE(node.barrier.Put("a", "b").ok());

  node.seal.Seal();
  REQUIRE(node.seal.AutoUnseal().ok());
  CHECK(**node.barrier.Get("a") == "b");
  // Recovery shares do not unseal an auto-unseal node.
  node.seal.Seal();
  CHECK(absl::IsFailedPrecondition(
      node.seal.SubmitUnsealKey(init->recovery_keys[0]).status()));
  // But they authorise a rekey of themselves.
  auto fresh =
      node.seal.Rekey({init->recovery_keys[1], init->recovery_keys[3]}, 3, 2);
  REQUIRE(fresh.ok());
  CHECK(absl::IsPermissionDenied(
      node.seal.Rekey({init->recovery_keys[1], init->recovery_keys[3]}, 3, 2)
          .status()));
}

TEST_CASE("a failing or lying KMS leaves the barrier sealed",
          "[seal][auto-seal]") {
  FakeKms kms;
  Node node(&kms);
  REQUIRE(node.seal.Initialize({}).ok());
  REQUIRE(node.barrier.Put("a", "b").ok());
  node.seal.Seal();

  kms.fail = true;
  absl::Status offline = node.seal.AutoUnseal();
  CHECK(absl::IsUnavailable(offline));
  CHECK(offline.message().find("kms offline") != absl::string_view::npos);
  CHECK(node.barrier.sealed());

  kms.fail = false;
  kms.garbage = true;
  CHECK(absl::IsPermissionDenied(node.seal.AutoUnseal()));
  CHECK(node.barrier.sealed());
  CHECK(node.seal.Status()->sealed);

  kms.garbage = false;
  REQUIRE(node.seal.AutoUnseal().ok());
  CHECK(**node.barrier.Get("a") == "b");
}

TEST_CASE("a KMS that fails during init leaves the node uninitialized",
          "[seal][auto-seal]") {
  FakeKms kms;
  kms.fail = true;
  Node node(&kms);
  CHECK(absl::IsUnavailable(node.seal.Initialize({}).status()));
  CHECK_FALSE(node.seal.Status()->initialized);
  kms.fail = false;
  CHECK(node.seal.Initialize({}).ok());
}

TEST_CASE("seal migration from Shamir to auto and back keeps all data",
          "[seal][migration]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 3, .secret_threshold = 2});
  REQUIRE(init.ok());
  REQUIRE_FALSE(Submit(node.seal, {init->keys[0], init->keys[1]})->sealed);
  REQUIRE(node.barrier.Put("secret/data/one", "1").ok());
  REQUIRE(node.barrier.Rotate().ok());
  REQUIRE(node.barrier.Put("secret/data/two", "2").ok());

  // Restart configured with a KMS: migration pending.
  FakeKms kms;
  node.Reconfigure(&kms);
  auto pending = node.seal.Status();
  CHECK(pending->migration);
  CHECK(pending->sealed);
  CHECK(absl::IsFailedPrecondition(node.seal.AutoUnseal()));
  CHECK(absl::IsFailedPrecondition(
      node.seal.SubmitUnsealKey(init->keys[0]).status()));
  auto migrated = Submit(node.seal, {init->keys[2], init->keys[0]}, true);
  REQUIRE(migrated.ok());
  CHECK_FALSE(migrated->sealed);
  CHECK_FALSE(migrated->migration);
  CHECK(migrated->recovery_seal);
  CHECK(**node.barrier.Get("secret/data/one") == "1");

  // Now it auto-unseals, and the old unseal shares are recovery shares.
  node.Reconfigure(&kms);
  REQUIRE(node.seal.AutoUnseal().ok());
  CHECK(**node.barrier.Get("secret/data/two") == "2");

  // Back to Shamir: the old KMS is the migration source.
  node.Reconfigure(nullptr);
  CHECK(node.seal.Status()->migration);
  CHECK(absl::IsFailedPrecondition(
      Submit(node.seal, {init->keys[0], init->keys[1]}, true).status()));
  node.Reconfigure(nullptr, &kms);
  auto back = Submit(node.seal, {init->keys[1], init->keys[2]}, true);
  REQUIRE(back.ok());
  CHECK_FALSE(back->sealed);
  CHECK_FALSE(back->recovery_seal);
  CHECK(back->type == "shamir");

  // A plain Shamir restart unseals with the same shares and sees all data.
  node.Reconfigure(nullptr);
  CHECK_FALSE(node.seal.Status()->migration);
  REQUIRE_FALSE(Submit(node.seal, {init->keys[0], init->keys[2]})->sealed);
  CHECK(**node.barrier.Get("secret/data/one") == "1");
  CHECK(**node.barrier.Get("secret/data/two") == "2");
}

TEST_CASE("a failed migration changes nothing", "[seal][migration]") {
  Node node;
  auto init = node.seal.Initialize({.secret_shares = 2, .secret_threshold = 2});
  REQUIRE(init.ok());
  FakeKms kms;
  kms.fail = true;
  node.Reconfigure(&kms);
  CHECK(absl::IsUnavailable(
      Submit(node.seal, {init->keys[0], init->keys[1]}, true).status()));
  CHECK(node.barrier.sealed());
  node.Reconfigure(nullptr);
  CHECK_FALSE(node.seal.Status()->migration);
  CHECK_FALSE(Submit(node.seal, {init->keys[0], init->keys[1]})->sealed);
}

}  // namespace
}  // namespace coffer::seal
