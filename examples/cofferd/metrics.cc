#include "metrics.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <tuple>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "http_util.h"

namespace cofferd {
namespace {

using Kind = MetricsRegistry::Kind;
using Entry = MetricsRegistry::Entry;

// A library name exported under Vault's name too.
struct Alias {
  const char* library;
  const char* vault;
  bool invert;  // a 0/1 gauge whose Vault meaning is the opposite
};
constexpr Alias kAliases[] = {
    {"node.sealed", "vault.core.unsealed", true},
    {"raft.is_leader", "vault.core.active", false},
    {"raft.entries_applied", "vault.raft.apply", false},
    {"raft.became_candidate", "vault.raft.state.candidate", false},
    {"raft.became_leader", "vault.raft.state.leader", false},
    {"node.request_latency", "vault.core.handle_request", false},
};

// # HELP text by exported name; others get a generic line.
const std::map<std::string, std::string>& HelpTexts() {
  static const auto* help = new std::map<std::string, std::string>{
      {"vault.core.unsealed", "1 when this node is unsealed"},
      {"vault.core.active", "1 when this node is the raft leader"},
      {"vault.raft.apply", "committed raft entries applied to the state"},
      {"vault.raft.state.candidate", "times this node became a candidate"},
      {"vault.raft.state.leader", "times this node became the leader"},
      {"vault.core.handle_request",
       "latency in ms of requests started on this node"},
      {"vault.runtime.resident_bytes", "resident memory of the process"},
      {"vault.runtime.threads", "threads of the process"},
      {"vault.runtime.open_fds", "open file descriptors of the process"},
      {"vault.runtime.uptime_seconds", "seconds since the process started"},
      {"coffer.raft.term", "the raft term this node is in"},
      {"coffer.raft.commit_index", "the highest log index known committed"},
      {"coffer.raft.applied_index", "the highest log index applied here"},
      {"coffer.raft.last_index", "the last index of this node's raft log"},
      {"coffer.raft.apply_lag", "committed entries not yet applied here"},
      {"coffer.raft.is_leader", "1 when this node is the raft leader"},
      {"coffer.node.sealed", "1 when this node is sealed"},
      {"coffer.node.requests",
       "requests started on this node (writes, linearizable reads, "
       "operator operations)"},
      {"coffer.node.request_errors", "requests started here that failed"},
      {"coffer.node.request_latency",
       "latency in ms of requests started on this node"},
      {"coffer.raft.leader_changes", "changes of the leader this node knows"},
      {"coffer.raft.became_candidate", "elections this node started"},
      {"coffer.raft.became_leader", "elections this node won"},
      {"coffer.raft.snapshot_saves", "snapshots made by this node"},
      {"coffer.raft.snapshot_installs", "snapshots installed from a leader"},
      {"coffer.raft.entries_written", "log entries this node wrote"},
      {"coffer.raft.entries_applied", "committed entries applied here"},
      {"coffer.raft.messages_refused", "malformed raft messages refused"},
      {"coffer.storage.writes", "storage writes of the node's steps"},
      {"coffer.storage.synced_writes", "storage writes that waited for fsync"},
      {"coffer.storage.log_syncs", "fsyncs of a leader's log off the loop"},
      {"coffer.storage.write_latency", "latency in ms of one step's write"},
      {"cofferd.http.requests", "HTTP requests answered, by method and code"},
      {"cofferd.http.request_latency",
       "latency in ms of HTTP requests, by method"},
  };
  return *help;
}

std::string Key(absl::string_view name, const Labels& labels) {
  std::string key(name);
  for (const auto& [k, v] : labels)
    absl::StrAppend(&key, absl::string_view("\0", 1), k, "=", v);
  return key;
}

void Record(Entry& e, double v) {
  if (e.count == 0 || v < e.min) e.min = v;
  if (e.count == 0 || v > e.max) e.max = v;
  ++e.count;
  e.sum += v;
  e.sum_sq += v * v;
}

double Mean(const Entry& e) { return e.count == 0 ? 0 : e.sum / e.count; }

double Stddev(const Entry& e) {
  if (e.count < 2) return 0;
  const double n = static_cast<double>(e.count);
  const double var = (e.sum_sq - e.sum * e.sum / n) / (n - 1);
  return var > 0 ? std::sqrt(var) : 0;
}

// Process metrics, read from /proc at scrape time (Linux).
void AddRuntime(std::vector<Entry>* out, absl::Duration uptime) {
  auto gauge = [&](const char* name, double v) {
    Entry e;
    e.kind = Kind::kGauge;
    e.name = name;
    e.value = v;
    out->push_back(std::move(e));
  };
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) {
    gauge("vault.runtime.resident_bytes",
          static_cast<double>(resident) * sysconf(_SC_PAGESIZE));
  }
  auto count = [](const char* dir) {
    std::error_code ec;
    double n = 0;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      ++n;
    }
    return ec ? -1 : n;
  };
  if (double n = count("/proc/self/task"); n >= 0) {
    gauge("vault.runtime.threads", n);
  }
  if (double n = count("/proc/self/fd"); n >= 0) {
    gauge("vault.runtime.open_fds", n - 1);  // not the iterator's own
  }
  gauge("vault.runtime.uptime_seconds", absl::ToDoubleSeconds(uptime));
}

