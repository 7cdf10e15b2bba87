// The C ABI of coffer::Node: open and close, frames, membership, the seal
// and raw paths. KV calls are in kv.cc.
#include "capi/node.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "capi/internal.h"

namespace coffer::capi {

void CallbackTransport::Send(uint64_t to, const std::string& address,
                             std::string frame) {
  send_(user_data_, to, address.c_str(), frame.data(), frame.size());
}

CallbackKms::CallbackKms(const coffer_kms_t& kms)
    : type_(kms.type),
      key_id_(kms.key_id),
      wrap_(kms.wrap),
      unwrap_(kms.unwrap),
      user_data_(kms.user_data) {}

absl::StatusOr<std::string> CallbackKms::Wrap(absl::string_view key_id,
                                              absl::string_view plaintext) {
  return Call(wrap_, "kms wrap", key_id, plaintext);
}

absl::StatusOr<std::string> CallbackKms::Unwrap(absl::string_view key_id,
                                                absl::string_view ciphertext) {
  return Call(unwrap_, "kms unwrap", key_id, ciphertext);
}

absl::StatusOr<std::string> CallbackKms::Call(coffer_kms_fn fn,
                                              const char* what,
                                              absl::string_view key_id,
                                              absl::string_view input) {
  std::string id(key_id);
  coffer_sink_t sink;
  int rc = fn(user_data_, &sink, id.c_str(), input.data(), input.size());
  if (rc == COFFER_OK) return std::move(sink.data);
  Wipe(sink.data);
  return CallbackError(rc, what);
}

absl::StatusOr<std::vector<Peer>> ToPeers(const coffer_peer_t* peers,
                                          size_t num_peers, const char* what) {
  if (num_peers > 0) COFFER_RETURN_IF_ERROR(NotNull(peers, what));
  std::vector<Peer> list;
  for (size_t i = 0; i < num_peers; ++i) {
    if (peers[i].address == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("capi: ", what, "[", i, "].address is NULL"));
    }
    list.push_back(Peer{peers[i].id, peers[i].address});
  }
  return list;
}

absl::StatusOr<std::unique_ptr<CallbackKms>> MakeKms(const coffer_kms_t* kms,
                                                     const char* what) {
  coffer_kms_t k;
  coffer_kms_t none{};
  none.struct_size = sizeof(none);
  COFFER_RETURN_IF_ERROR(ReadVersioned(kms, &k, none, what));
  const char* missing = k.type == nullptr     ? "type"
                        : k.key_id == nullptr ? "key_id"
                        : k.wrap == nullptr   ? "wrap"
                        : k.unwrap == nullptr ? "unwrap"
                                              : nullptr;
  if (missing != nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("capi: ", what, "->", missing, " is NULL"));
  }
  return std::make_unique<CallbackKms>(k);
}

void CallbackLogger::Log(LogLevel level, absl::string_view message) {
  std::string line(message);
  log_(user_data_, static_cast<int>(level), line.c_str(), line.size());
}

void CallbackMetrics::Counter(absl::string_view name, uint64_t delta) {
  std::string n(name);
  fn_(user_data_, COFFER_METRIC_COUNTER, n.c_str(), static_cast<double>(delta));
}

void CallbackMetrics::Gauge(absl::string_view name, double value) {
  std::string n(name);
  fn_(user_data_, COFFER_METRIC_GAUGE, n.c_str(), value);
}

void CallbackMetrics::Timing(absl::string_view name, absl::Duration d) {
  std::string n(name);
  fn_(user_data_, COFFER_METRIC_TIMING, n.c_str(), absl::ToDoubleSeconds(d));
}

