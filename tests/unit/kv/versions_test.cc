// Version states: soft delete, undelete, destroy, max_versions pruning and
// delete_version_after expiry.
#include "kv/records.h"
#include "kv_fixture.h"

namespace coffer::kv {
namespace {

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

// Writes versions 1..n of `path`, one second apart, each {"v": "<i>"}.
void WriteVersions(KvFixture& f, const std::string& path, int n) {
  for (int i = 1; i <= n; ++i) {
    f.now += absl::Seconds(1);
    REQUIRE(f.Put(path, {{"v", std::to_string(i)}}).ok());
  }
}

// A mount config with only max_versions set.
MountConfig MaxVersions(uint32_t n) {
  MountConfig config;
  config.max_versions = n;
  return config;
}

// A mount config with only delete_version_after set.
MountConfig DeleteAfter(absl::Duration d) {
  MountConfig config;
  config.delete_version_after = d;
  return config;
}

TEST_CASE("a soft-deleted latest version reads as NotFound with metadata",
          "[kv][delete]") {
  KvFixture f;
  WriteVersions(f, "k", 2);
  f.now += absl::Minutes(1);
  REQUIRE(f.DeleteLatest("k").ok());
  GetResult r = f.Get("k");
  CHECK(absl::IsNotFound(r.status));
  CHECK(Contains(r.status.message(), "version 2 is deleted"));
  REQUIRE(r.metadata.has_value());
  CHECK(r.metadata->version == 2);
  CHECK(r.metadata->deletion_time == f.now);
  CHECK_FALSE(r.data.has_value());
  CHECK(f.Data("k", 1) == SecretData{{"v", "1"}});
}

TEST_CASE("deleting again or deleting nothing changes nothing",
          "[kv][delete]") {
  KvFixture f;
  CHECK(f.DeleteLatest("missing").ok());
  CHECK(f.last_writes.empty());
  WriteVersions(f, "k", 1);
  REQUIRE(f.DeleteLatest("k").ok());
  const absl::Time first_deletion = f.now;
  f.now += absl::Hours(1);
  f.last_writes.clear();
  REQUIRE(f.DeleteLatest("k").ok());
  CHECK(f.last_writes.empty());
  CHECK(f.Get("k").metadata->deletion_time == first_deletion);
}

TEST_CASE("specific versions are deleted and undeleted", "[kv][delete]") {
  KvFixture f;
  WriteVersions(f, "k", 4);
  REQUIRE(f.DeleteVersions("k", {1, 3, 99}).ok());
  CHECK(absl::IsNotFound(f.Get("k", 1).status));
  CHECK(f.Get("k", 2).status.ok());
  CHECK(absl::IsNotFound(f.Get("k", 3).status));
  CHECK(f.Get("k").status.ok());  // 4 is the latest and untouched
  REQUIRE(f.Undelete("k", {3, 42}).ok());
  CHECK(f.Data("k", 3) == SecretData{{"v", "3"}});
  CHECK_FALSE(f.Get("k", 3).metadata->deletion_time.has_value());
  CHECK(absl::IsNotFound(f.Get("k", 1).status));
  CHECK(absl::IsInvalidArgument(f.DeleteVersions("k", {})));
  CHECK(absl::IsInvalidArgument(f.Undelete("k", {})));
  CHECK(absl::IsInvalidArgument(f.Destroy("k", {})));
}

TEST_CASE("destroyed versions lose their data for good", "[kv][destroy]") {
  KvFixture f;
  WriteVersions(f, "k", 3);
  const std::string data_key_2 = DataKey(1, "k", 2);
  REQUIRE(f.store.data().contains(data_key_2));
  REQUIRE(f.Destroy("k", {2, 7}).ok());
  CHECK_FALSE(f.store.data().contains(data_key_2));
  GetResult r = f.Get("k", 2);
  CHECK(absl::IsNotFound(r.status));
  CHECK(Contains(r.status.message(), "version 2 is destroyed"));
  REQUIRE(r.metadata.has_value());
  CHECK(r.metadata->destroyed);
  CHECK(f.ReadMetadata("k")->versions.at(2).destroyed);
  // Undelete cannot bring it back; the neighbours are untouched.
  REQUIRE(f.Undelete("k", {2}).ok());
  CHECK(absl::IsNotFound(f.Get("k", 2).status));
  CHECK(f.Data("k", 1) == SecretData{{"v", "1"}});
  CHECK(f.Data("k", 3) == SecretData{{"v", "3"}});
  // Destroying a deleted version works; destroying again is a no-op.
  REQUIRE(f.DeleteVersions("k", {1}).ok());
  REQUIRE(f.Destroy("k", {1}).ok());
  CHECK(f.ReadMetadata("k")->versions.at(1).destroyed);
  f.last_writes.clear();
  REQUIRE(f.Destroy("k", {1, 2}).ok());
  CHECK(f.last_writes.empty());
}

TEST_CASE("writes beyond max_versions remove the oldest versions",
          "[kv][max_versions]") {
  KvFixture f(MaxVersions(3));
  WriteVersions(f, "k", 5);
  KeyMetadata meta = *f.ReadMetadata("k");
  CHECK(meta.current_version == 5);
  CHECK(meta.oldest_version == 3);
  CHECK(meta.versions.size() == 3);
  CHECK(meta.versions.begin()->first == 3);
  CHECK(absl::IsNotFound(f.Get("k", 2).status));
  CHECK_FALSE(f.Get("k", 2).metadata.has_value());
  CHECK(f.Data("k", 3) == SecretData{{"v", "3"}});
  CHECK_FALSE(f.store.data().contains(DataKey(1, "k", 1)));
  CHECK_FALSE(f.store.data().contains(DataKey(1, "k", 2)));
}

TEST_CASE("the default max_versions is ten", "[kv][max_versions]") {
  KvFixture f;
  WriteVersions(f, "k", 12);
  CHECK(f.ReadMetadata("k")->oldest_version == 3);
  CHECK(f.ReadMetadata("k")->versions.size() == kDefaultMaxVersions);
}

TEST_CASE(
    "a key's max_versions overrides the mount's and applies on the "
    "next write",
    "[kv][max_versions]") {
  KvFixture f(MaxVersions(5));
  WriteVersions(f, "k", 4);
  KeyMetadataUpdate update;
  update.max_versions = 2;
  REQUIRE(f.WriteMetadata("k", update).ok());
  CHECK(f.ReadMetadata("k")->versions.size() == 4);  // as in Vault
  f.now += absl::Seconds(1);
  REQUIRE(f.Put("k", {{"v", "5"}}).ok());
  KeyMetadata meta = *f.ReadMetadata("k");
  CHECK(meta.versions.size() == 2);
  CHECK(meta.oldest_version == 4);
  // Raising it again keeps what is left and lets versions accumulate.
  update.max_versions = 0;  // back to the mount's 5
  REQUIRE(f.WriteMetadata("k", update).ok());
  WriteVersions(f, "k", 4);
  CHECK(f.ReadMetadata("k")->versions.size() == 5);
}

TEST_CASE("pruning skips the data of destroyed versions",
          "[kv][max_versions]") {
  KvFixture f(MaxVersions(2));
  WriteVersions(f, "k", 2);
  REQUIRE(f.Destroy("k", {1}).ok());
  f.last_writes.clear();
  REQUIRE(f.Put("k", {{"v", "3"}}).ok());
  // One put of data, one of metadata; no delete of the long-gone data.
  CHECK(f.last_writes.size() == 2);
}

TEST_CASE("delete_version_after expires versions by the given time",
          "[kv][expiry]") {
  KvFixture f(DeleteAfter(absl::Hours(1)));
  const absl::Time t0 = f.now;
  auto v = f.Put("k", {{"v", "1"}});
  REQUIRE(v.ok());
  REQUIRE(v->deletion_time.has_value());
  CHECK(*v->deletion_time == t0 + absl::Hours(1));
  f.now = t0 + absl::Hours(1) - absl::Nanoseconds(1);
  CHECK(f.Get("k").status.ok());
  f.now = t0 + absl::Hours(1);
  GetResult r = f.Get("k");
  CHECK(absl::IsNotFound(r.status));
  CHECK(Contains(r.status.message(), "deleted"));
  // An expired latest version cannot be patched; undelete revives it.
  CHECK(absl::IsNotFound(f.Patch("k", {{{"x", "y"}}, {}}).status()));
  REQUIRE(f.Undelete("k", {1}).ok());
  f.now += absl::Hours(100);
  CHECK(f.Get("k").status.ok());
}

TEST_CASE("a key's delete_version_after overrides the mount's",
          "[kv][expiry]") {
  KvFixture f(DeleteAfter(absl::Hours(1)));
  KeyMetadataUpdate update;
  update.delete_version_after = absl::Minutes(5);
  REQUIRE(f.WriteMetadata("short", update).ok());
  const absl::Time t0 = f.now;
  REQUIRE(f.Put("short", {{"v", "1"}}).ok());
  REQUIRE(f.Put("long", {{"v", "1"}}).ok());
  f.now = t0 + absl::Minutes(10);
  CHECK(absl::IsNotFound(f.Get("short").status));
  CHECK(f.Get("long").status.ok());
  // Setting the duration later does not change versions already written.
  REQUIRE(f.WriteMetadata("long", update).ok());
  CHECK(f.Get("long").status.ok());
}

TEST_CASE("soft delete moves a scheduled deletion to now", "[kv][expiry]") {
  KvFixture f(DeleteAfter(absl::Hours(1)));
  REQUIRE(f.Put("k", {{"v", "1"}}).ok());
  f.now += absl::Minutes(1);
  REQUIRE(f.DeleteLatest("k").ok());
  CHECK(f.Get("k").metadata->deletion_time == f.now);
}

TEST_CASE("operations on a missing key are harmless", "[kv][delete]") {
  KvFixture f;
  CHECK(f.DeleteVersions("missing", {1}).ok());
  CHECK(f.Undelete("missing", {1}).ok());
  CHECK(f.Destroy("missing", {1}).ok());
  CHECK(f.DeleteMetadata("missing").ok());
  CHECK(f.store.data().size() == 1);  // just the mount table
}

}  // namespace
}  // namespace coffer::kv
