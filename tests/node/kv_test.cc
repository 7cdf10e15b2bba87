// The KV v2 secrets engine through coffer::Node: a cluster of real nodes in
// one process, through the public API only.
#include "coffer/kv.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "coffer/node.h"
#include "node/test_cluster.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

// Writes secret/`path`, retrying while there is no leader or it changes.
absl::StatusOr<VersionMetadata> PutWithRetry(Node& n, const Caller& as,
                                             const std::string& path,
                                             const SecretData& data) {
  return Retry([&] { return n.KvPut(as, "secret/", path, data); });
}

// The data of version `version` of secret/`path` as node `n` reads it.
std::optional<SecretData> DataOf(
    Node& n, const Caller& as, const std::string& path, uint64_t version = 0,
    ReadConsistency consistency = ReadConsistency::kLinearizable) {
  absl::StatusOr<KvReadResult> r =
      n.KvGet(as, "secret/", path, version, consistency);
  if (!r.ok()) return std::nullopt;
  return r->data;
}

TEST_CASE("kv versions are written and read on the leader and a follower",
          "[node][kv]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);

  absl::StatusOr<std::vector<MountInfo>> mounts =
      c.node(follower).ListKvMounts(c.root());
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 1);
  CHECK((*mounts)[0].path == "secret/");
  CHECK((*mounts)[0].id.size() == 16);

  absl::StatusOr<VersionMetadata> v1 =
      c.node(leader).KvPut(c.root(), "secret/", "app/db", {{"user", "u1"}});
  REQUIRE(v1.ok());
  CHECK(v1->version == 1);
  absl::StatusOr<VersionMetadata> v2 =
      c.node(follower).KvPut(c.root(), "secret", "app/db", {{"user", "u2"}});
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(v2->created_time >= v1->created_time);

  // A linearizable read on a follower sees the write it just acknowledged.
  absl::StatusOr<KvReadResult> got =
      c.node(follower).KvGet(c.root(), "secret/", "app/db");
  REQUIRE(got.ok());
  CHECK(got->metadata.version == 2);
  REQUIRE(got->data.has_value());
  CHECK(*got->data == SecretData{{"user", "u2"}});
  CHECK(DataOf(c.node(leader), c.root(), "app/db", 1) ==
        SecretData{{"user", "u1"}});
  for (uint64_t id : c.ids()) {
    CHECK(Eventually([&] {
      return DataOf(c.node(id), c.root(), "app/db", 2,
                    ReadConsistency::kStale) == SecretData{{"user", "u2"}};
    }));
  }

  // Patch from the follower builds on the latest version.
  SecretPatch patch;
  patch.set = {{"password", "p3"}};
  absl::StatusOr<VersionMetadata> v3 =
      c.node(follower).KvPatch(c.root(), "secret/", "app/db", patch);
  REQUIRE(v3.ok());
  CHECK(v3->version == 3);
  CHECK(DataOf(c.node(leader), c.root(), "app/db") ==
        SecretData{{"password", "p3"}, {"user", "u2"}});

  REQUIRE(c.node(follower)
              .KvPut(c.root(), "secret/", "app/web", {{"k", "v"}})
              .ok());
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "top", {{"k", "v"}}).ok());
  absl::StatusOr<std::vector<std::string>> root =
      c.node(follower).KvList(c.root(), "secret/", "");
  REQUIRE(root.ok());
  CHECK(*root == std::vector<std::string>{"app/", "top"});
  absl::StatusOr<std::vector<std::string>> app =
      c.node(leader).KvList(c.root(), "secret/", "app/");
  REQUIRE(app.ok());
  CHECK(*app == std::vector<std::string>{"db", "web"});

  CHECK(
      c.node(follower).KvGet(c.root(), "secret/", "missing").status().code() ==
      Code::kNotFound);
  CHECK(c.node(follower)
            .KvGet(c.root(), "secret/", "app/db", 9)
            .status()
            .code() == Code::kNotFound);
  CHECK(c.node(follower)
            .KvPut(c.root(), "nomount/", "a", {{"k", "v"}})
            .status()
            .code() == Code::kNotFound);
  CHECK(c.node(leader)
            .KvPut(c.root(), "secret/", "a", {{"", "v"}})
            .status()
            .code() == Code::kInvalidArgument);
  CHECK(c.node(leader)
            .EnableKvMount(c.root(), "secret/inner", MountConfig())
            .code() == Code::kInvalidArgument);
}

