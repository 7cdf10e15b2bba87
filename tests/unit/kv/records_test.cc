// Stored records: layout, exact encodings, corruption, determinism.
#include "kv/records.h"

#include "absl/strings/match.h"
#include "kv_fixture.h"
#include "proto/kv.pb.h"

namespace coffer::kv {
namespace {

bool IsDataLossAt(const absl::Status& s, absl::string_view key) {
  INFO(s.ToString());
  return absl::IsDataLoss(s) && absl::StrContains(s.message(), key) &&
         absl::StartsWith(s.message(), "kv: corrupt ");
}

TEST_CASE("records live at the documented keys", "[kv][records]") {
  KvFixture f;
  REQUIRE(f.Put("app/db", {{"pw", "x"}}).ok());
  WriteSet expected_keys = {
      {"logical/0000000000000001/data/app/db/0000000000000001", {}},
      {"logical/0000000000000001/meta/app/db", {}}};
  REQUIRE(f.last_writes.size() == 2);
  CHECK(f.last_writes[0].key == expected_keys[0].key);
  CHECK(f.last_writes[1].key == expected_keys[1].key);
  CHECK(f.store.data().contains(std::string(kMountTableKey)));
}

TEST_CASE("version data has a stable encoding", "[kv][records]") {
  // format_version 1; one Field {name "a", value "b"}.
  CHECK(EncodeVersionData(VersionFields{SecretData{{"a", "b"}}, {}}) ==
        std::string("\x08\x01\x12\x06\x0a\x01"
                    "a\x12\x01"
                    "b",
                    10));
  // A JSON value's field adds json = true (field 3) and nothing else.
  CHECK(EncodeVersionData(VersionFields{SecretData{{"a", "1"}}, {"a"}}) ==
        std::string("\x08\x01\x12\x08\x0a\x01"
                    "a\x12\x01"
                    "1\x18\x01",
                    12));
  MemoryStore store;
  store.data()["d"] = EncodeVersionData(
      VersionFields{SecretData{{"z", "1"}, {"a", ""}, {"n", "[1]"}}, {"n"}});
  absl::StatusOr<VersionFields> read = LoadVersionData(&store, "d");
  REQUIRE(read.ok());
  CHECK(read->data == SecretData{{"a", ""}, {"n", "[1]"}, {"z", "1"}});
  CHECK(read->json == std::set<std::string>{"n"});
}

TEST_CASE("a corrupt mount table is DataLoss for every operation",
          "[kv][records][corrupt]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  kvpb::MountTable purging_enabled;
  purging_enabled.set_format_version(1);
  purging_enabled.set_next_mount_id(2);
  purging_enabled.add_mounts()->set_path("secret/");
  purging_enabled.mutable_mounts(0)->set_id(1);
  purging_enabled.add_purging_ids(1);
  kvpb::MountTable unknown_id = purging_enabled;
  unknown_id.mutable_mounts(0)->set_id(2);
  unknown_id.clear_purging_ids();
  for (const std::string& bad :
       {std::string("\xff\xff\xff"), std::string("\x08\x02", 2),
        Encode(purging_enabled), Encode(unknown_id)}) {
    f.store.data()[std::string(kMountTableKey)] = bad;
    CHECK(IsDataLossAt(f.Get("k").status, kMountTableKey));
    CHECK(IsDataLossAt(f.Put("k", {{"a", "2"}}).status(), kMountTableKey));
    CHECK(IsDataLossAt(f.engine.ListMounts(&f.store).status(), kMountTableKey));
    CHECK(IsDataLossAt(f.List("").status(), kMountTableKey));
  }
}

TEST_CASE("corrupt key metadata is DataLoss", "[kv][records][corrupt]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  REQUIRE(f.Put("k", {{"a", "2"}}).ok());
  const std::string key = MetadataKey(1, "k");
  const std::string good = f.store.data().at(key);
  kvpb::KeyMetadata meta;
  REQUIRE(meta.ParseFromString(good));

  std::vector<std::pair<std::string, std::string>> cases;
  cases.emplace_back("garbage", "\x0a\xff");
  kvpb::KeyMetadata m = meta;
  m.set_format_version(2);
  cases.emplace_back("future format", Encode(m));
  m = meta;
  m.mutable_versions()->SwapElements(0, 1);
  cases.emplace_back("versions out of order", Encode(m));
  m = meta;
  m.set_current_version(5);
  cases.emplace_back("current version not last", Encode(m));
  m = meta;
  m.clear_versions();
  cases.emplace_back("versions missing", Encode(m));
  m = meta;
  m.set_delete_version_after_nanos(-1);
  cases.emplace_back("negative duration", Encode(m));
  for (const auto& [name, bytes] : cases) {
    INFO(name);
    f.store.data()[key] = bytes;
    CHECK(IsDataLossAt(f.Get("k").status, key));
    CHECK(IsDataLossAt(f.ReadMetadata("k").status(), key));
    CHECK(IsDataLossAt(f.Put("k", {{"a", "3"}}).status(), key));
    CHECK(IsDataLossAt(f.DeleteLatest("k"), key));
    CHECK(IsDataLossAt(f.DeleteMetadata("k"), key));
  }
  f.store.data()[key] = good;
  CHECK(f.Data("k") == SecretData{{"a", "2"}});
}

TEST_CASE("corrupt or missing version data is DataLoss",
          "[kv][records][corrupt]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  const std::string key = DataKey(1, "k", 1);
  kvpb::VersionData unsorted;
  unsorted.set_format_version(1);
  unsorted.add_fields()->set_name("b");
  unsorted.add_fields()->set_name("a");
  kvpb::VersionData unnamed;
  unnamed.set_format_version(1);
  unnamed.add_fields()->set_value("v");
  for (const std::string& bad :
       {std::string("\x12\x05"), Encode(unsorted), Encode(unnamed)}) {
    f.store.data()[key] = bad;
    GetResult r = f.Get("k");
    CHECK(IsDataLossAt(r.status, key));
    CHECK_FALSE(r.metadata.has_value());
    CHECK_FALSE(r.data.has_value());
    CHECK(IsDataLossAt(f.Patch("k", {{{"b", "2"}}, {}}).status(), key));
  }
  f.store.data().erase(key);
  GetResult r = f.Get("k");
  CHECK(IsDataLossAt(r.status, key));
  CHECK(absl::StrContains(r.status.message(), "missing"));
}

// The statuses an operation may return over a damaged store: a flipped bit
// is either detected (DataLoss) or yields another valid record, such as one
// with cas_required set. Anything else, or a crash, fails the test.
void CheckAcceptable(const absl::Status& s) {
  INFO(s.ToString());
  CHECK((s.ok() || absl::IsDataLoss(s) || absl::IsNotFound(s) ||
         absl::IsAborted(s) || absl::IsResourceExhausted(s) ||
         absl::IsInvalidArgument(s)));
}

TEST_CASE("any bit flipped in any record is survived",
          "[kv][records][corrupt]") {
  KvFixture f;
  KeyMetadataUpdate update;
  update.custom_metadata = CustomMetadata{{"o", "p"}};
  update.delete_version_after = absl::Hours(1);
  REQUIRE(f.WriteMetadata("k", update).ok());
  for (int i = 0; i < 3; ++i) REQUIRE(f.Put("k", {{"a", "1"}, {"b", ""}}).ok());
  REQUIRE(f.DeleteVersions("k", {1}).ok());
  REQUIRE(f.Destroy("k", {2}).ok());
  const auto pristine = f.store.data();
  int ops = 0;
  for (const auto& [key, value] : pristine) {
    for (size_t byte = 0; byte < value.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        f.store.data() = pristine;
        f.store.data()[key][byte] ^= static_cast<char>(1 << bit);
        INFO(key << " byte " << byte << " bit " << bit);
        CheckAcceptable(f.Get("k").status);
        CheckAcceptable(f.Get("k", 1).status);
        CheckAcceptable(f.ReadMetadata("k").status());
        CheckAcceptable(f.List("").status());
        CheckAcceptable(f.Patch("k", {{{"c", "3"}}, {"a"}}).status());
        CheckAcceptable(f.Put("k", {{"a", "2"}}).status());
        CheckAcceptable(f.Undelete("k", {1, 2}));
        CheckAcceptable(f.Destroy("k", {3}));
        CheckAcceptable(f.DeleteMetadata("k"));
        ops += 9;
      }
    }
  }
  CHECK(ops > 1000);
}

// Runs a fixed script of operations at fixed times on a fresh store and
// returns every committed write set.
std::vector<WriteSet> RunScript() {
  MountConfig config;
  config.max_versions = 3;
  config.delete_version_after = absl::Hours(24);
  KvFixture f(config);
  std::vector<WriteSet> out = {f.last_writes};
  auto step = [&](auto&& status) {
    REQUIRE(IsOk(status));
    out.push_back(f.last_writes);
    f.now += absl::Milliseconds(1500);
  };
  step(f.Put("db/primary", {{"user", "app"}, {"password", "s3cret"}}));
  step(f.Put("db/primary", {{"user", "app"}, {"password", "rotated"}}, 1));
  step(f.Patch("db/primary", {{{"port", "5432"}}, {"user"}}));
  step(f.Put("db/replica", {{"password", std::string("\0\x01", 2)}}));
  KeyMetadataUpdate update;
  update.custom_metadata = CustomMetadata{{"owner", "dba"}, {"env", "prod"}};
  update.max_versions = 2;
  step(f.WriteMetadata("db/primary", update));
  step(f.DeleteVersions("db/primary", {2}));
  step(f.Put("db/primary", {{"password", "again"}}));
  step(f.Destroy("db/primary", {3}));
  step(f.Undelete("db/primary", {2, 4}));
  step(f.DeleteLatest("db/replica"));
  step(f.DeleteMetadata("db/replica"));
  step(f.Run([&](Txn* t) { return f.engine.DisableMount(t, "secret/"); }));
  return out;
}

TEST_CASE("the same operations at the same times write identical bytes",
          "[kv][determinism]") {
  std::vector<WriteSet> first = RunScript();
  std::vector<WriteSet> second = RunScript();
  REQUIRE(first.size() == second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    INFO("step " << i);
    CHECK_FALSE(first[i].empty());
    CHECK(first[i] == second[i]);
  }
}

TEST_CASE("replaying write sets reproduces the leader's store",
          "[kv][determinism]") {
  KvFixture leader;
  MemoryStore follower;
  follower.Apply(leader.last_writes);
  for (int i = 0; i < 15; ++i) {
    leader.now += absl::Seconds(1);
    REQUIRE(leader.Put("k" + std::to_string(i % 3), {{"i", std::to_string(i)}})
                .ok());
    follower.Apply(leader.last_writes);
    if (i % 4 == 0) {
      REQUIRE(leader.Destroy("k0", {1, 2}).ok());
      follower.Apply(leader.last_writes);
    }
  }
  CHECK(follower.data() == leader.store.data());
}

}  // namespace
}  // namespace coffer::kv
