// The store under the barrier: bytes by path. The barrier writes ciphertext
// through it; the seal writes its configuration and protected root key. In a
// node it is the raft-replicated state store; tests use MemoryPhysicalStore.
//
// Errors: implementations report their own failures (kUnavailable,
// kDataLoss, ...); a missing path is not an error for Get (nullopt) or
// Delete (no-op).
#ifndef COFFER_LIB_SEAL_PHYSICAL_H_
#define COFFER_LIB_SEAL_PHYSICAL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::seal {

class PhysicalStore {
 public:
  virtual ~PhysicalStore() = default;
  virtual absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view path) = 0;
  virtual absl::Status Put(absl::string_view path, absl::string_view value) = 0;
  virtual absl::Status Delete(absl::string_view path) = 0;
  // Paths starting with `prefix`, in byte order.
  virtual absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) = 0;
};

// An ordered in-memory store. Thread-compatible.
class MemoryPhysicalStore : public PhysicalStore {
 public:
  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view path) override;
  absl::Status Put(absl::string_view path, absl::string_view value) override;
  absl::Status Delete(absl::string_view path) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;

  // Direct access for tests that tamper with stored bytes.
  std::map<std::string, std::string, std::less<>>& data() { return data_; }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_PHYSICAL_H_