TEST_CASE(
    "a follower serves a linearizable read from its own state: the value "
    "never crosses the transport",
    "[node][kv]") {
  // Before the cluster: its nodes send (through the hook) until closed.
  const std::string secret = "plaintext-that-stays-home-7f3a";
  std::atomic<int> frames{0}, with_secret{0};
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);
  c.network().DropIf([&](uint64_t, uint64_t, const std::string& frame) {
    ++frames;
    if (frame.find(secret) != std::string::npos) ++with_secret;
    return false;
  });
  for (int i = 1; i <= 5; ++i) {
    const std::string value = secret + std::to_string(i);
    REQUIRE(
        PutWithRetry(c.node(leader), c.root(), "app/key", {{"v", value}}).ok());
    // Right after the leader acknowledged it, the follower reads it.
    CHECK(DataOf(c.node(follower), c.root(), "app/key") ==
          SecretData{{"v", value}});
  }
  CHECK(frames > 0);
  CHECK(with_secret == 0);
}

TEST_CASE("two concurrent writers with one cas value: exactly one wins",
          "[node][kv][cas]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);
  WriteOptions create;
  create.cas = 0;
  REQUIRE(c.node(follower)
              .KvPut(c.root(), "secret/", "k", {{"n", "0"}}, create)
              .ok());
  CHECK(c.node(leader)
            .KvPut(c.root(), "secret/", "k", {{"n", "x"}}, create)
            .status()
            .code() == Code::kAborted);

  for (uint64_t round = 1; round <= 5; ++round) {
    WriteOptions cas;
    cas.cas = round;
    std::atomic<int> wins{0};
    std::atomic<int> aborted{0};
    std::vector<std::thread> writers;
    for (uint64_t id : {leader, follower}) {
      writers.emplace_back([&, id] {
        absl::StatusOr<VersionMetadata> r = c.node(id).KvPut(
            c.root(), "secret/", "k", {{"n", std::to_string(id)}}, cas);
        if (r.ok() && r->version == round + 1) ++wins;
        if (r.status().code() == Code::kAborted) ++aborted;
      });
    }
    for (std::thread& t : writers) t.join();
    CHECK(wins == 1);
    CHECK(aborted == 1);
    absl::StatusOr<KeyMetadata> meta =
        c.node(leader).KvReadMetadata(c.root(), "secret/", "k");
    REQUIRE(meta.ok());
    CHECK(meta->current_version == round + 1);
  }

  // cas_required on the key: a write without cas is refused.
  KeyMetadataUpdate u;
  u.cas_required = true;
  REQUIRE(c.node(follower).KvWriteMetadata(c.root(), "secret/", "k", u).ok());
  CHECK(c.node(leader)
            .KvPut(c.root(), "secret/", "k", {{"n", "y"}})
            .status()
            .code() == Code::kInvalidArgument);
}

TEST_CASE("a check-and-set is refused only against committed versions",
          "[node][kv][cas][faults]") {
  // A leader runs each request against its applied state and its own
  // writes in flight. Two check-and-sets for one version reach a leader
  // that is cut off: one proposes a version that can never commit, and the
  // other must not be told "check-and-set mismatch" about it (found by the
  // chaos tests, seed 730339).
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const uint64_t leader = Leader(c);
  WriteOptions cas;
  cas.cas = 0;
  REQUIRE(
      c.node(leader).KvPut(c.root(), "secret/", "k", {{"n", "1"}}, cas).ok());
  c.network().Isolate(leader);
  cas.cas = 1;
  absl::StatusOr<VersionMetadata> first, second;
  std::thread a([&] {
    first = c.node(leader).KvPut(c.root(), "secret/", "k", {{"n", "a"}}, cas);
  });
  std::thread b([&] {
    second = c.node(leader).KvPut(c.root(), "secret/", "k", {{"n", "b"}}, cas);
  });
  b.join();
  // The other two elect a leader of their own before the old one is heard
  // again, so that its uncommitted version is overwritten, not committed.
  uint64_t other = 0;
  for (int i = 0; i < 500 && (other == 0 || other == leader); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    absl::StatusOr<LeaderInfo> l = c.node(Followers(c, leader).at(0)).Leader();
    if (l.ok()) other = l->leader_id;
  }
  c.network().Heal();
  a.join();
  REQUIRE(other != 0);
  REQUIRE(other != leader);
  INFO("first: " << first.status() << "; second: " << second.status());
  CHECK(first.status().code() != Code::kAborted);
  CHECK(second.status().code() != Code::kAborted);
  absl::StatusOr<KeyMetadata> meta = Retry(
      [&] { return c.node(other).KvReadMetadata(c.root(), "secret/", "k"); });
  REQUIRE(meta.ok());
  CHECK(meta->current_version == 1);
}

