// Raft::CheckMessage: what a received message must satisfy before the core
// acts on it. Raft trusts its peers to follow the protocol; the host's
// transport is not the protocol. A frame damaged or forged on the way, or
// sent by a buggy peer, must cost at most that message: the core refuses
// what no correct peer sends instead of reaching an internal check.
#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "proto/raft.pb.h"
#include "raft/raft.h"

namespace coffer::raft {
namespace {

// Indexes and terms a real cluster never reaches: beyond them, next-index
// and next-term arithmetic could wrap.
constexpr uint64_t kLimit = uint64_t{1} << 62;

absl::Status Refuse(const raftpb::Message& m, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("raft: refused ", raftpb::MessageType_Name(m.type()),
                   " from ", m.from(), ": ", why));
}

// Whether `cs` is a configuration some cluster can be in: voters, no id 0,
// no id twice, no node both voter and learner.
bool UsableConfState(const raftpb::ConfState& cs) {
  if (cs.voters().empty()) return false;
  std::set<uint64_t> voters;
  for (const auto* list : {&cs.voters(), &cs.voters_outgoing()}) {
    std::set<uint64_t> seen;
    for (uint64_t id : *list) {
      if (id == 0 || !seen.insert(id).second) return false;
      voters.insert(id);
    }
  }
  std::set<uint64_t> learners;
  for (const auto* list : {&cs.learners(), &cs.learners_next()}) {
    for (uint64_t id : *list) {
      if (id == 0 || !learners.insert(id).second) return false;
    }
  }
  for (uint64_t id : cs.learners()) {
    if (voters.count(id) != 0) return false;
  }
  for (uint64_t id : cs.learners_next()) {
    // Demoted while an outgoing voter: still one, not an incoming voter.
    if (std::count(cs.voters_outgoing().begin(), cs.voters_outgoing().end(),
                   id) == 0 ||
        std::count(cs.voters().begin(), cs.voters().end(), id) != 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::Status Raft::CheckMessage(const raftpb::Message& m) const {
  if (m.from() == 0 || m.from() == id_) return Refuse(m, "bad sender");
  if (m.term() >= kLimit || m.log_term() >= kLimit) {
    return Refuse(m, "term out of range");
  }
  if (m.index() >= kLimit || m.snapshot().index() >= kLimit) {
    return Refuse(m, "index out of range");
  }
  if (m.type() != raftpb::MSG_APP && m.entries_size() != 0) {
    return Refuse(m, "entries outside an append");
  }
  switch (m.type()) {
    case raftpb::MSG_VOTE:
    case raftpb::MSG_PRE_VOTE:
      if (m.log_term() > m.term()) return Refuse(m, "last log term too high");
      return absl::OkStatus();
    case raftpb::MSG_APP:
      return CheckAppend(m);
    case raftpb::MSG_APP_RESP:
      // A leader's log holds every entry a follower can have matched in
      // its term (an answer to an earlier term is stale, not malformed:
      // Step drops it).
      if (role_ == Role::kLeader && m.term() == term_ && !m.reject() &&
          m.index() > log_.LastIndex()) {
        return Refuse(m, "acknowledges entries this leader does not have");
      }
      return absl::OkStatus();
    case raftpb::MSG_SNAP: {
      const raftpb::SnapshotMetadata& s = m.snapshot();
      if (s.index() == 0 || s.term() == 0 || s.term() > m.term()) {
        return Refuse(m, "snapshot index or term out of range");
      }
      if (m.snapshot_offset() >= kLimit) {
        return Refuse(m, "snapshot offset out of range");
      }
      if (!UsableConfState(s.conf_state())) {
        return Refuse(m, "snapshot configuration is not usable");
      }
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status Raft::CheckAppend(const raftpb::Message& m) const {
  if (m.log_term() > m.term()) return Refuse(m, "previous term too high");
  uint64_t prev_term = m.log_term();
  for (int i = 0; i < m.entries_size(); ++i) {
    const raftpb::Entry& e = m.entries(i);
    if (e.index() != m.index() + 1 + i) {
      return Refuse(m, "entries are not contiguous after the previous index");
    }
    if (e.term() < prev_term || e.term() > m.term()) {
      return Refuse(
          m, absl::StrCat("entry ", e.index(), " has a term out of order"));
    }
    prev_term = e.term();
    if (!raftpb::EntryType_IsValid(e.type())) {
      return Refuse(m,
                    absl::StrCat("entry ", e.index(), " has an unknown type"));
    }
    if (e.type() == raftpb::ENTRY_CONF_CHANGE) {
      raftpb::ConfChange cc;
      if (!cc.ParseFromString(e.data())) {
        return Refuse(
            m, absl::StrCat("entry ", e.index(),
                            " is a configuration change that does not parse"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace coffer::raft
