// Compiled as C++17 (see CMakeLists.txt): coffer/kv.h promises hosts on
// older compilers that it needs nothing newer.
#include <type_traits>

#include "coffer/kv.h"

static_assert(__cplusplus == 201703L, "this file must build as C++17");
static_assert(std::is_same_v<coffer::SecretData::key_type, std::string>);

namespace {

[[maybe_unused]] coffer::KeyMetadata Example() {
  coffer::KeyMetadata meta;
  meta.versions[1].deletion_time = absl::UnixEpoch();
  coffer::WriteOptions options;
  options.cas = 0;
  coffer::SecretPatch patch;
  patch.remove.insert("old");
  coffer::KeyMetadataUpdate update;
  update.custom_metadata = coffer::CustomMetadata{{"owner", "ops"}};
  return meta;
}

}  // namespace
