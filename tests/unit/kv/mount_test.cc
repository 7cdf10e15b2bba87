// Mounts: enable, disable, list, configuration.
#include "absl/strings/match.h"
#include "kv/records.h"
#include "kv_fixture.h"

namespace coffer::kv {
namespace {

struct Mounts {
  MemoryStore store;
  Engine engine;
  absl::Time now = absl::FromUnixSeconds(1'600'000'000);

  explicit Mounts(EngineOptions options = {}) : engine(options) {}

  absl::Status Enable(absl::string_view path, MountConfig config = {}) {
    MemoryTxn txn(&store);
    absl::Status s = engine.EnableMount(&txn, now, path, config);
    if (s.ok()) txn.Commit();
    CHECK((s.ok() || txn.size() == 0));
    return s;
  }
  absl::Status Disable(absl::string_view path) {
    MemoryTxn txn(&store);
    absl::Status s = engine.DisableMount(&txn, path);
    if (s.ok()) txn.Commit();
    CHECK((s.ok() || txn.size() == 0));
    return s;
  }
  std::vector<std::string> Paths() {
    std::vector<MountInfo> mounts = *engine.ListMounts(&store);
    std::vector<std::string> out;
    for (const MountInfo& m : mounts) out.push_back(m.path);
    return out;
  }
};

TEST_CASE("mounts are enabled listed and disabled", "[kv][mount]") {
  Mounts m;
  CHECK(m.engine.ListMounts(&m.store)->empty());
  REQUIRE(m.Enable("secret").ok());
  m.now += absl::Seconds(5);
  MountConfig config;
  config.max_versions = 3;
  config.cas_required = true;
  config.delete_version_after = absl::Hours(2);
  REQUIRE(m.Enable("apps/team-a/", config).ok());
  std::vector<MountInfo> mounts = *m.engine.ListMounts(&m.store);
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[0].path == "apps/team-a/");
  CHECK(mounts[0].id == "0000000000000002");
  CHECK(mounts[0].created_time == m.now);
  CHECK(mounts[0].config.max_versions == 3);
  CHECK(mounts[0].config.cas_required);
  CHECK(mounts[0].config.delete_version_after == absl::Hours(2));
  CHECK(mounts[1].path == "secret/");
  CHECK(mounts[1].id == "0000000000000001");
  CHECK(mounts[1].created_time == m.now - absl::Seconds(5));
  REQUIRE(m.Disable("secret/").ok());
  CHECK(m.Paths() == std::vector<std::string>{"apps/team-a/"});
  CHECK(absl::IsNotFound(m.Disable("secret/")));
}

TEST_CASE("mount paths may not repeat or nest", "[kv][mount]") {
  Mounts m;
  REQUIRE(m.Enable("a/b").ok());
  for (const char* path : {"a/b", "a/b/", "a", "a/b/c", "a/b/c/d/"}) {
    INFO(path);
    absl::Status s = m.Enable(path);
    CHECK(absl::IsInvalidArgument(s));
    CHECK(absl::StrContains(s.message(), "conflicts"));
  }
  CHECK(m.Enable("a/bc").ok());
  CHECK(m.Enable("ab").ok());
  CHECK(m.Paths() == std::vector<std::string>{"a/b/", "a/bc/", "ab/"});
}

TEST_CASE("a full path resolves to its mount and key", "[kv][mount]") {
  Mounts m;
  REQUIRE(m.Enable("secret").ok());
  REQUIRE(m.Enable("team/a").ok());
  auto resolve = [&](absl::string_view full) {
    return m.engine.ResolvePath(&m.store, full);
  };
  CHECK(resolve("secret/app/db")->mount == "secret/");
  CHECK(resolve("secret/app/db")->path == "app/db");
  CHECK(resolve("team/a/x")->mount == "team/a/");
  CHECK(resolve("team/a/x")->path == "x");
  CHECK(resolve("secret")->path.empty());
  CHECK(resolve("secret/")->path.empty());
  for (const char* full : {"secrets/x", "secre", "team/x", "team", "", "/"}) {
    INFO(full);
    CHECK(absl::IsNotFound(resolve(full).status()));
  }
}

TEST_CASE("bad mount paths and settings are rejected", "[kv][mount]") {
  Mounts m;
  for (const char* path : {"", "/", "/a", "a//", "a//b", "..", "a/./"}) {
    INFO(path);
    CHECK(absl::IsInvalidArgument(m.Enable(path)));
  }
  MountConfig config;
  config.delete_version_after = absl::Seconds(-5);
  CHECK(absl::IsInvalidArgument(m.Enable("secret", config)));
  CHECK(m.engine.ListMounts(&m.store)->empty());
  CHECK(absl::IsNotFound(m.Disable("secret")));
  CHECK(absl::IsInvalidArgument(m.Disable("//")));
}

TEST_CASE("disabling a mount removes all of its data", "[kv][mount]") {
  KvFixture f;
  MemoryTxn txn(&f.store);  // a second mount in the same store
  REQUIRE(f.engine.EnableMount(&txn, f.now, "other", {}).ok());
  txn.Commit();
  for (int i = 0; i < 20; ++i) {
    REQUIRE(f.Put("k" + std::to_string(i % 4), {{"v", "x"}}).ok());
  }
  REQUIRE(f.WriteMetadata("meta-only", {}).ok());
  f.mount = "other/";
  REQUIRE(f.Put("survivor", {{"v", "y"}}).ok());
  f.mount = "secret/";
  REQUIRE(
      f.Run([&](Txn* t) { return f.engine.DisableMount(t, "secret/"); }).ok());
  for (const auto& [key, value] : f.store.data()) {
    INFO(key);
    CHECK_FALSE(absl::StartsWith(key, MountPrefix(1)));
  }
  f.mount = "other/";
  CHECK(f.Data("survivor") == SecretData{{"v", "y"}});
}

TEST_CASE("a large mount is purged in bounded batches", "[kv][mount]") {
  EngineOptions options;
  options.purge_batch_records = 7;
  KvFixture f({}, options);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(f.Put("k" + std::to_string(i), {{"v", "x"}}).ok());
  }
  // 20 records: 10 metadata, 10 data.
  auto records_of = [&](uint64_t id) {
    return f.store.List(MountPrefix(id))->size();
  };
  REQUIRE(records_of(1) == 20);
  REQUIRE(
      f.Run([&](Txn* t) { return f.engine.DisableMount(t, "secret/"); }).ok());
  CHECK(f.last_writes.size() == 7 + 1);  // 7 deletes and the mount table
  CHECK(records_of(1) == 13);
  CHECK(f.engine.ListMounts(&f.store)->empty());
  CHECK(absl::IsNotFound(f.Get("k1").status));

