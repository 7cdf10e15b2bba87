#include "node/state_view.h"

#include <set>

#include "base/check.h"

namespace coffer::node {

absl::StatusOr<std::optional<std::string>> StateView::Get(
    absl::string_view path) {
  if (request_.has_value()) {
    auto it = request_->find(path);
    if (it != request_->end()) return it->second;
    for (auto f = in_flight_.rbegin(); f != in_flight_.rend(); ++f) {
      auto it = f->second.find(path);
      if (it != f->second.end()) return it->second;
    }
  }
  absl::StatusOr<std::string> v = state_->Get(path);
  if (absl::IsNotFound(v.status())) return std::nullopt;
  if (!v.ok()) return v.status();
  return std::optional<std::string>(*std::move(v));
}

absl::Status StateView::Put(absl::string_view path, absl::string_view value) {
  if (!request_.has_value()) {
    return absl::FailedPreconditionError(
        "node: a write outside a leader's request");
  }
  (*request_)[std::string(path)] = std::string(value);
  return absl::OkStatus();
}

absl::Status StateView::Delete(absl::string_view path) {
  if (!request_.has_value()) {
    return absl::FailedPreconditionError(
        "node: a write outside a leader's request");
  }
  (*request_)[std::string(path)] = std::nullopt;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> StateView::List(
    absl::string_view prefix) {
  std::set<std::string, std::less<>> paths;
  absl::Status s = storage::ScanPrefix(
      *state_, prefix, [&](absl::string_view key, absl::string_view) {
        paths.emplace(key);
        return true;
      });
  if (!s.ok()) return s;
  auto overlay = [&](const Overlay& o) {
    for (auto it = o.lower_bound(prefix);
         it != o.end() &&
         absl::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it) {
      if (it->second.has_value()) {
        paths.insert(it->first);
      } else {
        paths.erase(it->first);
      }
    }
  };
  if (request_.has_value()) {
    for (const auto& f : in_flight_) overlay(f.second);
    overlay(*request_);
  }
  return std::vector<std::string>(paths.begin(), paths.end());
}

void StateView::BeginRequest() {
  COFFER_CHECK(!request_.has_value());
  request_.emplace();
}

storage::WriteSet StateView::EndRequest() {
  COFFER_CHECK(request_.has_value());
  storage::WriteSet out;
  for (auto& [path, value] : *request_) {
    if (value.has_value()) {
      out.Put(path, *value);
    } else {
      out.Delete(path);
    }
  }
  request_.reset();
  return out;
}

void StateView::AddInFlight(uint64_t index, const storage::WriteSet& writes) {
  COFFER_CHECK(in_flight_.empty() || in_flight_.back().first < index);
  Overlay o;
  for (const storage::WriteSet::Op& op : writes.ops()) o[op.key] = op.value;
  in_flight_.emplace_back(index, std::move(o));
}

void StateView::ReleaseInFlight(uint64_t applied) {
  while (!in_flight_.empty() && in_flight_.front().first <= applied) {
    in_flight_.pop_front();
  }
}

}  // namespace coffer::node
