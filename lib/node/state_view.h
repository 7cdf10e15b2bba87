// StateView: the physical store that a node's seal and barrier see, and the
// one place where a request's logical work becomes replicated writes.
//
// As in Vault with integrated storage, the replicated state machine is a dumb
// physical key/value store (storage::StateStore). Logical work (seal,
// barrier, later the KV engine) runs only on the leader, one request at a
// time on the event loop, against this view:
//
//   reads  inside a request see the request's own writes, then the writes
//          this leader proposed but has not applied yet (newer shadowing
//          older), then the applied state; outside a request they see the
//          applied state alone (what a read may return: it is committed);
//   writes are captured between BeginRequest and EndRequest and come out as
//          the storage::WriteSet the node proposes; outside a request they
//          fail (kFailedPrecondition): nothing changes state but the log.
//
// Reading the in-flight writes lets a leader run the next request before
// the previous one commits, without losing its effects (read-modify-write
// stays serial). That is safe because a leader's entries commit in log
// order: if an earlier one is lost, so is every later one that read it, and
// their callers see an error, never a state that was not committed.
//
// Thread-safety: loop-thread only (thread-compatible).
#ifndef COFFER_LIB_NODE_STATE_VIEW_H_
#define COFFER_LIB_NODE_STATE_VIEW_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "seal/physical.h"
#include "storage/state_store.h"

namespace coffer::node {

class StateView final : public seal::PhysicalStore {
 public:
  // `state` is borrowed and must outlive the view.
  explicit StateView(storage::StateStore* state) : state_(state) {}

  absl::StatusOr<std::optional<std::string>> Get(
      absl::string_view path) override;
  absl::Status Put(absl::string_view path, absl::string_view value) override;
  absl::Status Delete(absl::string_view path) override;
  absl::StatusOr<std::vector<std::string>> List(
      absl::string_view prefix) override;

  // Starts capturing one request's writes. REQUIRES: !in_request().
  void BeginRequest();
  // Ends the request; returns its writes, one per path, in path order.
  // REQUIRES: in_request().
  storage::WriteSet EndRequest();
  bool in_request() const { return request_.has_value(); }

  // Makes `writes`, proposed at log index `index`, visible to later reads
  // until ReleaseInFlight passes that index. REQUIRES: indexes increase.
  void AddInFlight(uint64_t index, const storage::WriteSet& writes);
  // Drops in-flight writes at or below `applied` (now in the state).
  void ReleaseInFlight(uint64_t applied);
  // Drops every in-flight write (this node stopped being the leader).
  void ClearInFlight() { in_flight_.clear(); }
  size_t in_flight() const { return in_flight_.size(); }

 private:
  // nullopt value: deleted.
  using Overlay =
      std::map<std::string, std::optional<std::string>, std::less<>>;

  storage::StateStore* const state_;
  std::optional<Overlay> request_;
  // Invariant: indexes strictly increase from front to back.
  std::deque<std::pair<uint64_t, Overlay>> in_flight_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_STATE_VIEW_H_
