// Host hooks for node tests: a Logger and a MetricsSink that record what
// nodes report, for tests to wait on and inspect.
//
// Thread-safety: thread-safe (nodes report from their loop threads).
#ifndef COFFER_TESTS_NODE_RECORDING_H_
#define COFFER_TESTS_NODE_RECORDING_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "coffer/observe.h"
#include "node/test_cluster.h"

namespace coffer::testing {

class RecordingLogger final : public Logger {
 public:
  void Log(LogLevel level, absl::string_view message) override {
    absl::MutexLock lock(&mu_);
    lines_.push_back(absl::StrCat(LogLevelName(level), " ", message));
  }
  std::vector<std::string> lines() const {
    absl::MutexLock lock(&mu_);
    return lines_;
  }
  // Whether a line holds `needle`, waiting for it: a node logs a seal
  // change after the call that made it returned.
  bool Has(const std::string& needle) const {
    return Eventually([&] {
      for (const std::string& l : lines()) {
        if (l.find(needle) != std::string::npos) return true;
      }
      return false;
    });
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(mu_);
};

class RecordingMetrics final : public MetricsSink {
 public:
  void Counter(absl::string_view name, uint64_t delta) override {
    absl::MutexLock lock(&mu_);
    counters_[std::string(name)] += delta;
  }
  void Gauge(absl::string_view name, double value) override {
    absl::MutexLock lock(&mu_);
    gauges_[std::string(name)].push_back(value);
  }
  void Timing(absl::string_view name, absl::Duration d) override {
    absl::MutexLock lock(&mu_);
    timings_[std::string(name)].push_back(d);
  }
  uint64_t counter(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    auto it = counters_.find(name);
    return it == counters_.end() ? 0 : it->second;
  }
  std::vector<double> gauge(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    auto it = gauges_.find(name);
    return it == gauges_.end() ? std::vector<double>() : it->second;
  }
  size_t timings(const std::string& name) const {
    absl::MutexLock lock(&mu_);
    auto it = timings_.find(name);
    return it == timings_.end() ? 0 : it->second.size();
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<double>> gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<absl::Duration>> timings_
      ABSL_GUARDED_BY(mu_);
};

// A logger shared by the nodes of a cluster and a metrics sink per node;
// a TestCluster's tweak calls Attach (on the test's thread: it adds the
// sink of a new id; the sinks never move). Declare it before the cluster:
// nodes report until they are closed.
struct Recorders {
  void Attach(NodeOptions& o) {
    o.logger = &logger;
    o.metrics = &metrics[o.id];
  }
  RecordingLogger logger;
  std::map<uint64_t, RecordingMetrics> metrics;
};

}  // namespace coffer::testing

#endif  // COFFER_TESTS_NODE_RECORDING_H_
