// KvService: the KV version 2 secrets engine of a node.
//
// It owns the engine (lib/kv, stateless) and the translation between the
// public KV types (coffer/kv.h) and the op that carries a KV call through
// the request pipeline (nodepb::KvOp in, nodepb::KvResult out).
//
//   Caller threads: the public KV calls. Each builds its KvOp, hands it to
//     the node's Submit function (the pipeline: forwarded to the leader,
//     or a stale read on this node) and reads the typed result.
//   Loop thread: Run, the engine over the barrier, on the leader for a
//     write (inside a StateView request, so that its records become the
//     request's proposed writes) and on any node for a read.
//
// The engine reads and writes plaintext logical records through a kv::Txn.
// Here the txn's reads decrypt through the barrier over the StateView (so a
// leader's request sees its in-flight writes), and its buffered writes are
// encrypted by the barrier into the StateView request, exactly as PutRaw's
// value.
//
// Thread-safety: the public KV calls are thread-safe (they only call
// `submit`); Run is loop-thread only.
#ifndef COFFER_LIB_NODE_KV_SERVICE_H_
#define COFFER_LIB_NODE_KV_SERVICE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "coffer/auth.h"
#include "coffer/kv.h"
#include "coffer/node.h"
#include "kv/engine.h"
#include "proto/node.pb.h"
#include "seal/barrier.h"

namespace coffer::node {

class KvService {
 public:
  // Runs a KV op for a caller and returns its result: a stale read on
  // this node's applied state, anything else through the pipeline.
  using Submit = std::function<absl::StatusOr<nodepb::KvResult>(
      nodepb::KvOp op, const Caller& caller, ReadConsistency consistency)>;

  // `barrier` is borrowed and outlives the service.
  KvService(const NodeOptions& options, Submit submit, seal::Barrier* barrier);
  KvService(const KvService&) = delete;
  KvService& operator=(const KvService&) = delete;

  // Loop thread: runs `op` with the engine over the barrier, at the time
  // `now` (the leader's time for a write).
  // Its writes go through the barrier (Barrier::Put), so the barrier must
  // be in a StateView request for a write.
  absl::StatusOr<nodepb::KvResult> Run(const nodepb::KvOp& op,
                                       absl::Time now) const;
  // Loop thread: whether the record a PUT or WRITE_METADATA writes exists
  // already (Vault's existence check: update is needed then, create
  // suffices otherwise). False for an absent mount.
  absl::StatusOr<bool> Exists(const nodepb::KvOp& op) const;

  // The public KV calls (coffer::Node's, with its contracts).
  absl::Status EnableMount(const Caller& caller, absl::string_view path,
                           const MountConfig& config);
  absl::Status DisableMount(const Caller& caller, absl::string_view path);
  absl::Status TuneMount(const Caller& caller, absl::string_view path,
                         const MountConfigUpdate& update);
  absl::StatusOr<std::vector<MountInfo>> ListMounts(
      const Caller& caller, ReadConsistency consistency);
  absl::StatusOr<MountInfo> FindMount(const Caller& caller,
                                      absl::string_view path,
                                      ReadConsistency consistency);
  absl::StatusOr<VersionMetadata> Put(const Caller& caller,
                                      absl::string_view mount,
                                      absl::string_view path,
                                      const SecretData& data,
                                      const WriteOptions& options);
  absl::StatusOr<KvReadResult> Get(const Caller& caller,
                                   absl::string_view mount,
                                   absl::string_view path, uint64_t version,
                                   ReadConsistency consistency);
  absl::StatusOr<VersionMetadata> Patch(const Caller& caller,
                                        absl::string_view mount,
                                        absl::string_view path,
                                        const SecretPatch& patch,
                                        const WriteOptions& options);
  absl::Status Delete(const Caller& caller, absl::string_view mount,
                      absl::string_view path);
  absl::Status DeleteVersions(const Caller& caller, absl::string_view mount,
                              absl::string_view path,
                              const std::vector<uint64_t>& versions);
  absl::Status Undelete(const Caller& caller, absl::string_view mount,
                        absl::string_view path,
                        const std::vector<uint64_t>& versions);
  absl::Status Destroy(const Caller& caller, absl::string_view mount,
                       absl::string_view path,
                       const std::vector<uint64_t>& versions);
  absl::StatusOr<KeyMetadata> ReadMetadata(const Caller& caller,
                                           absl::string_view mount,
                                           absl::string_view path,
                                           ReadConsistency consistency);
  absl::Status WriteMetadata(const Caller& caller, absl::string_view mount,
                             absl::string_view path,
                             const KeyMetadataUpdate& update);
  absl::Status DeleteMetadata(const Caller& caller, absl::string_view mount,
                              absl::string_view path);
  absl::StatusOr<std::vector<std::string>> List(const Caller& caller,
                                                absl::string_view mount,
                                                absl::string_view folder,
                                                ReadConsistency consistency);

 private:
  // A write: linearizable, through the pipeline.
  absl::StatusOr<nodepb::KvResult> Write(const Caller& caller,
                                         nodepb::KvOp op) {
    return submit_(std::move(op), caller, ReadConsistency::kLinearizable);
  }

  const kv::Engine engine_;
  const Submit submit_;
  seal::Barrier* const barrier_;
};

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_KV_SERVICE_H_
