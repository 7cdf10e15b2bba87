#include "kv/txn.h"

#include <utility>

#include "absl/strings/match.h"
#include "base/status_macros.h"

namespace coffer::kv {

BufferedTxn::BufferedTxn(Reader* base) : base_(base) {}

absl::StatusOr<std::optional<std::string>> BufferedTxn::Get(
    absl::string_view key) {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return base_->Get(key);
}

absl::StatusOr<std::vector<std::string>> BufferedTxn::List(
    absl::string_view prefix) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> base_keys,
                          base_->List(prefix));
  // Merge two sorted sequences: the base's keys and the buffered writes
  // under the prefix. A buffered put adds its key; a buffered delete hides it.
  std::vector<std::string> keys;
  keys.reserve(base_keys.size());
  auto w = writes_.lower_bound(prefix);
  auto in_prefix = [&] {
    return w != writes_.end() && absl::StartsWith(w->first, prefix);
  };
  for (std::string& key : base_keys) {
    for (; in_prefix() && w->first < key; ++w) {
      if (w->second.has_value()) keys.push_back(w->first);
    }
    if (in_prefix() && w->first == key) {
      if (w->second.has_value()) keys.push_back(std::move(key));
      ++w;
      continue;
    }
    keys.push_back(std::move(key));
  }
  for (; in_prefix(); ++w) {
    if (w->second.has_value()) keys.push_back(w->first);
  }
  return keys;
}

void BufferedTxn::Put(absl::string_view key, absl::string_view value) {
  writes_.insert_or_assign(std::string(key), std::string(value));
}

void BufferedTxn::Delete(absl::string_view key) {
  writes_.insert_or_assign(std::string(key), std::nullopt);
}

WriteSet BufferedTxn::writes() const {
  WriteSet out;
  out.reserve(writes_.size());
  for (const auto& [key, value] : writes_) out.push_back({key, value});
  return out;
}

WriteSet BufferedTxn::TakeWrites() {
  WriteSet out = writes();
  writes_.clear();
  return out;
}

absl::StatusOr<std::optional<std::string>> MemoryStore::Get(
    absl::string_view key) {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<std::string>> MemoryStore::List(
    absl::string_view prefix) {
  std::vector<std::string> keys;
  for (auto it = data_.lower_bound(prefix);
       it != data_.end() && absl::StartsWith(it->first, prefix); ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

void MemoryStore::Apply(const WriteSet& writes) {
  for (const Write& w : writes) {
    if (w.value.has_value()) {
      data_.insert_or_assign(w.key, *w.value);
    } else {
      data_.erase(w.key);
    }
  }
}

WriteSet MemoryTxn::Commit() {
  WriteSet out = TakeWrites();
  store_->Apply(out);
  return out;
}

}  // namespace coffer::kv
