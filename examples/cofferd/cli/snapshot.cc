// operator raft snapshot save|restore|inspect
#include "coffer/snapshot.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli.h"

namespace coffercli {
namespace {

// Progress on a terminal only ("\r" rewrites the line).
class Progress {
 public:
  explicit Progress(const char* verb, uint64_t total = 0)
      : verb_(verb), total_(total), tty_(isatty(STDERR_FILENO) != 0) {}
  void Add(uint64_t n) {
    done_ += n;
    if (!tty_ || (done_ - shown_ < (uint64_t{1} << 20) && done_ != total_)) {
      return;
    }
    shown_ = done_;
    if (total_ > 0) {
      std::fprintf(stderr, "\r%s %.1f / %.1f MiB (%d%%)", verb_, Mib(done_),
                   Mib(total_), static_cast<int>(100 * done_ / total_));
    } else {
      std::fprintf(stderr, "\r%s %.1f MiB", verb_, Mib(done_));
    }
  }
  void End() {
    if (tty_ && shown_ > 0) std::fprintf(stderr, "\n");
  }

 private:
  static double Mib(uint64_t n) { return static_cast<double>(n) / (1 << 20); }
  const char* verb_;
  uint64_t total_;
  bool tty_;
  uint64_t done_ = 0, shown_ = 0;
};

int Save(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr, "usage: coffer operator raft snapshot save <file>\n");
    return 1;
  }
  const std::string file = a.positional[0];
  const std::string tmp = file + ".part";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) {
    std::fprintf(stderr, "Error: cannot write %s\n", tmp.c_str());
    return 1;
  }
  Progress progress("Saved");
  const std::string path = "sys/storage/raft/snapshot";
  Reply r = c.Download(path, [&](const char* data, size_t n) {
    out.write(data, static_cast<std::streamsize>(n));
    progress.Add(n);
    return out.good();
  });
  progress.End();
  out.close();
  std::error_code ec;
  if (!r.ok() || !out) {
    std::filesystem::remove(tmp, ec);
    if (r.ok()) {
      std::fprintf(stderr, "Error: cannot write %s\n", tmp.c_str());
      return 1;
    }
    return Fail(c, "saving the snapshot", "GET", path, r);
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    std::fprintf(stderr, "Error: %s\n", ec.message().c_str());
    return 1;
  }
  return 0;
}

int Restore(Client& c, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr,
                 "usage: coffer operator raft snapshot restore [-force] "
                 "[-unseal-key=K ...] <file>\n");
    return 1;
  }
  const std::string file = a.positional[0];
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) {
    std::fprintf(stderr, "Error: cannot read %s\n", file.c_str());
    return 1;
  }
  const std::string path = a.Get("force") == "true"
                               ? "sys/storage/raft/snapshot-force"
                               : "sys/storage/raft/snapshot";
  httplib::Headers headers;
  std::string keys;
  for (const std::string& k : a.All("unseal-key")) {
    keys += (keys.empty() ? "" : ",") + k;
  }
  if (!keys.empty()) headers.emplace("X-Coffer-Unseal-Keys", keys);
  // A standby answers 307 with the leader's address: follow it once.
  ClientOptions o = c.options();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Client client(o);
    Progress progress("Sent", size);
    in.clear();
    Reply r = client.Upload(path, size, headers,
                            [&](size_t offset, char* buf, size_t cap) {
                              in.clear();
                              in.seekg(static_cast<std::streamoff>(offset));
                              in.read(buf, static_cast<std::streamsize>(cap));
                              const size_t n = static_cast<size_t>(in.gcount());
                              progress.Add(n);
                              return n;
                            });
    progress.End();
    if (r.status == 307 && !r.location.empty()) {
      o.address = r.location.substr(0, r.location.find("/v1/"));
      continue;
    }
    if (!r.ok()) return Fail(client, "restoring the snapshot", "POST", path, r);
    return 0;
  }
  std::fprintf(stderr, "Error: redirected more than once\n");
  return 1;
}

int Inspect(Client&, const Args& a) {
  if (a.positional.size() != 1) {
    std::fprintf(stderr,
                 "usage: coffer operator raft snapshot inspect <file>\n");
    return 1;
  }
  absl::StatusOr<coffer::SnapshotInspection> i =
      coffer::InspectSnapshot(a.positional[0]);
  if (!i.ok()) {
    std::fprintf(stderr, "Error inspecting %s: %s\n", a.positional[0].c_str(),
                 std::string(i.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", a.Json() ? coffer::SnapshotInspectionJson(*i).c_str()
                               : coffer::SnapshotInspectionText(*i).c_str());
  return 0;
}

}  // namespace

const std::vector<CommandInfo>& SnapshotCommands() {
  static const auto* commands = new std::vector<CommandInfo>{
      {"operator raft snapshot save", Save,
       "operator raft snapshot save <file>"},
      {"operator raft snapshot restore", Restore,
       "operator raft snapshot restore [-force] [-unseal-key=K ...] <file>"},
      {"operator raft snapshot inspect", Inspect,
       "operator raft snapshot inspect [-format=json] <file>"},
  };
  return *commands;
}

}  // namespace coffercli
