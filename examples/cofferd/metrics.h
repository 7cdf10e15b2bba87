// Metrics: cofferd's coffer::MetricsSink, and Vault's /v1/sys/metrics over
// it (JSON in Vault's shape, or Prometheus' text exposition format).
//
// MetricsRegistry keeps, per (name, labels), a counter (calls, total,
// smallest and largest delta), a gauge (the last value) or a timing (a
// histogram: calls, sum, sum of squares, min, max, and counts in fixed
// buckets). The node reports the library's names (coffer/observe.h) as
// they are; cofferd's HTTP layer reports its own with labels. Nothing is
// renamed on the way in: the export maps library names to Vault's
// (node.sealed -> vault.core.unsealed, inverted; raft.is_leader ->
// vault.core.active; ...) and also lists every one under coffer.<name>.
//
// Timings are in milliseconds everywhere (as Vault's), histogram bounds
// included. Counters are cumulative since the process started (Vault's
// in-memory sink resets every 10 s interval; a scraper computes rates
// itself); the JSON "Rate" is Sum per second of uptime.
//
// Thread-safety: MetricsRegistry is thread-safe. Counter, Gauge and Timing
// hold a mutex for one hash lookup and update, and allocate only the first
// time a (name, labels) is seen: they are cheap on the node's loop thread
// and never block on I/O. RenderJson and RenderPrometheus copy the values
// under the mutex, then format (and read /proc) outside it.
#ifndef COFFER_EXAMPLES_COFFERD_METRICS_H_
#define COFFER_EXAMPLES_COFFERD_METRICS_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coffer/node.h"
#include "coffer/observe.h"
#include "config.h"
#include "httplib.h"

namespace cofferd {

// Label pairs, in the order given (callers give them sorted by key).
using Labels = std::vector<std::pair<std::string, std::string>>;

// Upper bounds, in milliseconds, of the timing histogram's buckets (a last
// bucket, +Inf, takes the rest): 0.1 ms to about 105 s, doubling.
inline constexpr int kTimingBuckets = 21;
double TimingBucketBound(int i);  // REQUIRES: 0 <= i < kTimingBuckets

class MetricsRegistry final : public coffer::MetricsSink {
 public:
  // `hostname` labels every gauge as host="<hostname>" unless empty
  // (telemetry disable_hostname = true).
  explicit MetricsRegistry(std::string hostname);
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // coffer::MetricsSink: the node's metrics, without labels.
  void Counter(absl::string_view name, uint64_t delta) override;
  void Gauge(absl::string_view name, double value) override;
  void Timing(absl::string_view name, absl::Duration duration) override;

  // The same with labels (cofferd's own metrics).
  void CounterWith(absl::string_view name, const Labels& labels,
                   uint64_t delta);
  void TimingWith(absl::string_view name, const Labels& labels,
                  absl::Duration duration);
  // One HTTP request answered: cofferd.http.requests{method,code} and
  // cofferd.http.request_latency{method}.
  void ObserveHttp(const std::string& method, int code,
                   absl::Duration duration);

  // Every metric in Vault's JSON shape ({"Timestamp", "Gauges",
  // "Counters", "Samples"}), as text.
  std::string RenderJson() const;
  // Every metric in Prometheus' text format (version 0.0.4): names with
  // '.' as '_', gauges, counters, and timings as histograms
  // (<name>_bucket{le=...}, <name>_sum, <name>_count).
  std::string RenderPrometheus() const;

  enum class Kind { kCounter, kGauge, kTiming };
  struct Entry {
    Kind kind = Kind::kCounter;
    std::string name;
    Labels labels;
    // Counters and timings: calls, total (ms for timings), min, max.
    uint64_t count = 0;
    double sum = 0;
    double sum_sq = 0;
    double min = 0;
    double max = 0;
    double value = 0;                                    // gauges
    std::array<uint64_t, kTimingBuckets + 1> buckets{};  // timings
  };

 private:
  // The entry for (name, labels); created, of `kind`, on first use.
  Entry& Find(Kind kind, absl::string_view name, const Labels* labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The exported view: every entry under Vault's and coffer's names, with
  // process metrics (vault.runtime.*) added.
  std::vector<Entry> Snapshot() const;

  const std::string hostname_;
  const absl::Time start_;
  mutable absl::Mutex mu_;
  // Keyed by name, or name '\0' k=v ... for labelled entries.
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// Registers GET /v1/sys/metrics on `server`, before the catch-all /v1/
// route (call it before RegisterHttpApi). Vault's rules: a token with
// "read" (or root) on sys/metrics, unless
// telemetry.unauthenticated_metrics_access; ?format=prometheus answers 400
// when prometheus_retention_time is 0. The token is checked by the node:
// Node::Capabilities(caller, TokenRef::Self(), {"sys/metrics"}) (a sealed
// node answers 503, a missing or unknown token 403). `node` and `registry`
// are borrowed and must outlive the server's last request.
void RegisterMetricsApi(httplib::Server* server, coffer::Node* node,
                        const MetricsRegistry* registry,
                        const TelemetryConfig& telemetry);

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_METRICS_H_
