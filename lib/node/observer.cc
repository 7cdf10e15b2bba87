#include "node/observer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace coffer {

Logger::~Logger() = default;
MetricsSink::~MetricsSink() = default;

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace coffer

namespace coffer::node {
namespace {

const char* ChangeName(raftpb::ConfChangeType t) {
  switch (t) {
    case raftpb::CONF_ADD_VOTER:
      return "add voter";
    case raftpb::CONF_ADD_LEARNER:
      return "add learner";
    case raftpb::CONF_REMOVE_NODE:
      return "remove";
    default:
      return "change";
  }
}

}  // namespace

void Observer::Log(LogLevel level, absl::string_view message) const {
  if (loop_->options.logger == nullptr) return;
  loop_->options.logger->Log(
      level, absl::StrCat("node ", loop_->options.id, ": ", message));
}

void Observer::Count(absl::string_view name, uint64_t delta) const {
  if (loop_->options.metrics != nullptr)
    loop_->options.metrics->Counter(name, delta);
}

void Observer::Timing(absl::string_view name, absl::Time start) const {
  if (loop_->options.metrics != nullptr)
    loop_->options.metrics->Timing(name, LoopState::Now() - start);
}

Done Observer::ObserveRequest(Done done) const {
  if (loop_->options.metrics == nullptr) return done;
  Count("node.requests");
  return [this, start = LoopState::Now(),
          done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
    Timing("node.request_latency", start);
    if (!r.ok()) Count("node.request_errors");
    done(std::move(r));
  };
}

void Observer::ObserveLoop() {
  if (!observed_.started) {
    observed_.started = true;
    Log(LogLevel::kInfo,
        absl::StrCat("running at \"", loop_->options.address, "\"; term ",
                     loop_->raft->term(), ", applied index ",
                     loop_->state->AppliedIndex(), ", last index ",
                     loop_->raft->log().LastIndex()));
  }
  const bool sealed = loop_->barrier->sealed();
  if (sealed != observed_.sealed) {
    observed_.sealed = sealed;
    Log(LogLevel::kInfo, sealed ? "sealed" : "unsealed");
    if (loop_->options.metrics)
      loop_->options.metrics->Gauge("node.sealed", sealed);
  }
  if (loop_->options.metrics == nullptr) return;
  auto gauge = [&](absl::string_view name, uint64_t value, uint64_t& seen) {
    if (value == seen) return;
    seen = value;
    loop_->options.metrics->Gauge(name, static_cast<double>(value));
  };
  gauge("raft.term", loop_->raft->term(), observed_.term);
  gauge("raft.commit_index", loop_->raft->log().committed(), observed_.commit);
  gauge("raft.applied_index", loop_->state->AppliedIndex(), observed_.applied);
  gauge("raft.last_index", loop_->raft->log().LastIndex(), observed_.last);
  // Committed but not yet applied (applied can pass a follower's known
  // commit index only through a snapshot: 0 then).
  const uint64_t commit = loop_->raft->log().committed();
  const uint64_t applied = loop_->state->AppliedIndex();
  gauge("raft.apply_lag", commit > applied ? commit - applied : 0,
        observed_.apply_lag);
  const bool leader = loop_->soft.role == raft::Role::kLeader;
  if (leader != observed_.leader) {
    observed_.leader = leader;
    loop_->options.metrics->Gauge("raft.is_leader", leader);
  }
}

void Observer::ObserveSoftState(const raft::SoftState& prev,
                                const raft::SoftState& now,
                                absl::string_view leader_address) const {
  if (prev.role != now.role) {
    Log(LogLevel::kInfo, absl::StrCat("became ", raft::RoleName(now.role),
                                      " in term ", loop_->raft->term()));
    if (now.role == raft::Role::kCandidate) Count("raft.became_candidate");
    if (now.role == raft::Role::kLeader) Count("raft.became_leader");
  }
  if (prev.lead != now.lead) {
    Count("raft.leader_changes");
    if (now.lead == 0) {
      Log(LogLevel::kInfo, absl::StrCat("lost the leader (was node ", prev.lead,
                                        ") in term ", loop_->raft->term()));
    } else {
      Log(LogLevel::kInfo,
          absl::StrCat("the leader is node ", now.lead, " at \"",
                       leader_address, "\" in term ", loop_->raft->term()));
    }
  }
}

void Observer::ObserveConfChange(uint64_t index,
                                 const raftpb::ConfChange& cc) const {
  if (loop_->options.logger == nullptr) return;
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    Log(LogLevel::kInfo,
        absl::StrCat("membership change at index ", index, ": ",
                     ChangeName(ch.type()), " node ", ch.node_id()));
  }
}

void Observer::ObserveSnapshot(bool installed, uint64_t index) const {
  if (installed) {
    Count("raft.snapshot_installs");
    Log(LogLevel::kInfo,
        absl::StrCat("installed a snapshot from the leader at index ", index));
  } else {
    Count("raft.snapshot_saves");
    Log(LogLevel::kInfo, absl::StrCat("saved a snapshot at index ", index,
                                      "; the log now starts at index ",
                                      loop_->log->FirstIndex()));
  }
}

}  // namespace coffer::node