namespace {

void FillSealStatus(Result<coffer_seal_status_t>& out,
                    const absl::StatusOr<SealStatus>& status) {
  if (!status.ok() || !out.wanted()) return;
  const SealStatus& s = *status;
  coffer_seal_status_t* r = out.get();
  r->type = CopyBytes(s.type);
  r->initialized = s.initialized;
  r->sealed = s.sealed;
  r->threshold = s.threshold;
  r->shares = s.shares;
  r->progress = s.progress;
  r->nonce = CopyBytes(s.nonce);
  r->version = CopyBytes(s.version);
  r->migration = s.migration;
  r->recovery_seal = s.recovery_seal;
  r->removed_from_cluster = s.removed_from_cluster;
}

coffer_node_options_t DefaultNodeOptions() {
  coffer::NodeOptions d;
  coffer_node_options_t o{};
  o.struct_size = sizeof(o);
  o.tick_ns = absl::ToInt64Nanoseconds(d.tick);
  o.election_ticks = d.election_ticks;
  o.heartbeat_ticks = d.heartbeat_ticks;
  o.request_timeout_ns = absl::ToInt64Nanoseconds(d.request_timeout);
  o.sync = d.sync;
  o.max_entry_bytes = d.max_entry_bytes;
  o.max_pending = d.max_pending;
  o.snapshot_threshold = d.snapshot_threshold;
  o.pre_vote = d.pre_vote;
  o.check_quorum = d.check_quorum;
  o.random_seed = d.random_seed;
  o.retry_join_interval_ns = absl::ToInt64Nanoseconds(d.retry_join_interval);
  o.cleanup_dead_servers = d.cleanup_dead_servers;
  o.dead_server_last_contact_threshold_ns =
      absl::ToInt64Nanoseconds(d.dead_server_last_contact_threshold);
  o.min_quorum = d.min_quorum;
  o.mlock = d.mlock;
  o.trailing_logs = d.trailing_logs;
  o.key_rotation_max_operations = d.key_rotation_max_operations;
  return o;
}

// coffer_node_open's work: the C options to a node and its callbacks.
absl::StatusOr<std::unique_ptr<coffer_node>> OpenNode(
    const coffer_node_options_t* options) {
  coffer_node_options_t o;
  COFFER_RETURN_IF_ERROR(
      ReadVersioned(options, &o, DefaultNodeOptions(), "options"));
  // The C++ options validate everything else and name the field.
  COFFER_RETURN_IF_ERROR(NotNull(o.send, "options->send"));
  auto handle = std::make_unique<coffer_node>();
  handle->transport =
      std::make_unique<CallbackTransport>(o.send, o.send_user_data);
  coffer::NodeOptions n;
  n.id = o.id;
  if (o.address != nullptr) n.address = o.address;
  if (o.data_dir != nullptr) n.data_dir = o.data_dir;
  n.transport = handle->transport.get();
  if (o.kms != nullptr) {
    COFFER_ASSIGN_OR_RETURN(handle->kms, MakeKms(o.kms, "options->kms"));
    n.kms = handle->kms.get();
  }
  n.tick = absl::Nanoseconds(o.tick_ns);
  n.election_ticks = o.election_ticks;
  n.heartbeat_ticks = o.heartbeat_ticks;
  n.request_timeout = absl::Nanoseconds(o.request_timeout_ns);
  n.sync = o.sync != 0;
  n.max_entry_bytes = o.max_entry_bytes;
  n.max_pending = o.max_pending;
  n.snapshot_threshold = o.snapshot_threshold;
  n.pre_vote = o.pre_vote != 0;
  n.check_quorum = o.check_quorum != 0;
  n.random_seed = o.random_seed;
  COFFER_ASSIGN_OR_RETURN(n.retry_join, ToPeers(o.retry_join, o.num_retry_join,
                                                "options->retry_join"));
  n.retry_join_interval = absl::Nanoseconds(o.retry_join_interval_ns);
  n.cleanup_dead_servers = o.cleanup_dead_servers != 0;
  n.dead_server_last_contact_threshold =
      absl::Nanoseconds(o.dead_server_last_contact_threshold_ns);
  n.min_quorum = o.min_quorum;
  if (o.migrate_from_kms != nullptr) {
    COFFER_ASSIGN_OR_RETURN(
        handle->migrate_from_kms,
        MakeKms(o.migrate_from_kms, "options->migrate_from_kms"));
    n.migrate_from_kms = handle->migrate_from_kms.get();
  }
  n.mlock = o.mlock != 0;
  if (o.log != nullptr) {
    handle->logger = std::make_unique<CallbackLogger>(o.log, o.log_user_data);
    n.logger = handle->logger.get();
  }
  if (o.metric != nullptr) {
    handle->metrics =
        std::make_unique<CallbackMetrics>(o.metric, o.metric_user_data);
    n.metrics = handle->metrics.get();
  }
  n.trailing_logs = o.trailing_logs;
  n.key_rotation_max_operations = o.key_rotation_max_operations;
  if (o.audit != nullptr) {
    n.audit_callback = [fn = o.audit, user_data = o.audit_user_data](
                           absl::string_view record) -> absl::Status {
      const std::string copy(record);  // NUL-terminated, as promised
      const int rc = fn(user_data, copy.c_str(), copy.size());
      return rc == COFFER_OK ? absl::OkStatus() : CallbackError(rc, "audit");
    };
  }
  COFFER_ASSIGN_OR_RETURN(handle->node, coffer::Node::Open(n));
  return handle;
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;

extern "C" {

void coffer_node_options_init(coffer_node_options_t* options,
                              size_t struct_size) {
  InitSized(options, struct_size, DefaultNodeOptions());
}

int coffer_node_open(coffer_node_t** out,
                     const coffer_node_options_t* options) {
  // Not a Result: the handle is a C++ object, released by coffer_node_close.
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(out, "out"));
    COFFER_ASSIGN_OR_RETURN(std::unique_ptr<coffer_node> handle,
                            OpenNode(options));
    *out = handle.release();
    return absl::OkStatus();
  });
}

