// Saving a state store to a snapshot file, receiving one in chunks
// (InstallSnapshot), and restoring one into a state store.
//
// The node's flows:
//   save:    it = state.NewIterator() (a consistent view at the applied
//            index); SaveSnapshot(path, header, key, *it); then
//            log.ApplySnapshot(header.Metadata()) and compaction.
//   install: SnapshotReceiver::Begin(path); Write(offset, chunk) per chunk;
//            Finish(verify) checks everything and renames into place;
//            RestoreSnapshot(path, verify, state); log.ApplySnapshot().
//   restore: an operator's file: RestoreSnapshot with force for another
//            cluster's snapshot (authorised by that cluster's key).
// Errors as in snapshot.h. Every failure leaves the store's existing data
// untouched. Blocking calls; thread-compatible.
#ifndef COFFER_LIB_SNAPSHOT_RESTORE_H_
#define COFFER_LIB_SNAPSHOT_RESTORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "snapshot/snapshot.h"
#include "storage/state_store.h"

namespace coffer::snapshot {

// Writes every record of `it` (from SeekToFirst) to a new snapshot at
// `path`. Returns the number of bytes written.
absl::StatusOr<uint64_t> SaveSnapshot(const std::string& path,
                                      const SnapshotHeader& header,
                                      absl::string_view mac_key,
                                      storage::StateIterator& it);

// How a received or restored snapshot is checked.
struct VerifyOptions {
  // The HMAC key of the cluster that wrote the snapshot. Required.
  std::string mac_key;
  // This node's cluster id; a snapshot of another cluster is refused with
  // kFailedPrecondition unless `force`.
  std::string cluster_id;
  // Accept another cluster's snapshot (force-restore). The HMAC is still
  // checked, with that cluster's key.
  bool force = false;
};

// Reads the whole file and checks framing, SHA-256, HMAC and cluster id.
// Returns its header.
absl::StatusOr<SnapshotHeader> VerifySnapshot(const std::string& path,
                                              const VerifyOptions& verify);

// Streams the snapshot at `path` into `store` through a StateRestore and
// commits it only once the trailer verified. Returns the snapshot's
// metadata (now store->snapshot()).
absl::StatusOr<raftpb::SnapshotMetadata> RestoreSnapshot(
    const std::string& path, const VerifyOptions& verify,
    storage::StateStore* store);

// Assembles a snapshot sent in chunks into `path` + ".partial"; the file
// appears at `path` only after Finish() verified it.
class SnapshotReceiver {
 public:
  // `max_bytes` bounds the file (kResourceExhausted beyond it).
  static absl::StatusOr<std::unique_ptr<SnapshotReceiver>> Begin(
      std::string path, uint64_t max_bytes);
  // Removes the partial file unless Finish() succeeded.
  ~SnapshotReceiver();
  SnapshotReceiver(const SnapshotReceiver&) = delete;
  SnapshotReceiver& operator=(const SnapshotReceiver&) = delete;

  // Appends `data`, which must start at `offset` == bytes received so far
  // (kInvalidArgument otherwise; a retransmitted chunk that was already
  // received is ignored).
  absl::Status Write(uint64_t offset, absl::string_view data);
  uint64_t received() const;

  // Syncs, verifies (see VerifySnapshot) and renames into place.
  absl::StatusOr<SnapshotHeader> Finish(const VerifyOptions& verify);

 private:
  SnapshotReceiver(std::string path, std::unique_ptr<FileWriter> file,
                   uint64_t max_bytes);

  const std::string path_;
  std::unique_ptr<FileWriter> file_;
  const uint64_t max_bytes_;
  bool finished_ = false;
};

}  // namespace coffer::snapshot

#endif  // COFFER_LIB_SNAPSHOT_RESTORE_H_
