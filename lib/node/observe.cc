// Host hooks: what a node tells options.logger and options.metrics
// (coffer/observe.h). Every hook runs on the loop thread. Log lines hold
// ids, addresses, terms, indexes and status messages, never key material,
// shares, tokens or values: nothing here reads a request's payload.
#include <utility>

#include "absl/strings/str_cat.h"
#include "node/node_impl.h"

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

void NodeImpl::Log(LogLevel level, absl::string_view message) const {
  if (options_.logger == nullptr) return;
  options_.logger->Log(level,
                       absl::StrCat("node ", options_.id, ": ", message));
}

void NodeImpl::Count(absl::string_view name, uint64_t delta) const {
  if (options_.metrics != nullptr) options_.metrics->Counter(name, delta);
}

void NodeImpl::Timing(absl::string_view name, absl::Time start) const {
  if (options_.metrics != nullptr)
    options_.metrics->Timing(name, Now() - start);
}

Done NodeImpl::ObserveRequest(Done done) {
  if (options_.metrics == nullptr) return done;
  Count("node.requests");
  return [this, start = Now(),
          done = std::move(done)](absl::StatusOr<nodepb::OpResult> r) {
    Timing("node.request_latency", start);
    if (!r.ok()) Count("node.request_errors");
    done(std::move(r));
  };
}

void NodeImpl::ObserveLoop() {
  CheckTransfers();
  if (!observed_.started) {
    observed_.started = true;
    Log(LogLevel::kInfo,
        absl::StrCat("running at \"", options_.address, "\"; term ",
                     raft_->term(), ", applied index ", state_->AppliedIndex(),
                     ", last index ", raft_->log().LastIndex()));
  }
  const bool sealed = barrier_->sealed();
  if (sealed != observed_.sealed) {
    observed_.sealed = sealed;
    Log(LogLevel::kInfo, sealed ? "sealed" : "unsealed");
    if (options_.metrics) options_.metrics->Gauge("node.sealed", sealed);
  }
  if (options_.metrics == nullptr) return;
  auto gauge = [&](absl::string_view name, uint64_t value, uint64_t& seen) {
    if (value == seen) return;
    seen = value;
    options_.metrics->Gauge(name, static_cast<double>(value));
  };
  gauge("raft.term", raft_->term(), observed_.term);
  gauge("raft.commit_index", raft_->log().committed(), observed_.commit);
  gauge("raft.applied_index", state_->AppliedIndex(), observed_.applied);
  gauge("raft.last_index", raft_->log().LastIndex(), observed_.last);
  const bool leader = soft_.role == raft::Role::kLeader;
  if (leader != observed_.leader) {
    observed_.leader = leader;
    options_.metrics->Gauge("raft.is_leader", leader);
  }
}

void NodeImpl::ObserveSoftState(const raft::SoftState& prev,
                                const raft::SoftState& now) {
  if (prev.role != now.role) {
    Log(LogLevel::kInfo, absl::StrCat("became ", raft::RoleName(now.role),
                                      " in term ", raft_->term()));
  }
  if (prev.lead != now.lead) {
    Count("raft.leader_changes");
    if (now.lead == 0) {
      Log(LogLevel::kInfo, absl::StrCat("lost the leader (was node ", prev.lead,
                                        ") in term ", raft_->term()));
    } else {
      Log(LogLevel::kInfo,
          absl::StrCat("the leader is node ", now.lead, " at \"",
                       AddressOf(now.lead), "\" in term ", raft_->term()));
    }
  }
}

void NodeImpl::ObserveConfChange(uint64_t index, const raftpb::ConfChange& cc) {
  if (options_.logger == nullptr) return;
  for (const raftpb::ConfChangeSingle& ch : cc.changes()) {
    Log(LogLevel::kInfo,
        absl::StrCat("membership change at index ", index, ": ",
                     ChangeName(ch.type()), " node ", ch.node_id()));
  }
}

void NodeImpl::ObserveSnapshot(bool installed, uint64_t index) {
  if (installed) {
    Count("raft.snapshot_installs");
    Log(LogLevel::kInfo,
        absl::StrCat("installed a snapshot from the leader at index ", index));
  } else {
    Count("raft.snapshot_saves");
    Log(LogLevel::kInfo,
        absl::StrCat("saved a snapshot at index ", index,
                     "; the log now starts at index ", log_->FirstIndex()));
  }
}

}  // namespace coffer::node