int coffer_node_shutdown(coffer_node_t* node) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    n.Close();
    return absl::OkStatus();
  });
}

void coffer_node_close(coffer_node_t* node) {
  if (node == nullptr) return;
  node->node->Close();
  delete node;
}

int coffer_node_receive(coffer_node_t* node, const void* frame,
                        size_t frame_len) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    if (frame == nullptr && frame_len != 0) return NotNull(frame, "frame");
    n.Receive(absl::string_view(
        frame == nullptr ? "" : static_cast<const char*>(frame), frame_len));
    return absl::OkStatus();
  });
}

int coffer_node_bootstrap(coffer_node_t* node, const coffer_peer_t* peers,
                          size_t num_peers) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(std::vector<coffer::Peer> list,
                            ToPeers(peers, num_peers, "peers"));
    return n.Bootstrap(list);
  });
}

int coffer_node_join(coffer_node_t* node, const coffer_peer_t* known_peers,
                     size_t num_known_peers) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(
        std::vector<coffer::Peer> peers,
        ToPeers(known_peers, num_known_peers, "known_peers"));
    return n.Join(peers);
  });
}

int coffer_node_add_peer(coffer_node_t* node, const char* token, uint64_t id,
                         const char* address, int voter) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(address, "address"));
    return n.AddPeer(AsCaller(token), id, address, voter != 0);
  });
}

int coffer_node_remove_peer(coffer_node_t* node, const char* token,
                            uint64_t id) {
  return RunOnNode(node,
                   [&](Node& n) { return n.RemovePeer(AsCaller(token), id); });
}

int coffer_node_leader(coffer_node_t* node, coffer_leader_info_t** out) {
  return RunOnNode(
      node, Result(out, coffer_leader_info_free),
      [&](Node& n, Result<coffer_leader_info_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(coffer::LeaderInfo info, n.Leader());
        r->ha_enabled = info.ha_enabled;
        r->is_self = info.is_self;
        r->leader_id = info.leader_id;
        r->leader_address = CopyBytes(info.leader_address);
        r->term = info.term;
        return absl::OkStatus();
      });
}

void coffer_leader_info_free(coffer_leader_info_t* info) {
  if (info == nullptr) return;
  coffer_free(info->leader_address);
  coffer_free(info);
}

int coffer_node_list_peers(coffer_node_t* node, const char* token,
                           coffer_peer_list_t** out) {
  return RunOnNode(
      node, Result(out, coffer_peer_list_free),
      [&](Node& n, Result<coffer_peer_list_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(std::vector<coffer::PeerInfo> peers,
                                n.ListPeers(AsCaller(token)));
        r->peers = NewArray<coffer_peer_info_t*>(peers.size());
        r->num_peers = peers.size();
        for (size_t i = 0; i < peers.size(); ++i) {
          coffer_peer_info_t* p = r->peers[i] = New<coffer_peer_info_t>();
          p->id = peers[i].id;
          p->address = CopyBytes(peers[i].address);
          p->state = CopyBytes(peers[i].state);
          p->voter = peers[i].voter;
          p->match_index = peers[i].match_index;
          p->last_contact_ns = absl::ToInt64Nanoseconds(peers[i].last_contact);
        }
        return absl::OkStatus();
      });
}

