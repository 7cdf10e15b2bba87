// A stand-in Kms for node tests: "wraps" by tagging with the key id and
// reversing the bytes. A TestKms with another key cannot unwrap, and one
// whose `fail` is set fails every call, as a Kms that is down.
#ifndef COFFER_TESTS_NODE_TEST_KMS_H_
#define COFFER_TESTS_NODE_TEST_KMS_H_

#include <atomic>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "coffer/seal.h"

namespace coffer::testing {

class TestKms final : public Kms {
 public:
  explicit TestKms(std::string key = "key-1") : key_(std::move(key)) {}

  std::string Type() const override { return "test-kms"; }
  std::string KeyId() const override { return key_; }
  absl::StatusOr<std::string> Wrap(absl::string_view key_id,
                                   absl::string_view plaintext) override {
    if (fail) return absl::UnavailableError("test-kms: down");
    return absl::StrCat(key_id, ":",
                        std::string(plaintext.rbegin(), plaintext.rend()));
  }
  absl::StatusOr<std::string> Unwrap(absl::string_view key_id,
                                     absl::string_view ciphertext) override {
    if (fail) return absl::UnavailableError("test-kms: down");
    const std::string prefix = absl::StrCat(key_, ":");
    if (key_id != key_ || !absl::StartsWith(ciphertext, prefix)) {
      return absl::PermissionDeniedError("test-kms: not wrapped by this key");
    }
    ciphertext.remove_prefix(prefix.size());
    return std::string(ciphertext.rbegin(), ciphertext.rend());
  }

  std::atomic<bool> fail{false};

 private:
  const std::string key_;
};

}  // namespace coffer::testing

#endif  // COFFER_TESTS_NODE_TEST_KMS_H_
