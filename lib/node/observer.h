// Observer: what a node tells the host's logger and metrics sink
// (coffer/observe.h).
//
// It owns what the hooks last reported, so that gauges are sent only when
// they change. Log lines hold ids, addresses, terms, indexes and status
// messages, never key material, shares, tokens or values: nothing here
// reads a request's payload.
//
// Thread-safety: loop-thread only (every hook runs on the loop thread).
#ifndef COFFER_LIB_NODE_OBSERVER_H_
#define COFFER_LIB_NODE_OBSERVER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coffer/observe.h"
#include "node/loop_state.h"
#include "node/request_pipeline.h"
#include "proto/raft.pb.h"
#include "raft/raft.h"

namespace coffer::node {

class Observer {
 public:
  // `loop` is borrowed and outlives the observer.
  explicit Observer(const LoopState* loop) : loop_(loop) {}
  Observer(const Observer&) = delete;
  Observer& operator=(const Observer&) = delete;

  // Hands "node <id>: <message>" to options.logger, if any.
  void Log(LogLevel level, absl::string_view message) const;
  void Count(absl::string_view name, uint64_t delta = 1) const;
  // The time since `start` (a LoopState::Now()).
  void Timing(absl::string_view name, absl::Time start) const;
  bool has_metrics() const { return loop_->options.metrics != nullptr; }

  // Local requests: wraps `done` to count the request and time it.
  Done ObserveRequest(Done done) const;
  // After each pass of the loop: reports seal changes and gauges.
  void ObserveLoop();
  // The core's soft state went from `prev` to `now`; `leader_address` is
  // the address of now.lead.
  void ObserveSoftState(const raft::SoftState& prev, const raft::SoftState& now,
                        absl::string_view leader_address) const;
  void ObserveConfChange(uint64_t index, const raftpb::ConfChange& cc) const;
  void ObserveSnapshot(bool installed, uint64_t index) const;

 private:
  const LoopState* const loop_;
  // What the hooks last reported.
  struct Observed {
    bool started = false;
    bool sealed = true;
    uint64_t term = 0;
    uint64_t commit = 0;
    uint64_t applied = 0;
    uint64_t last = 0;
    uint64_t apply_lag = UINT64_MAX;  // reported on the first pass
    bool leader = false;
  };
  Observed observed_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_OBSERVER_H_
