// Recovery when quorum is lost for good: Vault's raft/peers.json.
//
// When a cluster lost a majority of its voters for good (their hosts and
// data are gone), the survivors cannot elect a leader. The operator stops
// every survivor, writes the same <data_dir>/peers.json into each one's
// data directory, listing the members of the recovered cluster, and starts
// them. At Open, before the raft core is built, RecoverFromPeersFile reads
// and checks the file, rewrites the stopped node's raft configuration to
// exactly those members (storage::LevelDbLog::ReplaceConfiguration: every
// committed entry is kept), logs it at kWarning, counts it in
// "raft.peers_recovered", and deletes the file. docs/design.md ("Recovery
// when quorum is lost for good") has the raft safety argument.
//
// The file, Vault's format with coffer's numeric ids:
//   [
//     {"id": "1", "address": "10.0.0.1:8201", "non_voter": false},
//     {"id": 2, "address": "10.0.0.2:8201"}
//   ]
//   id         the node id: a JSON integer or a string of decimal digits,
//              1 .. 2^63-1 (Vault's ids are strings; coffer's are numbers)
//   address    the peer address (NodeOptions::address), 1..1024 bytes; used
//              for members with no replicated address record
//   non_voter  optional, default false: the member is a learner
// No other key is accepted (a misspelt "non_voter" must not make a voter).
//
// Thread-safety: functions of the thread calling Node::Open.
#ifndef COFFER_LIB_NODE_RECOVER_H_
#define COFFER_LIB_NODE_RECOVER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/options.h"
#include "node/observer.h"
#include "storage/leveldb_log.h"

namespace coffer::node {

// The file's name in the data directory.
inline constexpr absl::string_view kPeersFileName = "peers.json";

struct RecoveryPeer {
  uint64_t id = 0;
  std::string address;
  bool non_voter = false;
};

// Parses the file's text. `path` only names the file in messages.
// kInvalidArgument "node: <path>:<line>:<column>: <reason>" for malformed
// JSON, a missing, misspelt or mistyped field, an id twice, an empty list
// or no voter.
absl::StatusOr<std::vector<RecoveryPeer>> ParsePeersFile(
    absl::string_view text, absl::string_view path);

// At Open, on the stopped node's freshly opened log: when
// <options.data_dir>/peers.json exists, recovers the configuration it
// lists and deletes it; returns the peers (std::nullopt without a file).
// Refuses to start, leaving the file and the storage as they were, with
// kInvalidArgument (a malformed file, see ParsePeersFile; a file that does
// not list options.id) or kFailedPrecondition (a node with no raft state: a
// new node joins the recovered cluster instead). Ids the log never named
// are accepted and logged. kUnavailable when the file cannot be read or,
// after the recovery was written, removed (the storage is recovered then;
// starting again with the same file is harmless). Blocks on disk I/O;
// calls the host's logger and metrics sink through `observer`.
absl::StatusOr<std::optional<std::vector<RecoveryPeer>>> RecoverFromPeersFile(
    const NodeOptions& options, storage::LevelDbLog* log,
    const Observer& observer);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_RECOVER_H_
