#include "kv/validate.h"

#include "absl/strings/str_cat.h"

namespace coffer::kv {
namespace {

absl::Status Invalid(absl::string_view what, absl::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("kv: invalid ", what, ": ", reason));
}

// Checks `path` as segments without a trailing '/'; `what` names it.
absl::Status ValidateSegments(absl::string_view path, absl::string_view what) {
  if (path.empty()) return Invalid(what, "empty");
  if (path.size() > kMaxPathBytes) {
    return Invalid(what, absl::StrCat("longer than ", kMaxPathBytes, " bytes"));
  }
  if (path.find('\0') != absl::string_view::npos) {
    return Invalid(what, "contains a NUL byte");
  }
  size_t start = 0;
  while (true) {
    size_t end = path.find('/', start);
    absl::string_view segment = path.substr(
        start,
        end == absl::string_view::npos ? absl::string_view::npos : end - start);
    if (segment.empty()) {
      return Invalid(what, start == 0 ? "starts with '/'"
                                      : "has an empty segment or trailing '/'");
    }
    if (segment == "." || segment == "..") {
      return Invalid(what, "has a '.' or '..' segment");
    }
    if (end == absl::string_view::npos) return absl::OkStatus();
    start = end + 1;
  }
}

absl::StatusOr<std::string> CanonicalDirectory(absl::string_view path,
                                               absl::string_view what) {
  absl::string_view trimmed = path;
  if (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  if (absl::Status s = ValidateSegments(trimmed, what); !s.ok()) return s;
  return absl::StrCat(trimmed, "/");
}

}  // namespace

absl::Status ValidateKeyPath(absl::string_view path) {
  return ValidateSegments(path, "path");
}

absl::StatusOr<std::string> CanonicalFolder(absl::string_view folder) {
  if (folder.empty()) return std::string();
  return CanonicalDirectory(folder, "folder");
}

absl::StatusOr<std::string> CanonicalMountPath(absl::string_view path) {
  return CanonicalDirectory(path, "mount path");
}

absl::Status ValidateSecretData(const SecretData& data) {
  for (const auto& [name, value] : data) {
    if (name.empty()) return Invalid("data", "empty field name");
  }
  return absl::OkStatus();
}

absl::Status ValidateJsonFields(const SecretData& data,
                                const std::set<std::string>& json_fields) {
  for (const std::string& name : json_fields) {
    if (!data.contains(name)) {
      return Invalid("json_fields", "names a field the write does not set");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCustomMetadata(const CustomMetadata& custom) {
  if (custom.size() > kMaxCustomMetadataEntries) {
    return Invalid(
        "custom_metadata",
        absl::StrCat("more than ", kMaxCustomMetadataEntries, " entries"));
  }
  for (const auto& [name, value] : custom) {
    if (name.empty() || name.size() > kMaxCustomMetadataNameBytes) {
      return Invalid("custom_metadata",
                     absl::StrCat("a name is empty or longer than ",
                                  kMaxCustomMetadataNameBytes, " bytes"));
    }
    if (value.size() > kMaxCustomMetadataValueBytes) {
      return Invalid("custom_metadata",
                     absl::StrCat("a value is longer than ",
                                  kMaxCustomMetadataValueBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDeleteVersionAfter(absl::Duration d) {
  if (d < absl::ZeroDuration()) {
    return Invalid("delete_version_after", "negative");
  }
  if (d == absl::InfiniteDuration()) {
    return Invalid("delete_version_after", "infinite (use zero for never)");
  }
  return absl::OkStatus();
}

}  // namespace coffer::kv
