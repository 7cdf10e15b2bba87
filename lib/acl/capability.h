// Capabilities of Vault's ACL policies, and a small set of them.
//
// Capabilities: create, read, update, patch, delete, list, sudo and deny,
// as in Vault's policy language. `deny` is not a permission: a rule whose
// set holds deny grants nothing, and wins every merge (see acl.h). Vault's
// `subscribe` and `recover` are not supported.
//
// Thread-safety: value types and pure functions.
#ifndef COFFER_LIB_ACL_CAPABILITY_H_
#define COFFER_LIB_ACL_CAPABILITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::acl {

// One bit each. The values are internal (the disk format uses its own
// enum, proto/acl.proto); never compare them across builds.
enum class Capability : uint16_t {
  kDeny = 1 << 0,
  kCreate = 1 << 1,
  kRead = 1 << 2,
  kUpdate = 1 << 3,
  kPatch = 1 << 4,
  kDelete = 1 << 5,
  kList = 1 << 6,
  kSudo = 1 << 7,
};

// Every capability, in Vault's documentation order.
inline constexpr Capability kAllCapabilities[] = {
    Capability::kCreate, Capability::kRead,   Capability::kUpdate,
    Capability::kPatch,  Capability::kDelete, Capability::kList,
    Capability::kSudo,   Capability::kDeny};

// "create", "read", ...: the name Vault's policy language uses.
absl::string_view CapabilityName(Capability c);

// The capability named `name` (exact, lower-case). kInvalidArgument
// "acl: unknown capability \"<name>\"" otherwise.
absl::StatusOr<Capability> ParseCapability(absl::string_view name);

// A set of capabilities. A value type; the empty set grants nothing.
class CapabilitySet {
 public:
  constexpr CapabilitySet() = default;
  constexpr CapabilitySet(std::initializer_list<Capability> cs) {
    for (Capability c : cs) bits_ |= static_cast<uint16_t>(c);
  }
  // Every capability but deny: what the root policy grants.
  static constexpr CapabilitySet AllGrants() {
    return CapabilitySet({Capability::kCreate, Capability::kRead,
                          Capability::kUpdate, Capability::kPatch,
                          Capability::kDelete, Capability::kList,
                          Capability::kSudo});
  }

  constexpr bool Has(Capability c) const {
    return (bits_ & static_cast<uint16_t>(c)) != 0;
  }
  constexpr void Add(Capability c) { bits_ |= static_cast<uint16_t>(c); }
  constexpr void AddAll(CapabilitySet other) { bits_ |= other.bits_; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint16_t bits() const { return bits_; }

  // The names of the members, sorted lexicographically (the order of
  // Vault's sys/capabilities answers).
  std::vector<std::string> Names() const;

  friend constexpr bool operator==(CapabilitySet a, CapabilitySet b) {
    return a.bits_ == b.bits_;
  }

 private:
  uint16_t bits_ = 0;
};

}  // namespace coffer::acl

#endif  // COFFER_LIB_ACL_CAPABILITY_H_
