// A node whose disk fills, on a real full file system: a small tmpfs
// mounted for the test (skipped, with a warning, where mount is not
// allowed). The node refuses writes with a clear error and keeps serving
// stale reads, resumes by itself once the ballast file is removed, and
// every acknowledged write is there after a restart (ready_driver.h).
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

// A tmpfs of `bytes` on a fresh directory, unmounted at destruction.
class Tmpfs {
 public:
  explicit Tmpfs(size_t bytes) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "coffer-diskfull-XXXXXX")
            .string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    const std::string opts = absl::StrCat("size=", bytes);
    if (::mount("tmpfs", dir_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& dir() const { return dir_; }

  // Fills the file system with a ballast file; returns its size.
  size_t Fill() {
    FILE* f = std::fopen(Ballast().c_str(), "w");
    REQUIRE(f != nullptr);
    static const std::string chunk(4096, 'b');
    size_t written = 0;
    for (;;) {
      const size_t n = std::fwrite(chunk.data(), 1, chunk.size(), f);
      written += n;
      if (n < chunk.size() || std::fflush(f) != 0) break;
    }
    std::fclose(f);
    return written;
  }
  void RemoveBallast() { REQUIRE(::unlink(Ballast().c_str()) == 0); }

 private:
  std::string Ballast() const { return dir_ + "/ballast"; }

  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

bool IsDiskFullError(const absl::Status& s) {
  return s.code() == Code::kResourceExhausted &&
         absl::StrContains(s.message(), "no space left on device");
}

// Writes `prefix`<i> through `n` until one is refused for a full disk;
// records the acknowledged ones in `acked` and the one whose outcome is
// unknown (it timed out: its entry may commit later) in `unknown`.
absl::Status WriteUntilRefused(Node& n, const Caller& as,
                               const std::string& prefix,
                               std::map<std::string, std::string>* acked,
                               std::map<std::string, std::string>* unknown) {
  for (int i = 0; i < 5000; ++i) {
    const std::string path = absl::StrCat(prefix, i);
    const std::string value = absl::StrCat("value-", i, std::string(200, 'v'));
    absl::Status s = n.PutRaw(as, path, value);
    if (s.ok()) {
      (*acked)[path] = value;
      continue;
    }
    if (s.code() == Code::kDeadlineExceeded) {
      (*unknown)[path] = value;
      continue;
    }
    return s;
  }
  return absl::OkStatus();
}

TEST_CASE("a node whose disk fills refuses writes and resumes by itself",
          "[node][diskfull]") {
  Tmpfs fs(8 << 20);
  if (!fs.mounted()) {
    WARN("skipped: cannot mount a tmpfs (" << fs.error()
                                           << "); run as root to test");
    SUCCEED();
    return;
  }
  TestCluster c(1);
  c.tweak = [&](NodeOptions& o) {
    o.data_dir = fs.dir() + "/n" + std::to_string(o.id);
  };
  const InitializeResult init = StartUnsealed(c);
  Node& n = c.node(1);
  std::map<std::string, std::string> acked, unknown;
  for (int i = 0; i < 20; ++i) {
    const std::string path = absl::StrCat("before/", i);
    REQUIRE(n.PutRaw(c.root(), path, "v").ok());
    acked[path] = "v";
  }
  fs.Fill();
  const absl::Status refused =
      WriteUntilRefused(n, c.root(), "full/", &acked, &unknown);
  INFO(refused.ToString());
  REQUIRE(IsDiskFullError(refused));
  CHECK(absl::StrContains(refused.message(), "resumes by itself"));
  // The node is alive: later writes get the same clear error at once, and
  // what it applied is still served (stale reads need no write).
  CHECK(IsDiskFullError(n.PutRaw(c.root(), "more", "x")));
  absl::StatusOr<std::string> read =
      n.GetRaw(c.root(), "before/3", ReadConsistency::kStale);
  REQUIRE(read.ok());
  CHECK(*read == "v");
  CHECK(n.GetSealStatus().ok());

  fs.RemoveBallast();
  absl::Status again;
  REQUIRE(Eventually([&] {
    again = n.PutRaw(c.root(), "after/0", "a");
    return again.ok();
  }));
  acked["after/0"] = "a";
  for (int i = 1; i < 20; ++i) {
    const std::string path = absl::StrCat("after/", i);
    REQUIRE(n.PutRaw(c.root(), path, "a").ok());
    acked[path] = "a";
  }
  // A write whose outcome was unknown was kept, not lost: it applied.
  for (const auto& [path, value] : unknown) {
    absl::StatusOr<std::string> v = n.GetRaw(c.root(), path);
    INFO(path);
    REQUIRE(v.ok());
    CHECK(*v == value);
  }

  RestartAll(c);
  UnsealAll(c, {init.keys[2], init.keys[1]});
  Node& r = c.node(1);
  for (const auto& [path, value] : acked) {
    INFO(path);
    absl::StatusOr<std::string> v =
        Retry([&] { return r.GetRaw(c.root(), path); });
    REQUIRE(v.ok());
    CHECK(*v == value);
  }
  std::printf("disk full, one node: %zu writes acknowledged, %zu unknown\n",
              acked.size(), unknown.size());
}

TEST_CASE("a leader whose disk fills is replaced and catches up",
          "[node][diskfull]") {
  Tmpfs fs(8 << 20);
  if (!fs.mounted()) {
    WARN("skipped: cannot mount a tmpfs (" << fs.error()
                                           << "); run as root to test");
    SUCCEED();
    return;
  }
  TestCluster c(3);
  const InitializeResult init = StartUnsealed(c);
  // Move the leader's data to the small file system: restart it there.
  const uint64_t leader = Leader(c);
  const std::string moved = fs.dir() + "/leader";
  c.Stop(leader);
  std::filesystem::copy(c.Options(leader).data_dir, moved,
                        std::filesystem::copy_options::recursive);
  c.tweak = [&](NodeOptions& o) {
    if (o.id == leader) o.data_dir = moved;
  };
  REQUIRE(c.Start(leader).ok());
  REQUIRE(c.Unseal(leader, {init.keys[2], init.keys[1]}).ok());
  // Make it lead again, so that its disk is the one in the way.
  const uint64_t now = Leader(c);
  if (now != leader) {
    REQUIRE(Retry([&] {
              return c.node(now).TransferLeadership(c.root(), leader);
            }).ok());
  }
  REQUIRE(Eventually([&] { return LeaderSeenBy(c.node(leader)) == leader; }));

  std::map<std::string, std::string> acked, unknown;
  fs.Fill();
  const absl::Status refused =
      WriteUntilRefused(c.node(leader), c.root(), "full/", &acked, &unknown);
  INFO(refused.ToString());
  REQUIRE(IsDiskFullError(refused));
  // The others elect a leader among themselves and take writes.
  const uint64_t other = c.AFollower(leader);
  for (int i = 0; i < 20; ++i) {
    const std::string path = absl::StrCat("others/", i);
    REQUIRE(
        Retry([&] { return c.node(other).PutRaw(c.root(), path, "o"); }).ok());
    acked[path] = "o";
  }
  fs.RemoveBallast();
  // The old leader resumes, follows, and catches up.
  REQUIRE(AppliedEverywhere(c, "others/19", "o"));
  REQUIRE(Retry([&] {
            return c.node(leader).PutRaw(c.root(), "after", "a");
          }).ok());
  acked["after"] = "a";

  RestartAll(c);
  UnsealAll(c, {init.keys[2], init.keys[1]});
  for (uint64_t id : c.ids()) {
    for (const auto& [path, value] : acked) {
      INFO("node " << id << " " << path);
      CHECK(StaleReads(c.node(id), c.root(), path, value));
    }
  }
  std::printf("disk full, leader of three: %zu writes acknowledged\n",
              acked.size());
}

}  // namespace
}  // namespace coffer::testing