TEST_CASE("kv delete undelete destroy and metadata through the node",
          "[node][kv][versions]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);
  Node& f = c.node(follower);
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(f.KvPut(c.root(), "secret/", "k", {{"v", std::to_string(i)}}).ok());
  }

  // A deleted version still reports its metadata, without data.
  REQUIRE(f.KvDelete(c.root(), "secret/", "k").ok());
  absl::StatusOr<KvReadResult> deleted = f.KvGet(c.root(), "secret/", "k");
  REQUIRE(deleted.ok());
  CHECK(deleted->metadata.version == 3);
  CHECK(deleted->metadata.deletion_time.has_value());
  CHECK_FALSE(deleted->data.has_value());
  REQUIRE(f.KvUndelete(c.root(), "secret/", "k", {3}).ok());
  CHECK(DataOf(c.node(leader), c.root(), "k") == SecretData{{"v", "3"}});

  REQUIRE(f.KvDeleteVersions(c.root(), "secret/", "k", {1}).ok());
  REQUIRE(c.node(leader).KvDestroy(c.root(), "secret/", "k", {2}).ok());
  absl::StatusOr<KvReadResult> one = f.KvGet(c.root(), "secret/", "k", 1);
  REQUIRE(one.ok());
  CHECK_FALSE(one->data.has_value());
  CHECK_FALSE(one->metadata.destroyed);
  absl::StatusOr<KvReadResult> two = f.KvGet(c.root(), "secret/", "k", 2);
  REQUIRE(two.ok());
  CHECK_FALSE(two->data.has_value());
  CHECK(two->metadata.destroyed);
  // Undelete brings back a deleted version, never a destroyed one.
  REQUIRE(f.KvUndelete(c.root(), "secret/", "k", {1, 2}).ok());
  CHECK(DataOf(f, c.root(), "k", 1) == SecretData{{"v", "1"}});
  CHECK(DataOf(f, c.root(), "k", 2) == std::nullopt);
  CHECK(f.KvDestroy(c.root(), "secret/", "k", {}).code() ==
        Code::kInvalidArgument);

  KeyMetadataUpdate u;
  u.max_versions = 2;
  u.delete_version_after = absl::Hours(1);
  u.custom_metadata = CustomMetadata{{"owner", "team-a"}};
  REQUIRE(c.node(leader).KvWriteMetadata(c.root(), "secret/", "k", u).ok());
  absl::StatusOr<KeyMetadata> meta = f.KvReadMetadata(c.root(), "secret/", "k");
  REQUIRE(meta.ok());
  CHECK(meta->current_version == 3);
  CHECK(meta->oldest_version == 1);
  CHECK(meta->max_versions == 2);
  CHECK(meta->delete_version_after == absl::Hours(1));
  CHECK(meta->custom_metadata == CustomMetadata{{"owner", "team-a"}});
  REQUIRE(meta->versions.size() == 3);
  CHECK(meta->versions.at(2).destroyed);
  // The next write prunes to max_versions and carries the custom metadata.
  absl::StatusOr<VersionMetadata> v4 =
      f.KvPut(c.root(), "secret/", "k", {{"v", "4"}});
  REQUIRE(v4.ok());
  CHECK(v4->custom_metadata == CustomMetadata{{"owner", "team-a"}});
  CHECK(v4->deletion_time == v4->created_time + absl::Hours(1));
  meta = c.node(leader).KvReadMetadata(c.root(), "secret/", "k",
                                       ReadConsistency::kStale);
  REQUIRE(meta.ok());
  CHECK(meta->oldest_version == 3);
  CHECK(meta->versions.size() == 2);
  CHECK(f.KvGet(c.root(), "secret/", "k", 1).status().code() ==
        Code::kNotFound);

  REQUIRE(f.KvDeleteMetadata(c.root(), "secret/", "k").ok());
  CHECK(f.KvReadMetadata(c.root(), "secret/", "k").status().code() ==
        Code::kNotFound);
  CHECK(f.KvGet(c.root(), "secret/", "k").status().code() == Code::kNotFound);
  CHECK(f.KvList(c.root(), "secret/", "")->empty());
}

