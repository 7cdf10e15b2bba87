// Membership: bootstrap, the peer address book, and what Leader() and
// ListPeers() report.
//
// Addresses live in the replicated state (PeerRecord at node/peers/<id>), so
// every member, and a node restarted or added later, can reach the others.
// A ConfChange that adds a peer carries its address in its context; the
// initial voters of Bootstrap are written by the cluster's first leader
// (MaybeRecordPeers), from the addresses it was bootstrapped with or learned
// from frames, so that apply stays a function of the log alone.
#include "node/membership.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "node/codec.h"

namespace coffer::node {
namespace {

const char* StateName(raft::Role r) {
  switch (r) {
    case raft::Role::kLeader:
      return "leader";
    case raft::Role::kCandidate:
      return "candidate";
    case raft::Role::kPreCandidate:
      return "pre-candidate";
    case raft::Role::kFollower:
      break;
  }
  return "follower";
}

}  // namespace

std::string Membership::AddressOf(uint64_t id) const {
  if (id == loop_->options.id) return loop_->options.address;
  if (auto it = peer_records_.find(id); it != peer_records_.end()) {
    return it->second;
  }
  if (auto it = learned_addresses_.find(id); it != learned_addresses_.end()) {
    return it->second;
  }
  return std::string();
}

absl::Status Membership::LoadPeerRecords() {
  std::map<uint64_t, std::string> records;
  absl::Status bad;
  absl::Status s = storage::ScanPrefix(
      *loop_->state, kPeersPrefix,
      [&](absl::string_view key, absl::string_view v) {
        nodepb::PeerRecord rec;
        if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
            rec.id() == 0 || PeerKey(rec.id()) != key) {
          bad = absl::DataLossError(
              absl::StrCat("node: a malformed peer record at ", key));
          return false;
        }
        records[rec.id()] = rec.address();
        return true;
      });
  if (!s.ok()) return Annotate(s);
  if (!bad.ok()) return bad;
  peer_records_ = std::move(records);
  return LoadJoinRecords();
}

bool Membership::LeaderReady() const {
  const uint64_t start = driver_->leader_start_index();
  return loop_->leading() && start != 0 &&
         loop_->state->AppliedIndex() >= start;
}

void Membership::MaybeRecordPeers() {
  if (peers_recorded_ || !LeaderReady()) return;
  peers_recorded_ = true;
  const raftpb::ConfState conf = loop_->raft->GetStatus().conf_state;
  std::set<uint64_t> members(conf.voters().begin(), conf.voters().end());
  members.insert(conf.learners().begin(), conf.learners().end());
  storage::WriteSet writes;
  for (uint64_t id : members) {
    if (peer_records_.count(id) != 0) continue;
    const std::string address = AddressOf(id);
    if (address.empty()) continue;  // recorded by a later leader that knows
    nodepb::PeerRecord rec;
    rec.set_id(id);
    rec.set_address(address);
    writes.Put(PeerKey(id), rec.SerializeAsString());
  }
  if (writes.empty()) return;
  // Best effort: a lost proposal is retried by the next leader.
  pipeline_->Propose(writes, nodepb::OpResult(), loop_->RequestDeadline(),
                     [](absl::StatusOr<nodepb::OpResult>) {});
}

absl::Status Membership::Bootstrap(const std::vector<Peer>& peers) {
  if (!loop_->fatal.ok()) return loop_->fatal;
  if (removed_) return RemovedError();
  if (join_ != nullptr) {
    return absl::FailedPreconditionError(
        "node: this node is joining a cluster; it cannot bootstrap another");
  }
  if (peers.empty()) {
    return absl::InvalidArgumentError("node: Bootstrap needs peers");
  }
  std::set<uint64_t> ids;
  bool has_self = false;
  for (const Peer& p : peers) {
    if (p.id == 0 || !ids.insert(p.id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("node: Bootstrap has a zero or duplicate id ", p.id));
    }
    if (p.address.empty() || p.address.size() > 1024) {
      return absl::InvalidArgumentError(absl::StrCat(
          "node: Bootstrap needs an address of 1..1024 bytes for peer ", p.id));
    }
    if (p.id == loop_->options.id) {
      if (p.address != loop_->options.address) {
        return absl::InvalidArgumentError(
            "node: Bootstrap gives this node another address than "
            "options.address");
      }
      has_self = true;
    }
  }
  if (!has_self) {
    return absl::InvalidArgumentError(
        "node: Bootstrap's peers must include this node");
  }
  if (loop_->raft->log().LastIndex() != 0 || loop_->raft->term() != 0) {
    return absl::FailedPreconditionError(
        "node: already bootstrapped (this node has raft state)");
  }
  for (const Peer& p : peers) {
    if (p.id != loop_->options.id) learned_addresses_[p.id] = p.address;
  }
  COFFER_RETURN_IF_ERROR(
      host_->CreateRaft(std::vector<uint64_t>(ids.begin(), ids.end())));
  host_->Drive();  // persists the bootstrap entries before returning
  return loop_->fatal;
}

LeaderInfo Membership::Leader() const {
  LeaderInfo info;
  info.is_self = loop_->soft.lead == loop_->options.id;
  info.leader_id = loop_->soft.lead;
  if (loop_->soft.lead != 0) info.leader_address = AddressOf(loop_->soft.lead);
  info.term = loop_->raft->term();
  return info;
}

std::vector<PeerInfo> Membership::Peers() const {
  const raft::Status st = loop_->raft->GetStatus();
  std::map<uint64_t, bool> members;  // id -> voter
  for (uint64_t id : st.conf_state.learners()) members[id] = false;
  for (uint64_t id : st.conf_state.voters()) members[id] = true;
  for (uint64_t id : st.conf_state.voters_outgoing()) members[id] = true;
  std::vector<PeerInfo> out;
  for (const auto& [id, voter] : members) {
    PeerInfo p;
    p.id = id;
    p.address = AddressOf(id);
    p.voter = voter;
    if (id == loop_->options.id) {
      p.state = StateName(loop_->soft.role);
    } else {
      p.state = id == loop_->soft.lead ? "leader" : "follower";
    }
    if (auto it = st.progress.find(id); it != st.progress.end()) {
      p.match_index = it->second.match;
    }
    p.last_contact = LastContact(id);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace coffer::node
