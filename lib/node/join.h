// Joining, removal and autopilot: the records and the state a node keeps.
// docs/design.md ("Joining, removal and autopilot") has the protocol.
//
// Replicated records (written only by applying membership changes, so
// every replica derives them from the log alone):
//   node/removed/<id>      JoinRemovedRecord: a removed member; its id is
//                          never admitted again
//   node/voter-to-be/<id>  JoinVoterRecord: a learner added by Join, to be
//                          promoted by the leader once caught up
// Local record: <data_dir>/REMOVED, written (and fsynced) when this node
// learns it was removed; it keeps the node out of the cluster for good.
//
// Thread-safety: free functions are thread-safe; JoinState is loop-only.
#ifndef COFFER_LIB_NODE_JOIN_H_
#define COFFER_LIB_NODE_JOIN_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/peer.h"
#include "coffer/seal.h"
#include "crypto/secure_buffer.h"
#include "seal/barrier.h"
#include "seal/physical.h"
#include "seal/seal_manager.h"

namespace coffer::node {

inline constexpr absl::string_view kRemovedPrefix = "node/removed/";
inline constexpr absl::string_view kVoterToBePrefix = "node/voter-to-be/";
// The marker file of a removed node, in its data directory.
inline constexpr absl::string_view kRemovedMarker = "REMOVED";
// How long a join challenge stays valid.
inline constexpr int64_t kJoinChallengeTtlSeconds = 3600;

std::string RemovedKey(uint64_t id);
std::string VoterToBeKey(uint64_t id);
// The path the barrier binds a join challenge for node `id` to.
std::string JoinChallengePath(uint64_t id);

// The seal records a join challenge carries (lib/seal's stored paths):
// the seal configuration, the root key under the unseal key (Shamir) or
// wrapped by the Kms (auto), and the keyring under the root key.
inline constexpr absl::string_view kJoinSealRecords[] = {
    "core/seal-config", "core/root-key", "core/wrapped-root-key",
    seal::kKeyringPath};

// Writes the REMOVED marker durably (the file and its directory fsynced).
// kUnavailable on I/O errors.
absl::Status WriteRemovedMarker(const std::string& data_dir, uint64_t index);
bool RemovedMarkerExists(const std::string& data_dir);

// A join in progress on the joining node.
struct JoinState {
  enum class Phase {
    kAsking,        // asking the known peers for a challenge
    kAwaitingKeys,  // Shamir: waiting for the operator's unseal shares
    kAnswering,     // sending the answer until admitted
  };
  std::vector<Peer> peers;
  bool retry = false;  // retry_join: never gives up
  Phase phase = Phase::kAsking;
  uint64_t attempt = 0;    // random, != 0; echoed by responses
  uint64_t next_send = 0;  // tick of the next (re)send
  uint64_t backoff = 0;    // ticks of the current wait
  uint64_t deadline = 0;   // explicit Join: tick to give up asking
  uint64_t leader = 0;     // the leader hint, or the challenger
  std::function<void(absl::Status)> waiting;  // explicit Join's caller
  absl::Status last_error;
  // The challenge and the seal that opens it (a private in-memory copy of
  // the cluster's seal records).
  std::string ciphertext;
  std::unique_ptr<seal::MemoryPhysicalStore> store;
  std::unique_ptr<seal::Barrier> barrier;
  std::unique_ptr<seal::SealManager> seal;
  // Shamir: the shares counted in the current unseal attempt.
  std::vector<crypto::SecureBuffer> shares;
  crypto::SecureBuffer answer;  // the decrypted challenge
  // The SubmitUnsealKey call that answered, until admitted or refused.
  std::function<void(absl::StatusOr<SealStatus>)> unseal_waiting;
  uint64_t unseal_deadline = 0;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_JOIN_H_
