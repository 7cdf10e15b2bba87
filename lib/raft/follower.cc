// The follower: AppendEntries and heartbeats (Figure 2, receiver rules) and
// InstallSnapshot received in chunks (Figure 13).
#include <algorithm>
#include <utility>

#include "base/check.h"
#include "raft/raft.h"

namespace coffer::raft {

void Raft::HandleAppendEntries(raftpb::Message& m) {
  raftpb::Message r;
  r.set_type(raftpb::MSG_APP_RESP);
  r.set_to(m.from());
  if (m.index() < log_.committed()) {
    // Everything up to our commit index matches already (5.4).
    r.set_index(log_.committed());
    Send(std::move(r));
    return;
  }
  if (std::optional<uint64_t> last = log_.MaybeAppend(
          m.index(), m.log_term(), m.commit(), m.mutable_entries())) {
    r.set_index(*last);
    Send(std::move(r));
    return;
  }
  // Figure 2, receiver step 2: reject. Paper 5.3 (end) suggests returning
  // the conflicting term; we return the highest index that may match, and
  // its term, so the leader can skip every entry of a conflicting term.
  uint64_t hint = std::min(m.index(), log_.LastIndex());
  auto [hint_index, hint_term] = log_.FindConflictByTerm(hint, m.log_term());
  r.set_index(m.index());
  r.set_reject(true);
  r.set_reject_hint(hint_index);
  r.set_log_term(hint_term);
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const raftpb::Message& m) {
  // The leader never sends a commit index above our match index.
  log_.CommitTo(std::min(m.commit(), log_.LastIndex()));
  raftpb::Message r;
  r.set_type(raftpb::MSG_HEARTBEAT_RESP);
  r.set_to(m.from());
  r.set_context(m.context());
  Send(std::move(r));
}

void Raft::HandleSnapshotChunk(const raftpb::Message& m) {
  const raftpb::SnapshotMetadata& meta = m.snapshot();
  auto reply = [&](uint64_t next_offset, bool reject) {
    raftpb::Message r;
    r.set_type(raftpb::MSG_SNAP_RESP);
    r.set_to(m.from());
    r.set_index(meta.index());
    r.set_snapshot_offset(next_offset);
    r.set_reject(reject);
    Send(std::move(r));
  };
  if (meta.index() <= log_.committed()) {
    // Figure 13 step 6 in spirit: we already hold everything it covers.
    incoming_.reset();
    reply(0, true);
    return;
  }
  if (m.snapshot_offset() == 0) {
    // A new transfer (or a restart of one) replaces any other.
    incoming_ = IncomingSnapshot{term_, meta, 0};
  }
  if (!incoming_ || incoming_->term != term_ ||
      incoming_->metadata.index() != meta.index() ||
      incoming_->metadata.term() != meta.term()) {
    // Chunks of a transfer we are not receiving: ask for it from the start.
    reply(0, false);
    return;
  }
  if (m.snapshot_offset() != incoming_->next_offset) {
    // A duplicate or a gap: say where we are.
    reply(incoming_->next_offset, false);
    return;
  }
  ReceivedSnapshotChunk chunk;
  chunk.metadata = meta;
  chunk.offset = m.snapshot_offset();
  chunk.data = m.snapshot_data();
  chunk.last = m.snapshot_done();
  incoming_->next_offset += chunk.data.size();
  chunks_.push_back(std::move(chunk));
  if (!m.snapshot_done()) {
    reply(incoming_->next_offset, false);
    return;
  }
  incoming_.reset();
  // The last chunk: install it (Figure 13 steps 5-8) and tell the leader
  // where our log now ends, as an AppendEntries response would.
  raftpb::Message r;
  r.set_type(raftpb::MSG_APP_RESP);
  r.set_to(m.from());
  if (Restore(meta)) {
    r.set_index(log_.LastIndex());
  } else {
    r.set_index(log_.committed());
  }
  Send(std::move(r));
}

bool Raft::Restore(const raftpb::SnapshotMetadata& meta) {
  if (meta.index() <= log_.committed()) return false;
  if (log_.MatchTerm(meta.index(), meta.term())) {
    // Figure 13 step 6: our log already has the entry; keep what follows.
    log_.CommitTo(meta.index());
    return false;
  }
  log_.Restore(meta);
  Configuration c = Configuration::FromConfState(meta.conf_state());
  ApplyConfiguration(c);
  conf_index_ = meta.index();
  return true;
}

}  // namespace coffer::raft