  // A new mount meanwhile gets a fresh id and is unaffected by the purge.
  REQUIRE(f.Run([&](Txn* t) {
             return f.engine.EnableMount(t, f.now, "secret/", {});
           }).ok());
  REQUIRE(f.Put("k1", {{"v", "new"}}).ok());
  int steps = 0;
  for (bool more = true; more; ++steps) {
    auto r = f.Run([&](Txn* t) { return f.engine.PurgeDisabledMounts(t); });
    REQUIRE(r.ok());
    CHECK(f.last_writes.size() <= 7 + 1);
    more = *r;
  }
  CHECK(steps == 2);  // 13 records: 7, then 6
  CHECK(records_of(1) == 0);
  CHECK(f.Data("k1") == SecretData{{"v", "new"}});
  // Nothing left to purge: no writes at all.
  auto r = f.Run([&](Txn* t) { return f.engine.PurgeDisabledMounts(t); });
  REQUIRE(r.ok());
  CHECK_FALSE(*r);
  CHECK(f.last_writes.empty());
}

TEST_CASE("purging works through several disabled mounts", "[kv][mount]") {
  EngineOptions options;
  options.purge_batch_records = 3;
  Mounts m(options);
  for (const char* path : {"a", "b", "c"}) REQUIRE(m.Enable(path).ok());
  // Four records in each mount.
  for (uint64_t id = 1; id <= 3; ++id) {
    for (const char* key : {"meta/w", "meta/x", "meta/y", "meta/z"}) {
      m.store.data()[MountPrefix(id) + key] = "";
    }
  }
  REQUIRE(m.Disable("c").ok());  // 3 of c's records go, 1 stays
  REQUIRE(m.Disable("a").ok());  // 3 of a's records go, 1 stays
  CHECK(m.store.List("logical/")->size() == 4 + 1 + 1);
  // One purge step finishes a, then c, within its budget of 3.
  MemoryTxn txn(&m.store);
  CHECK_FALSE(*m.engine.PurgeDisabledMounts(&txn));
  CHECK(txn.writes().size() == 1 + 2);  // the mount table, two deletes
  txn.Commit();
  CHECK(m.store.List("logical/")->size() == 4);  // b's
  CHECK(m.Paths() == std::vector<std::string>{"b/"});
}

TEST_CASE("a re-enabled mount starts empty", "[kv][mount]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"v", "old"}}).ok());
  REQUIRE(
      f.Run([&](Txn* t) { return f.engine.DisableMount(t, "secret"); }).ok());
  REQUIRE(f.Run([&](Txn* t) {
             return f.engine.EnableMount(t, f.now, "secret", {});
           }).ok());
  CHECK(absl::IsNotFound(f.Get("k").status));
  CHECK(f.List("")->empty());
  CHECK(f.engine.ListMounts(&f.store)->at(0).id == "0000000000000002");
  auto v = f.Put("k", {{"v", "new"}});
  REQUIRE(v.ok());
  CHECK(v->version == 1);
}

TEST_CASE("mount configuration reads and partial writes", "[kv][mount]") {
  KvFixture f;
  CHECK(f.engine.ReadMountConfig(&f.store, "secret")->max_versions == 0);
  MountConfigUpdate update;
  update.max_versions = 2;
  update.cas_required = true;
  REQUIRE(f.Run([&](Txn* t) {
             return f.engine.WriteMountConfig(t, "secret/", update);
           }).ok());
  MountConfigUpdate dva;
  dva.delete_version_after = absl::Minutes(1);
  REQUIRE(f.Run([&](Txn* t) {
             return f.engine.WriteMountConfig(t, "secret/", dva);
           }).ok());
  MountConfig config = *f.engine.ReadMountConfig(&f.store, "secret/");
  CHECK(config.max_versions == 2);
  CHECK(config.cas_required);
  CHECK(config.delete_version_after == absl::Minutes(1));
  // The new settings govern the next writes.
  CHECK(absl::IsInvalidArgument(f.Put("k", {{"v", "1"}}).status()));
  for (uint64_t cas = 0; cas < 3; ++cas) {
    REQUIRE(f.Put("k", {{"v", "1"}}, cas).ok());
  }
  CHECK(f.ReadMetadata("k")->versions.size() == 2);
  CHECK(f.Get("k").metadata->deletion_time == f.now + absl::Minutes(1));

  dva.delete_version_after = absl::Seconds(-1);
  CHECK(absl::IsInvalidArgument(f.Run(
      [&](Txn* t) { return f.engine.WriteMountConfig(t, "secret/", dva); })));
  CHECK(absl::IsNotFound(f.engine.ReadMountConfig(&f.store, "nope").status()));
  CHECK(absl::IsNotFound(f.Run(
      [&](Txn* t) { return f.engine.WriteMountConfig(t, "nope/", update); })));
}

TEST_CASE("an oversized mount table is ResourceExhausted", "[kv][mount]") {
  EngineOptions options;
  options.max_entry_bytes = 4096;
  Mounts m(options);
  absl::Status s;
  int enabled = 0;
  while ((s = m.Enable(std::string(200, 'm') + std::to_string(enabled))).ok()) {
    ++enabled;
  }
  CHECK(absl::IsResourceExhausted(s));
  CHECK(enabled > 5);
  CHECK(m.engine.ListMounts(&m.store)->size() == static_cast<size_t>(enabled));
}

}  // namespace
}  // namespace coffer::kv
