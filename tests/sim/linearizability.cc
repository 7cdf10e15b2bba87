#include "sim/linearizability.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace coffer::sim {
namespace {

class KeyChecker {
 public:
  explicit KeyChecker(std::vector<Operation> ops) : ops_(std::move(ops)) {
    std::sort(ops_.begin(), ops_.end(),
              [](const auto& a, const auto& b) { return a.invoke < b.invoke; });
    done_.assign(ops_.size(), false);
    for (const Operation& op : ops_)
      remaining_ += op.response != Operation::kPending;
  }

  bool Check() { return Search(""); }

 private:
  // Applies op to `state`; false when its recorded output contradicts it.
  static bool Apply(const Operation& op, std::string* state) {
    switch (op.kind) {
      case OpKind::kPut:
        *state = op.value;
        return true;
      case OpKind::kGet:
        return op.response == Operation::kPending || op.output == *state;
      case OpKind::kCas: {
        bool swap = *state == op.expected;
        if (op.response != Operation::kPending && swap != op.ok) return false;
        if (swap) *state = op.value;
        return true;
      }
    }
    return false;
  }

  bool Search(const std::string& state) {
    if (remaining_ == 0) return true;
    std::string key = Signature(state);
    if (!seen_.insert(key).second) return false;
    // Any op invoked before the earliest pending response may go next.
    uint64_t horizon = Operation::kPending;
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (!done_[i]) horizon = std::min(horizon, ops_[i].response);
    }
    for (size_t i = 0; i < ops_.size(); ++i) {
      if (done_[i]) continue;
      if (ops_[i].invoke > horizon) break;
      std::string next = state;
      if (!Apply(ops_[i], &next)) continue;
      done_[i] = true;
      bool completed = ops_[i].response != Operation::kPending;
      remaining_ -= completed;
      bool found = Search(next);
      remaining_ += completed;
      done_[i] = false;
      if (found) return true;
    }
    return false;
  }

  std::string Signature(const std::string& state) const {
    std::string s(done_.size() / 8 + 1, '\0');
    for (size_t i = 0; i < done_.size(); ++i) {
      if (done_[i]) s[i / 8] |= static_cast<char>(1 << (i % 8));
    }
    s += '|';
    s += state;
    return s;
  }

  std::vector<Operation> ops_;
  std::vector<bool> done_;
  size_t remaining_ = 0;
  std::set<std::string> seen_;
};

}  // namespace

std::string CheckLinearizable(const std::vector<Operation>& history) {
  std::map<std::string, std::vector<Operation>> by_key;
  for (const Operation& op : history) by_key[op.key].push_back(op);
  for (auto& [key, ops] : by_key) {
    size_t n = ops.size();
    if (!KeyChecker(std::move(ops)).Check()) {
      return "history of key '" + key + "' (" + std::to_string(n) +
             " operations) is not linearizable";
    }
  }
  return "";
}

}  // namespace coffer::sim