std::string PromName(absl::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' &&
        c != ':') {
      c = '_';
    }
  }
  if (!out.empty() && absl::ascii_isdigit(static_cast<unsigned char>(out[0]))) {
    out.insert(0, "_");
  }
  return out;
}

std::string PromNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%.15g", v);
}

std::string PromLabels(const Labels& labels, const char* extra_key = nullptr,
                       const std::string& extra_value = "") {
  if (labels.empty() && extra_key == nullptr) return "";
  std::string out = "{";
  auto add = [&](absl::string_view k, absl::string_view v) {
    if (out.size() > 1) out += ",";
    absl::StrAppend(
        &out, PromName(k), "=\"",
        absl::StrReplaceAll(v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}}),
        "\"");
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (extra_key != nullptr) add(extra_key, extra_value);
  return out + "}";
}

json LabelsJson(const Labels& labels) {
  json j = json::object();
  for (const auto& [k, v] : labels) j[k] = v;
  return j;
}

}  // namespace

double TimingBucketBound(int i) { return 0.1 * std::ldexp(1.0, i); }

MetricsRegistry::MetricsRegistry(std::string hostname)
    : hostname_(std::move(hostname)), start_(absl::Now()) {
  // The library reports these gauges only when they change from a node's
  // initial state (sealed, not leader): start from that state, so that a
  // node that never unseals still exports vault.core.unsealed 0.
  Gauge("node.sealed", 1);
  Gauge("raft.is_leader", 0);
}

MetricsRegistry::Entry& MetricsRegistry::Find(Kind kind, absl::string_view name,
                                              const Labels* labels) {
  auto it = labels == nullptr ? entries_.find(name)
                              : entries_.find(Key(name, *labels));
  if (it == entries_.end()) {
    Entry e;
    e.kind = kind;
    e.name = std::string(name);
    if (labels != nullptr) e.labels = *labels;
    it =
        entries_
            .emplace(labels == nullptr ? std::string(name) : Key(name, *labels),
                     std::move(e))
            .first;
  }
  return it->second;
}

void MetricsRegistry::Counter(absl::string_view name, uint64_t delta) {
  absl::MutexLock l(&mu_);
  Record(Find(Kind::kCounter, name, nullptr), static_cast<double>(delta));
}

void MetricsRegistry::Gauge(absl::string_view name, double value) {
  absl::MutexLock l(&mu_);
  Find(Kind::kGauge, name, nullptr).value = value;
}

void MetricsRegistry::Timing(absl::string_view name, absl::Duration duration) {
  TimingWith(name, Labels(), duration);
}

void MetricsRegistry::CounterWith(absl::string_view name, const Labels& labels,
                                  uint64_t delta) {
  absl::MutexLock l(&mu_);
  Record(Find(Kind::kCounter, name, labels.empty() ? nullptr : &labels),
         static_cast<double>(delta));
}

void MetricsRegistry::TimingWith(absl::string_view name, const Labels& labels,
                                 absl::Duration duration) {
  const double ms = absl::ToDoubleMilliseconds(duration);
  int bucket = 0;
  while (bucket < kTimingBuckets && ms > TimingBucketBound(bucket)) ++bucket;
  absl::MutexLock l(&mu_);
  Entry& e = Find(Kind::kTiming, name, labels.empty() ? nullptr : &labels);
  Record(e, ms);
  ++e.buckets[bucket];
}

void MetricsRegistry::ObserveHttp(const std::string& method, int code,
                                  absl::Duration duration) {
  CounterWith("cofferd.http.requests",
              {{"code", absl::StrCat(code)}, {"method", method}}, 1);
  TimingWith("cofferd.http.request_latency", {{"method", method}}, duration);
}

std::vector<Entry> MetricsRegistry::Snapshot() const {
  std::vector<Entry> out;
  {
    absl::MutexLock l(&mu_);
    out.reserve(entries_.size());
    for (const auto& [key, e] : entries_) out.push_back(e);
  }
  std::vector<Entry> added;
  for (Entry& e : out) {
    for (const Alias& a : kAliases) {
      if (e.name != a.library) continue;
      Entry v = e;
      v.name = a.vault;
      if (a.invert) v.value = 1 - v.value;
      added.push_back(std::move(v));
    }
    // The library's own names under coffer.; cofferd's are already named.
    if (e.name.rfind("cofferd.", 0) != 0) e.name = "coffer." + e.name;
  }
  AddRuntime(&added, absl::Now() - start_);
  out.insert(out.end(), std::make_move_iterator(added.begin()),
             std::make_move_iterator(added.end()));
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.name, a.labels) < std::tie(b.name, b.labels);
  });
  return out;
}