TEST_CASE("tuning a kv mount changes later writes on every node",
          "[node][kv][mounts]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const uint64_t leader = c.WaitForLeader();
  Node& f = c.node(c.AFollower(leader));
  MountConfigUpdate u;
  u.max_versions = 2;
  u.cas_required = true;
  REQUIRE(f.TuneKvMount(c.root(), "secret/", u).ok());
  absl::StatusOr<std::vector<MountInfo>> mounts = f.ListKvMounts(c.root());
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 1);
  CHECK((*mounts)[0].config.max_versions == 2);
  CHECK((*mounts)[0].config.cas_required);
  CHECK(f.KvPut(c.root(), "secret/", "k", {{"v", "1"}}).status().code() ==
        Code::kInvalidArgument);  // cas is required now
  for (uint64_t v = 0; v < 4; ++v) {
    WriteOptions w;
    w.cas = v;
    REQUIRE(f.KvPut(c.root(), "secret/", "k", {{"v", std::to_string(v + 1)}}, w)
                .ok());
  }
  absl::StatusOr<KeyMetadata> meta =
      c.node(leader).KvReadMetadata(c.root(), "secret/", "k");
  REQUIRE(meta.ok());
  CHECK(meta->versions.size() == 2);  // max_versions keeps the last two
  CHECK(meta->oldest_version == 3);

  CHECK(f.TuneKvMount(c.root(), "nomount/", u).code() == Code::kNotFound);
  MountConfigUpdate bad;
  bad.delete_version_after = absl::InfiniteDuration();
  CHECK(f.TuneKvMount(c.root(), "secret/", bad).code() ==
        Code::kInvalidArgument);
}

TEST_CASE("a disabled kv mount is gone and a new one starts empty",
          "[node][kv][mounts]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const uint64_t leader = c.WaitForLeader();
  Node& f = c.node(c.AFollower(leader));
  MountConfig cfg;
  cfg.max_versions = 3;
  REQUIRE(f.EnableKvMount(c.root(), "team/a", cfg).ok());
  for (int i = 0; i < 20; ++i) {
    REQUIRE(f.KvPut(c.root(), "team/a/", "k" + std::to_string(i), {{"v", "x"}})
                .ok());
  }
  absl::StatusOr<std::vector<MountInfo>> mounts = f.ListKvMounts(c.root());
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 2);
  CHECK((*mounts)[0].path == "secret/");
  CHECK((*mounts)[1].path == "team/a/");
  CHECK((*mounts)[1].config.max_versions == 3);

  REQUIRE(f.DisableKvMount(c.root(), "team/a/").ok());
  CHECK(f.DisableKvMount(c.root(), "team/a/").code() == Code::kNotFound);
  CHECK(f.KvGet(c.root(), "team/a/", "k1").status().code() == Code::kNotFound);
  mounts = c.node(leader).ListKvMounts(c.root());
  REQUIRE(mounts.ok());
  CHECK(mounts->size() == 1);
  REQUIRE(f.EnableKvMount(c.root(), "team/a/", MountConfig()).ok());
  CHECK(f.KvGet(c.root(), "team/a/", "k1").status().code() == Code::kNotFound);
  CHECK(f.KvList(c.root(), "team/a/", "")->empty());
}

TEST_CASE("disabling a kv mount purges its records in several proposals",
          "[node][kv][mounts]") {
  TestCluster c(3);
  // 64 KiB entries: purge batches of 27 records, so 80 records take three.
  c.tweak = [](NodeOptions& o) { o.max_entry_bytes = 64 << 10; };
  StartUnsealed(c, Setup().Kv("secret/"));
  const uint64_t leader = c.WaitForLeader();
  Node& f = c.node(c.AFollower(leader));
  REQUIRE(f.EnableKvMount(c.root(), "gone/", MountConfig()).ok());
  for (int i = 0; i < 40; ++i) {
    REQUIRE(
        f.KvPut(c.root(), "gone/", "k" + std::to_string(i), {{"v", "x"}}).ok());
  }
  absl::StatusOr<std::vector<MountInfo>> mounts = f.ListKvMounts(c.root());
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 2);
  REQUIRE((*mounts)[0].path == "gone/");
  // The engine's records, read raw through the barrier (as Vault's sys/raw).
  const std::string meta = "logical/" + (*mounts)[0].id + "/meta/";
  REQUIRE(c.node(leader).GetRaw(c.root(), meta + "k0").ok());
  REQUIRE(c.node(leader).GetRaw(c.root(), meta + "k39").ok());

  REQUIRE(f.DisableKvMount(c.root(), "gone/").ok());
  for (uint64_t id : c.ids()) {
    CHECK(Eventually([&] {
      for (int i = 0; i < 40; ++i) {
        absl::StatusOr<std::string> r = c.node(id).GetRaw(
            c.root(), meta + "k" + std::to_string(i), ReadConsistency::kStale);
        if (r.status().code() != Code::kNotFound) return false;
      }
      return true;
    }));
  }
  CHECK(DataOf(f, c.root(), "app") == std::nullopt);
  REQUIRE(f.KvPut(c.root(), "secret/", "after", {{"v", "1"}}).ok());
}

