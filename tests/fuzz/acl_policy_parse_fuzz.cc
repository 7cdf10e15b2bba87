// Parsing an ACL policy (HCL or JSON) from untrusted text: either
// kInvalidArgument, or a policy that passes ValidatePolicy and keeps the
// text it was parsed from.
#include <cstdint>
#include <cstdlib>

#include "acl/parse.h"
#include "acl/policy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<coffer::acl::Policy> policy =
      coffer::acl::ParsePolicy("fuzz", text);
  if (!policy.ok()) {
    if (!absl::IsInvalidArgument(policy.status())) std::abort();
    return 0;
  }
  if (!coffer::acl::ValidatePolicy(*policy).ok()) std::abort();
  if (policy->text != text) std::abort();
  return 0;
}
