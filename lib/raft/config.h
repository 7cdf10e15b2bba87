// Configuration of one raft core.
//
// Thread-safety: a value type.
#ifndef COFFER_LIB_RAFT_CONFIG_H_
#define COFFER_LIB_RAFT_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "raft/log_storage.h"

namespace coffer::raft {

// The source of election jitter. Deterministic and seeded in tests; this is
// never crypto randomness and must never reach a key or a nonce.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // A uniformly distributed value in [0, n). REQUIRES: n > 0.
  virtual uint64_t Uniform(uint64_t n) = 0;
};

// A small seeded generator (splitmix64), enough for election jitter.
class SeededRandom : public RandomSource {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Uniform(uint64_t n) override { return Next() % n; }

 private:
  uint64_t state_;
};

enum class ReadOnlyOption {
  // ReadIndex confirms leadership with a heartbeat round (thesis 6.4).
  kSafe,
  // Serve reads from the leader's lease (thesis 6.4.1). Relies on bounded
  // clock drift and on check_quorum; REQUIRES check_quorum.
  kLeaseBased,
};

struct Config {
  // This node's id. Valid range: >= 1.
  uint64_t id = 0;
  // Ticks without hearing from a leader before an election; each election
  // waits a random timeout in [election_tick, 2 * election_tick). Must be
  // greater than heartbeat_tick. Default 10.
  int election_tick = 10;
  // Ticks between leader heartbeats. Default 1.
  int heartbeat_tick = 1;
  // Borrowed; must outlive the core. REQUIRED.
  LogStorage* storage = nullptr;
  // Borrowed; must outlive the core. REQUIRED.
  RandomSource* random = nullptr;
  // Batching: the most entry bytes in one AppendEntries (at least one entry
  // is always sent). Default 1 MiB.
  uint64_t max_size_per_msg = 1 << 20;
  // The in-flight window per follower in kReplicate: messages, and bytes
  // (0: no byte limit). Defaults 256 and 0. max_inflight_msgs >= 1.
  size_t max_inflight_msgs = 256;
  uint64_t max_inflight_bytes = 0;
  // Bound on the payload bytes of proposals appended by this leader but not
  // yet committed; 0 means no bound. Proposals beyond it fail with
  // kResourceExhausted. Default 0.
  uint64_t max_uncommitted_entries_size = 0;
  // Bound on committed-entry bytes per Ready (at least one entry). 0 means
  // no bound. Default 0.
  uint64_t max_committed_size_per_ready = 0;
  // Size of one InstallSnapshot chunk. Default 1 MiB, >= 1.
  uint64_t max_snapshot_chunk_bytes = 1 << 20;
  // Thesis 9.6: campaign only after a pre-vote round would win. Default on.
  bool pre_vote = true;
  // Thesis 6.2: a leader steps down when it has not heard from a quorum
  // within an election timeout; followers that heard from a leader within
  // one ignore votes. Default on.
  bool check_quorum = true;
  ReadOnlyOption read_only_option = ReadOnlyOption::kSafe;
  // Until this node first learns of a leader (after Create), each election
  // waits a random [2 * election_tick, 4 * election_tick) instead of
  // [election_tick, 2 * election_tick): nodes of a cluster that start at
  // the same moment spread their first campaigns over a wider window, so
  // one usually wins before the others time out (no storm of elections).
  // Once a leader is known (heard from, or this node won), the usual
  // timeout applies at once. Default off.
  bool slow_first_election = false;
  // Used only when the storage is empty (a brand new cluster): the initial
  // voters, written as configuration entries at term 1. Leave empty on a
  // node that joins an existing cluster.
  std::vector<uint64_t> bootstrap_voters;

  // kInvalidArgument naming the first bad field.
  absl::Status Validate() const;
};

}  // namespace coffer::raft

#endif  // COFFER_LIB_RAFT_CONFIG_H_
