// Removal: a node that applies its own removal, or is told by a member that
// applied it, knows it was removed. It persists a REMOVED marker, reports
// SealStatus::removed_from_cluster, stops taking part in raft (no ticks, no
// messages: it never campaigns), fails every call with RemovedError, and
// refuses Bootstrap and Join with its old data.
//
// A merely lagging node is never marked removed: a member tells a node so
// only after it applied (so committed) the removal, and removed ids are
// never admitted again (CheckJoiner, AddPeer), so the removal stays final;
// the told node also checks that it has not itself applied past that
// removal while still a member.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "node/codec.h"
#include "node/membership.h"

namespace coffer::node {
namespace {

bool InConfState(const raftpb::ConfState& conf, uint64_t id) {
  auto in = [id](const auto& ids) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  return in(conf.voters()) || in(conf.learners()) ||
         in(conf.voters_outgoing()) || in(conf.learners_next());
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::UnavailableError(absl::StrCat("node: cannot ", what, " ", path,
                                             ": ", std::strerror(errno)));
}

absl::Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("fsync", path);
  return absl::OkStatus();
}

}  // namespace

std::string RemovedKey(uint64_t id) {
  return absl::StrFormat("%s%020d", kRemovedPrefix, id);
}

std::string VoterToBeKey(uint64_t id) {
  return absl::StrFormat("%s%020d", kVoterToBePrefix, id);
}

std::string JoinChallengePath(uint64_t id) {
  return absl::StrCat("join-challenge/", id);
}

absl::Status WriteRemovedMarker(const std::string& data_dir, uint64_t index) {
  const std::filesystem::path dir(data_dir);
  const std::string path = (dir / std::string(kRemovedMarker)).string();
  const std::string tmp = path + ".tmp";
  const std::string text =
      absl::StrCat("this node was removed from its cluster at log index ",
                   index, "; wipe this directory to join again\n");
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", tmp);
  const bool written = ::write(fd, text.data(), text.size()) ==
                           static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return Errno("write", tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  return SyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

bool RemovedMarkerExists(const std::string& data_dir) {
  std::error_code ec;
  return std::filesystem::exists(
      std::filesystem::path(data_dir) / std::string(kRemovedMarker), ec);
}

absl::Status Membership::RemovedError() const {
  return absl::FailedPreconditionError(
      "node: this node was removed from the cluster; it cannot take part or "
      "join again with its old data: wipe its data directory to join again "
      "(with a new node id)");
}

absl::Status Membership::LoadJoinRecords() {
  std::map<uint64_t, uint64_t> removed;
  std::set<uint64_t> voters_to_be;
  absl::Status bad;
  absl::Status s = storage::ScanPrefix(
      *loop_->state, kRemovedPrefix,
      [&](absl::string_view key, absl::string_view v) {
        nodepb::JoinRemovedRecord rec;
        if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
            rec.id() == 0 || RemovedKey(rec.id()) != key) {
          bad = absl::DataLossError(
              absl::StrCat("node: a malformed removal record at ", key));
          return false;
        }
        removed[rec.id()] = rec.index();
        return true;
      });
  if (s.ok() && bad.ok()) {
    s = storage::ScanPrefix(
        *loop_->state, kVoterToBePrefix,
        [&](absl::string_view key, absl::string_view v) {
          nodepb::JoinVoterRecord rec;
          if (!rec.ParseFromArray(v.data(), static_cast<int>(v.size())) ||
              rec.id() == 0 || VoterToBeKey(rec.id()) != key) {
            bad = absl::DataLossError(
                absl::StrCat("node: a malformed voter record at ", key));
            return false;
          }
          voters_to_be.insert(rec.id());
          return true;
        });
  }
  if (!s.ok()) return Annotate(s);
  if (!bad.ok()) return bad;
  removed_ids_ = std::move(removed);
  voters_to_be_ = std::move(voters_to_be);
  // A crash between applying this node's removal and writing the marker.
  if (!removed_) {
    if (auto it = removed_ids_.find(loop_->options.id);
        it != removed_ids_.end() &&
        !InConfState(loop_->raft->GetStatus().conf_state, loop_->options.id)) {
      MarkRemoved(it->second);
    } else if (RemovedMarkerExists(loop_->options.data_dir)) {
      removed_ = true;
    }
  }
  return absl::OkStatus();
}

void Membership::StageJoinRecords(const raftpb::ConfChangeSingle& ch,
                                  const nodepb::PeerContext* ctx,
                                  uint64_t index, storage::WriteSet* writes) {
  const uint64_t id = ch.node_id();
  switch (ch.type()) {
    case raftpb::CONF_REMOVE_NODE: {
      nodepb::JoinRemovedRecord rec;
      rec.set_id(id);
      rec.set_index(index);
      writes->Put(RemovedKey(id), rec.SerializeAsString());
      writes->Delete(VoterToBeKey(id));
      if (id == loop_->options.id) self_removed_at_ = index;
      break;
    }
    case raftpb::CONF_ADD_LEARNER:
      if (ctx != nullptr && ctx->join_as_voter()) {
        nodepb::JoinVoterRecord rec;
        rec.set_id(id);
        writes->Put(VoterToBeKey(id), rec.SerializeAsString());
      }
      break;
    default:  // a voter now: nothing left to promote
      writes->Delete(VoterToBeKey(id));
      break;
  }
}

void Membership::FinishSelfRemoval() {
  const uint64_t at = self_removed_at_;
  self_removed_at_ = 0;
  // Applied, hence committed; the configuration in force (after Advance)
  // no longer has this node.
  if (InConfState(loop_->raft->GetStatus().conf_state, loop_->options.id))
    return;
  MarkRemoved(at);
}

void Membership::MarkRemoved(uint64_t index) {
  if (removed_) return;
  removed_ = true;
  if (absl::Status s = WriteRemovedMarker(loop_->options.data_dir, index);
      !s.ok()) {
    return host_->Stop(s);
  }
  join_.reset();
  const absl::Status s = RemovedError();
  pipeline_->FailWaiting(s);
}

bool Membership::MaybeTellNotMember(uint64_t from) {
  auto it = removed_ids_.find(from);
  if (it == removed_ids_.end() ||
      InConfState(loop_->raft->GetStatus().conf_state, from)) {
    return false;
  }
  // Once per election timeout per node: a removed node campaigns (or
  // answers) at most that often.
  uint64_t& last = not_member_sent_[from];
  if (last != 0 && loop_->now_tick < last + loop_->options.election_ticks)
    return true;
  last = loop_->now_tick;
  nodepb::Frame f;
  f.mutable_join_not_member()->set_removed_at(it->second);
  host_->SendFrame(from, std::move(f));
  return true;
}

void Membership::OnJoinNotMember(const nodepb::Frame& frame) {
  if (removed_ || !HasRaftState()) return;
  const uint64_t at = frame.join_not_member().removed_at();
  // A node that applied past that index while still a member knows
  // better than the sender (which cannot happen with ids never reused).
  if (at == 0 ||
      (loop_->state->AppliedIndex() >= at &&
       InConfState(loop_->raft->GetStatus().conf_state, loop_->options.id))) {
    return;
  }
  MarkRemoved(at);
}

}  // namespace coffer::node