std::string MetricsRegistry::RenderJson() const {
  const std::vector<Entry> entries = Snapshot();
  const absl::Time now = absl::Now();
  const double uptime = std::max(absl::ToDoubleSeconds(now - start_), 1e-3);
  json gauges = json::array(), counters = json::array(),
       samples = json::array();
  for (const Entry& e : entries) {
    Labels labels = e.labels;
    if (e.kind == Kind::kGauge) {
      if (!hostname_.empty()) labels.emplace_back("host", hostname_);
      gauges.push_back({{"Name", e.name},
                        {"Value", e.value},
                        {"Labels", LabelsJson(labels)}});
      continue;
    }
    json j = {{"Name", e.name},
              {"Count", e.count},
              {"Rate", e.sum / uptime},
              {"Sum", e.sum},
              {"Min", e.min},
              {"Max", e.max},
              {"Mean", Mean(e)},
              {"Stddev", Stddev(e)},
              {"Labels", LabelsJson(labels)}};
    (e.kind == Kind::kCounter ? counters : samples).push_back(std::move(j));
  }
  json out = {{"Timestamp", absl::FormatTime("%Y-%m-%d %H:%M:%S +0000 UTC", now,
                                             absl::UTCTimeZone())},
              {"Gauges", gauges},
              {"Counters", counters},
              {"Samples", samples}};
  return out.dump();
}

std::string MetricsRegistry::RenderPrometheus() const {
  const std::vector<Entry> entries = Snapshot();
  std::string out;
  std::string last;
  for (const Entry& e : entries) {
    const std::string name = PromName(e.name);
    if (name != last) {
      last = name;
      auto help = HelpTexts().find(e.name);
      std::string text = help != HelpTexts().end()
                             ? help->second
                             : absl::StrCat("coffer metric ", e.name);
      absl::StrAppend(
          &out, "# HELP ", name, " ",
          absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\n", "\\n"}}), "\n",
          "# TYPE ", name, " ",
          e.kind == Kind::kGauge     ? "gauge"
          : e.kind == Kind::kCounter ? "counter"
                                     : "histogram",
          "\n");
    }
    switch (e.kind) {
      case Kind::kGauge:
        absl::StrAppend(&out, name,
                        hostname_.empty()
                            ? PromLabels(e.labels)
                            : PromLabels(e.labels, "host", hostname_),
                        " ", PromNumber(e.value), "\n");
        break;
      case Kind::kCounter:
        absl::StrAppend(&out, name, PromLabels(e.labels), " ",
                        PromNumber(e.sum), "\n");
        break;
      case Kind::kTiming: {
        uint64_t cumulative = 0;
        for (int i = 0; i <= kTimingBuckets; ++i) {
          cumulative += e.buckets[i];
          const std::string le =
              i == kTimingBuckets ? "+Inf" : PromNumber(TimingBucketBound(i));
          absl::StrAppend(&out, name, "_bucket", PromLabels(e.labels, "le", le),
                          " ", cumulative, "\n");
        }
        absl::StrAppend(&out, name, "_sum", PromLabels(e.labels), " ",
                        PromNumber(e.sum), "\n", name, "_count",
                        PromLabels(e.labels), " ", e.count, "\n");
        break;
      }
    }
  }
  return out;
}

void RegisterMetricsApi(httplib::Server* server, coffer::Node* node,
                        const MetricsRegistry* registry,
                        const TelemetryConfig& telemetry) {
  auto handler = [node, registry, telemetry](const httplib::Request& req,
                                             httplib::Response& res) {
    const std::string format = req.get_param_value("format");
    if (!format.empty() && format != "prometheus" && format != "json") {
      return Error(res, 400, "format must be \"prometheus\" or \"json\"");
    }
    if (!telemetry.unauthenticated_metrics_access) {
      if (!Unsealed(node, res)) return;
      absl::StatusOr<std::map<std::string, std::vector<std::string>>> caps =
          node->Capabilities(CallerOf(req), coffer::TokenRef::Self(),
                             {"sys/metrics"});
      if (!caps.ok()) return StatusError(res, caps.status());
      const std::vector<std::string>& held = (*caps)["sys/metrics"];
      if (std::find_if(held.begin(), held.end(), [](const std::string& c) {
            return c == "read" || c == "root";
          }) == held.end()) {
        return Error(res, 403, "permission denied");
      }
    }
    if (format == "prometheus") {
      if (telemetry.prometheus_retention_time == absl::ZeroDuration()) {
        return Error(res, 400, "prometheus is not enabled");
      }
      res.status = 200;
      res.set_content(registry->RenderPrometheus(),
                      "text/plain; version=0.0.4");
      return;
    }
    res.status = 200;
    res.set_content(registry->RenderJson(), "application/json");
  };
  server->Get("/v1/sys/metrics", handler);
}

}  // namespace cofferd
