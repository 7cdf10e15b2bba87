#include "acl/capability.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace coffer::acl {

absl::string_view CapabilityName(Capability c) {
  switch (c) {
    case Capability::kDeny:
      return "deny";
    case Capability::kCreate:
      return "create";
    case Capability::kRead:
      return "read";
    case Capability::kUpdate:
      return "update";
    case Capability::kPatch:
      return "patch";
    case Capability::kDelete:
      return "delete";
    case Capability::kList:
      return "list";
    case Capability::kSudo:
      return "sudo";
  }
  return "?";
}

absl::StatusOr<Capability> ParseCapability(absl::string_view name) {
  for (Capability c : kAllCapabilities) {
    if (CapabilityName(c) == name) return c;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("acl: unknown capability \"", name, "\""));
}

std::vector<std::string> CapabilitySet::Names() const {
  std::vector<std::string> names;
  for (Capability c : kAllCapabilities) {
    if (Has(c)) names.emplace_back(CapabilityName(c));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace coffer::acl
