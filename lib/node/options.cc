#include "node/options.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace coffer::node {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view rule) {
  return absl::InvalidArgumentError(
      absl::StrCat("node: options.", field, " ", rule));
}

}  // namespace

absl::Status ValidateOptions(const NodeOptions& o) {
  if (o.id == 0) return Bad("id", "must be >= 1");
  if (o.address.empty() || o.address.size() > 1024) {
    return Bad("address", "must have 1..1024 bytes");
  }
  if (o.data_dir.empty()) return Bad("data_dir", "is required");
  if (o.transport == nullptr) return Bad("transport", "is required");
  if (o.tick < absl::Milliseconds(1) || o.tick > absl::Seconds(10)) {
    return Bad("tick", "must be within 1ms..10s");
  }
  if (o.heartbeat_ticks < 1 || o.heartbeat_ticks > 1000) {
    return Bad("heartbeat_ticks", "must be within 1..1000");
  }
  if (o.election_ticks <= o.heartbeat_ticks || o.election_ticks > 10000) {
    return Bad("election_ticks",
               "must exceed heartbeat_ticks and be at most 10000");
  }
  if (o.request_timeout < absl::Milliseconds(1) ||
      o.request_timeout > absl::Hours(1)) {
    return Bad("request_timeout", "must be within 1ms..1h");
  }
  if (o.max_entry_bytes < 1024 || o.max_entry_bytes > (uint64_t{64} << 20)) {
    return Bad("max_entry_bytes", "must be within 1 KiB..64 MiB");
  }
  if (o.max_pending < 1 || o.max_pending > 1000000) {
    return Bad("max_pending", "must be within 1..1000000");
  }
  if (o.snapshot_threshold != 0 &&
      (o.snapshot_threshold < 16 ||
       o.snapshot_threshold > (uint64_t{1} << 32))) {
    return Bad("snapshot_threshold", "must be 0 or within 16..2^32");
  }
  if (o.key_rotation_max_operations < 64 ||
      o.key_rotation_max_operations > (uint64_t{1} << 32)) {
    return Bad("key_rotation_max_operations", "must be within 64..2^32");
  }
  std::set<uint64_t> join_ids;
  for (const Peer& p : o.retry_join) {
    if (p.id == 0 || p.id == o.id || !join_ids.insert(p.id).second) {
      return Bad("retry_join",
                 "needs distinct ids >= 1 other than this node's id");
    }
    if (p.address.empty() || p.address.size() > 1024) {
      return Bad("retry_join", "needs addresses of 1..1024 bytes");
    }
  }
  if (o.retry_join_interval < absl::Milliseconds(1) ||
      o.retry_join_interval > absl::Hours(1)) {
    return Bad("retry_join_interval", "must be within 1ms..1h");
  }
  if (o.dead_server_last_contact_threshold < absl::Milliseconds(1) ||
      o.dead_server_last_contact_threshold > absl::Hours(24 * 30) ||
      o.dead_server_last_contact_threshold <= o.tick * o.election_ticks) {
    return Bad("dead_server_last_contact_threshold",
               "must be within 1ms..30 days and exceed the election timeout "
               "(election_ticks * tick)");
  }
  if (o.min_quorum < 1 || o.min_quorum > 1000) {
    return Bad("min_quorum", "must be within 1..1000");
  }
  if (o.trailing_logs > (uint64_t{1} << 32)) {
    return Bad("trailing_logs", "must be within 0..2^32");
  }
  if (o.migrate_from_kms != nullptr && o.migrate_from_kms == o.kms) {
    return Bad("migrate_from_kms", "must differ from options.kms");
  }
  return absl::OkStatus();
}

}  // namespace coffer::node
