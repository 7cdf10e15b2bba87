// Input validation of the KV engine. Every failure is kInvalidArgument with
// a "kv: " message that says what is wrong, never the offending value (a
// field name or path can be sensitive).
//
// Paths (mount paths, key paths, list folders) are '/'-separated segments:
// at most kMaxPathBytes bytes, no NUL byte, no leading '/', no empty segment
// (so no "//"), no "." or ".." segment. Thread-safety: stateless functions.
#ifndef COFFER_LIB_KV_VALIDATE_H_
#define COFFER_LIB_KV_VALIDATE_H_

#include <cstddef>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/kv.h"

namespace coffer::kv {

inline constexpr size_t kMaxPathBytes = 1024;
inline constexpr size_t kMaxCustomMetadataEntries = 64;
inline constexpr size_t kMaxCustomMetadataNameBytes = 128;
inline constexpr size_t kMaxCustomMetadataValueBytes = 512;

// A key's path: "a", "a/b". No trailing '/'.
absl::Status ValidateKeyPath(absl::string_view path);

// A folder to list: "" (the mount's root), "a" or "a/" (the same folder).
// Returns it in canonical form: "" or with a trailing '/'.
absl::StatusOr<std::string> CanonicalFolder(absl::string_view folder);

// A mount path: "secret" or "secret/". Returns it with a trailing '/'.
absl::StatusOr<std::string> CanonicalMountPath(absl::string_view path);

// Field names are non-empty.
absl::Status ValidateSecretData(const SecretData& data);
// Every name in `json_fields` is a field of `data` (WriteOptions).
absl::Status ValidateJsonFields(const SecretData& data,
                                const std::set<std::string>& json_fields);

// Vault's limits on custom metadata (see coffer/kv.h).
absl::Status ValidateCustomMetadata(const CustomMetadata& custom);

// delete_version_after is finite and not negative.
absl::Status ValidateDeleteVersionAfter(absl::Duration d);

}  // namespace coffer::kv

#endif  // COFFER_LIB_KV_VALIDATE_H_
