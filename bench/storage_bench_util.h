// Small helpers shared by the storage and snapshot benchmarks.
#ifndef COFFER_BENCH_STORAGE_BENCH_UTIL_H_
#define COFFER_BENCH_STORAGE_BENCH_UTIL_H_

#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace coffer::bench {

inline double Now() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// A scratch directory under $COFFER_BENCH_DIR (default: the temp dir).
inline std::string ScratchDir(const std::string& name) {
  const char* base = std::getenv("COFFER_BENCH_DIR");
  std::filesystem::path dir = base != nullptr
                                  ? std::filesystem::path(base)
                                  : std::filesystem::temp_directory_path();
  dir /= "coffer-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

// Peak resident memory in KiB since the last ResetPeakRss (VmHWM).
inline uint64_t PeakRssKib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  }
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss);
}

inline uint64_t CurrentRssKib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return 0;
}

// Resets VmHWM to the current RSS (Linux: "5" > /proc/self/clear_refs).
inline bool ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace coffer::bench

#endif  // COFFER_BENCH_STORAGE_BENCH_UTIL_H_