TEST_CASE("a sealed node refuses kv operations", "[node][kv][seal]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);
  REQUIRE(c.node(leader).KvPut(c.root(), "secret/", "k", {{"v", "1"}}).ok());
  REQUIRE(c.node(follower).Seal(c.root()).ok());
  Node& f = c.node(follower);
  CHECK(f.KvPut(c.root(), "secret/", "k", {{"v", "2"}}).status().code() ==
        Code::kFailedPrecondition);
  CHECK(f.KvGet(c.root(), "secret/", "k").status().code() ==
        Code::kFailedPrecondition);
  CHECK(f.KvGet(c.root(), "secret/", "k", 0, ReadConsistency::kStale)
            .status()
            .code() == Code::kFailedPrecondition);
  CHECK(f.KvList(c.root(), "secret/", "").status().code() ==
        Code::kFailedPrecondition);
  CHECK(f.EnableKvMount(c.root(), "other/", MountConfig()).code() ==
        Code::kFailedPrecondition);
  CHECK(f.KvDelete(c.root(), "secret/", "k").code() ==
        Code::kFailedPrecondition);
  // The cluster itself goes on.
  CHECK(DataOf(c.node(leader), c.root(), "k") == SecretData{{"v", "1"}});
}

TEST_CASE("kv secrets survive a leader crash and a full restart",
          "[node][kv][restart]") {
  TestCluster c(3);
  std::vector<std::string> keys = StartUnsealed(c, Setup().Kv("secret/")).keys;
  const uint64_t old_leader = c.WaitForLeader();
  REQUIRE(
      c.node(old_leader).KvPut(c.root(), "secret/", "a", {{"v", "1"}}).ok());

  c.Stop(old_leader);
  const uint64_t leader = Leader(c, {old_leader});
  const uint64_t follower = c.AFollower(leader);
  absl::StatusOr<VersionMetadata> v2 =
      PutWithRetry(c.node(follower), c.root(), "a", {{"v", "2"}});
  REQUIRE(v2.ok());
  CHECK(v2->version == 2);
  CHECK(DataOf(c.node(leader), c.root(), "a", 1) == SecretData{{"v", "1"}});
  REQUIRE(c.Start(old_leader).ok());
  REQUIRE(c.Unseal(old_leader, {keys[1], keys[2]}).ok());
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      return DataOf(c.node(id), c.root(), "a", 2, ReadConsistency::kStale) ==
             SecretData{{"v", "2"}};
    }));
  }

  RestartAll(c);
  for (uint64_t id : c.ids()) {
    CHECK(c.node(id)
              .KvGet(c.root(), "secret/", "a", 0, ReadConsistency::kStale)
              .status()
              .code() == Code::kFailedPrecondition);
  }
  UnsealAll(c, {keys[0], keys[2]});
  for (uint64_t id : c.ids()) {
    CHECK(DataOf(c.node(id), c.root(), "a", 1, ReadConsistency::kStale) ==
          SecretData{{"v", "1"}});
    CHECK(DataOf(c.node(id), c.root(), "a", 0, ReadConsistency::kStale) ==
          SecretData{{"v", "2"}});
  }
  const uint64_t new_leader = c.WaitForLeader();
  REQUIRE(
      PutWithRetry(c.node(c.AFollower(new_leader)), c.root(), "a", {{"v", "3"}})
          .ok());
  CHECK(DataOf(c.node(new_leader), c.root(), "a") == SecretData{{"v", "3"}});
}

TEST_CASE("kv values and field names never reach the disk in plaintext",
          "[node][kv][barrier]") {
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const std::string value = "kv-plaintext-that-must-stay-in-memory-91c2";
  const std::string field = "kv-field-name-that-must-stay-in-memory-5d0e";
  REQUIRE(c.node(1).KvPut(c.root(), "secret/", "p", {{field, value}}).ok());
  SecretPatch patch;
  patch.set = {{"other", value + "-patched"}};
  REQUIRE(c.node(2).KvPatch(c.root(), "secret/", "p", patch).ok());
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      absl::StatusOr<KvReadResult> r = c.node(id).KvGet(
          c.root(), "secret/", "p", 2, ReadConsistency::kStale);
      return r.ok() && r->data.has_value();
    }));
  }
  for (uint64_t id : c.ids()) c.Stop(id);
  const DiskScan scan = ScanDataDirs(c, {value, field});
  CHECK(scan.files > 0);
  CHECK(scan.files_with_needle == std::vector<std::string>{});
}

}  // namespace
}  // namespace coffer::testing
