// Key metadata (read, partial write, delete) and one-level listing.
#include "kv/records.h"
#include "kv/validate.h"
#include "kv_fixture.h"

namespace coffer::kv {
namespace {

using Entries = std::vector<std::string>;

TEST_CASE("metadata records versions and times", "[kv][metadata]") {
  KvFixture f;
  const absl::Time t0 = f.now;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  f.now += absl::Seconds(10);
  REQUIRE(f.Put("k", {{"a", "2"}}).ok());
  f.now += absl::Seconds(10);
  REQUIRE(f.DeleteVersions("k", {1}).ok());
  KeyMetadata meta = *f.ReadMetadata("k");
  CHECK(meta.created_time == t0);
  CHECK(meta.updated_time == t0 + absl::Seconds(10));
  CHECK(meta.current_version == 2);
  CHECK(meta.oldest_version == 1);
  REQUIRE(meta.versions.size() == 2);
  CHECK(meta.versions.at(1).created_time == t0);
  CHECK(meta.versions.at(1).deletion_time == f.now);
  CHECK(meta.versions.at(2).created_time == t0 + absl::Seconds(10));
  CHECK_FALSE(meta.versions.at(2).deletion_time.has_value());
  CHECK(absl::IsNotFound(f.ReadMetadata("other").status()));
}

TEST_CASE("a metadata write changes only the fields it sets",
          "[kv][metadata]") {
  KvFixture f;
  KeyMetadataUpdate first;
  first.max_versions = 4;
  first.cas_required = true;
  first.delete_version_after = absl::Minutes(3);
  first.custom_metadata = CustomMetadata{{"owner", "ops"}, {"tier", "1"}};
  REQUIRE(f.WriteMetadata("k", first).ok());

  KeyMetadataUpdate second;
  second.max_versions = 7;
  f.now += absl::Seconds(1);
  REQUIRE(f.WriteMetadata("k", second).ok());
  KeyMetadata meta = *f.ReadMetadata("k");
  CHECK(meta.max_versions == 7);
  CHECK(meta.cas_required);
  CHECK(meta.delete_version_after == absl::Minutes(3));
  CHECK(meta.custom_metadata ==
        CustomMetadata{{"owner", "ops"}, {"tier", "1"}});
  CHECK(meta.updated_time == f.now);
  CHECK(meta.created_time == f.now - absl::Seconds(1));
  CHECK(meta.current_version == 0);
  CHECK(meta.versions.empty());

  KeyMetadataUpdate third;
  third.custom_metadata = CustomMetadata{{"owner", "dev"}};  // replaces all
  REQUIRE(f.WriteMetadata("k", third).ok());
  meta = *f.ReadMetadata("k");
  CHECK(meta.custom_metadata == CustomMetadata{{"owner", "dev"}});
  CHECK(meta.max_versions == 7);
}

TEST_CASE("custom metadata shows on every version read", "[kv][metadata]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  KeyMetadataUpdate update;
  update.custom_metadata = CustomMetadata{{"team", "payments"}};
  REQUIRE(f.WriteMetadata("k", update).ok());
  CHECK(f.Get("k").metadata->custom_metadata == *update.custom_metadata);
  auto v = f.Put("k", {{"a", "2"}});
  REQUIRE(v.ok());
  CHECK(v->custom_metadata == *update.custom_metadata);
}

TEST_CASE("bad metadata settings are rejected", "[kv][metadata][validate]") {
  KvFixture f;
  KeyMetadataUpdate negative;
  negative.delete_version_after = absl::Seconds(-1);
  CHECK(absl::IsInvalidArgument(f.WriteMetadata("k", negative)));
  KeyMetadataUpdate infinite;
  infinite.delete_version_after = absl::InfiniteDuration();
  CHECK(absl::IsInvalidArgument(f.WriteMetadata("k", infinite)));

  CustomMetadata too_many;
  for (size_t i = 0; i <= kMaxCustomMetadataEntries; ++i) {
    too_many["k" + std::to_string(i)] = "v";
  }
  const std::vector<CustomMetadata> bad = {
      too_many,
      {{"", "v"}},
      {{std::string(kMaxCustomMetadataNameBytes + 1, 'n'), "v"}},
      {{"n", std::string(kMaxCustomMetadataValueBytes + 1, 'v')}},
  };
  for (const CustomMetadata& custom : bad) {
    KeyMetadataUpdate update;
    update.custom_metadata = custom;
    CHECK(absl::IsInvalidArgument(f.WriteMetadata("k", update)));
  }
  CHECK(absl::IsNotFound(f.ReadMetadata("k").status()));
}

TEST_CASE("custom metadata at Vault's limits is accepted",
          "[kv][metadata][validate]") {
  KvFixture f;
  CustomMetadata full;
  for (size_t i = 0; i < kMaxCustomMetadataEntries; ++i) {
    std::string name = std::to_string(i);
    name.resize(kMaxCustomMetadataNameBytes, 'n');
    full[name] = std::string(kMaxCustomMetadataValueBytes, 'v');
  }
  KeyMetadataUpdate update;
  update.custom_metadata = full;
  REQUIRE(f.WriteMetadata("k", update).ok());
  CHECK(f.ReadMetadata("k")->custom_metadata == full);
}

TEST_CASE("key metadata above the entry size limit is ResourceExhausted",
          "[kv][metadata][limits]") {
  EngineOptions options;
  options.max_entry_bytes = 4096;
  KvFixture f({}, options);
  KeyMetadataUpdate update;
  update.custom_metadata.emplace();
  for (int i = 0; i < 10; ++i) {
    (*update.custom_metadata)["n" + std::to_string(i)] = std::string(500, 'v');
  }
  CHECK(absl::IsResourceExhausted(f.WriteMetadata("k", update)));
  CHECK(absl::IsNotFound(f.ReadMetadata("k").status()));
  // Metadata grows with the versions it records: a huge max_versions hits
  // the limit on some write, which then fails and changes nothing.
  KeyMetadataUpdate many;
  many.max_versions = 1'000'000;
  REQUIRE(f.WriteMetadata("k", many).ok());
  absl::Status s;
  uint64_t written = 0;
  while ((s = f.Put("k", {{"v", "x"}}).status()).ok()) ++written;
  CHECK(absl::IsResourceExhausted(s));
  CHECK(written > 50);
  CHECK(f.ReadMetadata("k")->current_version == written);
  // Lowering max_versions lets writes go on.
  many.max_versions = 5;
  REQUIRE(f.WriteMetadata("k", many).ok());
  CHECK(f.Put("k", {{"v", "x"}}).ok());
  CHECK(f.ReadMetadata("k")->versions.size() == 5);
}

TEST_CASE("delete-metadata removes every version and the key",
          "[kv][metadata]") {
  KvFixture f;
  for (int i = 0; i < 3; ++i) REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  REQUIRE(f.Destroy("k", {2}).ok());
  REQUIRE(f.Put("keep", {{"a", "1"}}).ok());
  const size_t before = f.store.data().size();
  REQUIRE(f.DeleteMetadata("k").ok());
  CHECK(f.store.data().size() == before - 3);  // versions 1 and 3, metadata
  CHECK(absl::IsNotFound(f.ReadMetadata("k").status()));
  CHECK(absl::IsNotFound(f.Get("k", 1).status));
  CHECK(*f.List("") == Entries{"keep"});
  // The key starts over at version 1.
  auto v = f.Put("k", {{"a", "new"}}, 0);
  REQUIRE(v.ok());
  CHECK(v->version == 1);
}

TEST_CASE("list shows one level with sub-folders", "[kv][list]") {
  KvFixture f;
  for (const char* path : {"a", "b/c", "b/d/e", "b.x", "b0", "c/d", "bb"}) {
    REQUIRE(f.Put(path, {{"k", "v"}}).ok());
  }
  CHECK(*f.List("") == Entries{"a", "b.x", "b/", "b0", "bb", "c/"});
  CHECK(*f.List("b") == Entries{"c", "d/"});
  CHECK(*f.List("b/") == Entries{"c", "d/"});
  CHECK(*f.List("b/d/") == Entries{"e"});
  CHECK(f.List("nothing/")->empty());
  CHECK(f.List("a/")->empty());  // a key is not a folder
  CHECK(absl::IsInvalidArgument(f.List("/b").status()));
  CHECK(absl::IsInvalidArgument(f.List("b//").status()));
  f.mount = "other/";
  CHECK(absl::IsNotFound(f.List("").status()));
}

TEST_CASE("a key and a folder of the same name both list", "[kv][list]") {
  KvFixture f;
  REQUIRE(f.Put("x", {{"k", "v"}}).ok());
  REQUIRE(f.Put("x/y", {{"k", "v"}}).ok());
  CHECK(*f.List("") == Entries{"x", "x/"});
  CHECK(f.Data("x") == SecretData{{"k", "v"}});
  CHECK(f.Data("x/y") == SecretData{{"k", "v"}});
}

TEST_CASE("keys whose versions are all deleted still list", "[kv][list]") {
  KvFixture f;
  REQUIRE(f.Put("gone", {{"k", "v"}}).ok());
  REQUIRE(f.Put("destroyed", {{"k", "v"}}).ok());
  REQUIRE(f.WriteMetadata("metadata-only", {}).ok());
  REQUIRE(f.DeleteLatest("gone").ok());
  REQUIRE(f.Destroy("destroyed", {1}).ok());
  CHECK(*f.List("") == Entries{"destroyed", "gone", "metadata-only"});
  REQUIRE(f.DeleteMetadata("gone").ok());
  CHECK(*f.List("") == Entries{"destroyed", "metadata-only"});
}

}  // namespace
}  // namespace coffer::kv
