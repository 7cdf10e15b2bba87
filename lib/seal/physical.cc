#include "seal/physical.h"

#include "absl/strings/match.h"

namespace coffer::seal {

absl::StatusOr<std::optional<std::string>> MemoryPhysicalStore::Get(
    absl::string_view path) {
  auto it = data_.find(path);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

absl::Status MemoryPhysicalStore::Put(absl::string_view path,
                                      absl::string_view value) {
  data_.insert_or_assign(std::string(path), std::string(value));
  return absl::OkStatus();
}

absl::Status MemoryPhysicalStore::Delete(absl::string_view path) {
  auto it = data_.find(path);
  if (it != data_.end()) data_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemoryPhysicalStore::List(
    absl::string_view prefix) {
  std::vector<std::string> paths;
  for (auto it = data_.lower_bound(prefix);
       it != data_.end() && absl::StartsWith(it->first, prefix); ++it) {
    paths.push_back(it->first);
  }
  return paths;
}

}  // namespace coffer::seal