void coffer_peer_list_free(coffer_peer_list_t* list) {
  if (list == nullptr) return;
  FreeArray(
      list->peers, list->num_peers, +[](coffer_peer_info_t* p) {
        if (p == nullptr) return;
        coffer_free(p->address);
        coffer_free(p->state);
        coffer_free(p);
      });
  coffer_free(list);
}

int coffer_node_initialize(coffer_node_t* node, coffer_init_result_t** out,
                           int secret_shares, int secret_threshold,
                           int recovery_shares, int recovery_threshold) {
  return RunOnNode(
      node, Result(out, coffer_init_result_free),
      [&](Node& n, Result<coffer_init_result_t>& r) -> absl::Status {
        coffer::InitializeOptions options;
        options.secret_shares = secret_shares;
        options.secret_threshold = secret_threshold;
        options.recovery_shares = recovery_shares;
        options.recovery_threshold = recovery_threshold;
        COFFER_ASSIGN_OR_RETURN(coffer::InitializeResult init,
                                n.Initialize(options));
        WipeOnExit<std::vector<std::string>> wipe_keys(init.keys);
        WipeOnExit<std::vector<std::string>> wipe_recovery(init.recovery_keys);
        WipeOnExit<std::string> wipe_token(init.root_token);
        r->keys = NewStringArray(init.keys);
        r->num_keys = init.keys.size();
        r->recovery_keys = NewStringArray(init.recovery_keys);
        r->num_recovery_keys = init.recovery_keys.size();
        r->root_token = CopyBytes(init.root_token);
        return absl::OkStatus();
      });
}

void coffer_init_result_free(coffer_init_result_t* result) {
  if (result == nullptr) return;
  FreeArray(result->keys, result->num_keys, FreeBytes);
  FreeArray(result->recovery_keys, result->num_recovery_keys, FreeBytes);
  coffer_free(result->root_token);
  coffer_free(result);
}

int coffer_node_unseal(coffer_node_t* node, coffer_seal_status_t** out,
                       const void* share, size_t share_len) {
  return RunOnNode(
      node,
      Result(out, coffer_seal_status_free,
             Result<coffer_seal_status_t>::kOptional),
      [&](Node& n, Result<coffer_seal_status_t>& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(NotNull(share, "share"));
        absl::StatusOr<coffer::SealStatus> status = n.SubmitUnsealKey(
            absl::string_view(static_cast<const char*>(share), share_len));
        FillSealStatus(r, status);
        return status.status();
      });
}

int coffer_node_seal(coffer_node_t* node, const char* token) {
  return RunOnNode(node, [&](Node& n) { return n.Seal(AsCaller(token)); });
}

int coffer_node_seal_status(coffer_node_t* node, coffer_seal_status_t** out) {
  return RunOnNode(
      node, Result(out, coffer_seal_status_free),
      [&](Node& n, Result<coffer_seal_status_t>& r) -> absl::Status {
        absl::StatusOr<coffer::SealStatus> status = n.GetSealStatus();
        FillSealStatus(r, status);
        return status.status();
      });
}

void coffer_seal_status_free(coffer_seal_status_t* status) {
  if (status == nullptr) return;
  coffer_free(status->type);
  coffer_free(status->nonce);
  coffer_free(status->version);
  coffer_free(status);
}

int coffer_node_put_raw(coffer_node_t* node, const char* token,
                        const char* path, const void* value, size_t value_len) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    if (value == nullptr && value_len != 0) return NotNull(value, "value");
    return n.PutRaw(AsCaller(token), path,
                    absl::string_view(
                        value == nullptr ? "" : static_cast<const char*>(value),
                        value_len));
  });
}

int coffer_node_get_raw(coffer_node_t* node, const char* token, char** out,
                        size_t* out_len, const char* path, int consistency) {
  return RunOnNode(
      node, Bytes(out, out_len), [&](Node& n, Bytes& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
        COFFER_RETURN_IF_ERROR(CheckConsistency(consistency));
        COFFER_ASSIGN_OR_RETURN(
            std::string value,
            n.GetRaw(AsCaller(token), path,
                     static_cast<coffer::ReadConsistency>(consistency)));
        r.Set(value);
        return absl::OkStatus();
      });
}

int coffer_node_delete_raw(coffer_node_t* node, const char* token,
                           const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return n.DeleteRaw(AsCaller(token), path);
  });
}

}  // extern "C"
