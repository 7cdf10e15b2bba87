// Writing and reading versions: put, get, check-and-set, patch, limits.
#include "absl/strings/match.h"
#include "kv/validate.h"
#include "kv_fixture.h"

namespace coffer::kv {
namespace {

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

TEST_CASE("versions accumulate and each stays readable", "[kv][put]") {
  KvFixture f;
  for (int i = 1; i <= 3; ++i) {
    f.now += absl::Seconds(1);
    auto v = f.Put("app/db", {{"password", "p" + std::to_string(i)}});
    REQUIRE(v.ok());
    CHECK(v->version == static_cast<uint64_t>(i));
    CHECK(v->created_time == f.now);
    CHECK_FALSE(v->deletion_time.has_value());
    CHECK_FALSE(v->destroyed);
  }
  CHECK(f.Data("app/db") == SecretData{{"password", "p3"}});
  CHECK(f.Data("app/db", 1) == SecretData{{"password", "p1"}});
  CHECK(f.Data("app/db", 2) == SecretData{{"password", "p2"}});
  GetResult r = f.Get("app/db");
  CHECK(r.metadata->version == 3);
  CHECK(r.metadata->created_time == f.now);
}

TEST_CASE("values are arbitrary bytes and data may be empty", "[kv][put]") {
  KvFixture f;
  const std::string binary("\0\xff\x01zero", 7);
  REQUIRE(f.Put("bin", {{"k", binary}, {"empty", ""}}).ok());
  CHECK(f.Data("bin") == SecretData{{"k", binary}, {"empty", ""}});
  REQUIRE(f.Put("nothing", {}).ok());
  CHECK(f.Data("nothing").empty());
}

TEST_CASE("operations batched in one txn see each other", "[kv][txn]") {
  KvFixture f;
  MemoryTxn txn(&f.store);
  const Engine& e = f.engine;
  REQUIRE(e.Put(&txn, f.now, "secret", "k", {{"a", "1"}}, {0}).ok());
  REQUIRE(e.Put(&txn, f.now, "secret", "k", {{"a", "2"}}, {1}).ok());
  CHECK(absl::IsAborted(
      e.Put(&txn, f.now, "secret", "k", {{"a", "x"}}, {1}).status()));
  CHECK(e.Get(&txn, f.now, "secret", "k", 0).data == SecretData{{"a", "2"}});
  CHECK(absl::IsNotFound(f.Get("k").status));  // nothing committed yet
  WriteSet writes = txn.Commit();
  CHECK(writes.size() == 3);  // two data records, one metadata record
  CHECK(f.Data("k", 1) == SecretData{{"a", "1"}});
  CHECK(f.Data("k") == SecretData{{"a", "2"}});
}

TEST_CASE("reading what is not there is NotFound", "[kv][get]") {
  KvFixture f;
  GetResult r = f.Get("missing");
  CHECK(absl::IsNotFound(r.status));
  CHECK_FALSE(r.metadata.has_value());
  CHECK_FALSE(r.data.has_value());
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  r = f.Get("k", 2);
  CHECK(absl::IsNotFound(r.status));
  CHECK(Contains(r.status.message(), "version 2 does not exist"));
  CHECK_FALSE(r.metadata.has_value());
  f.mount = "nowhere/";
  CHECK(absl::IsNotFound(f.Get("k").status));
  CHECK(absl::IsNotFound(f.Put("k", {{"a", "1"}}).status()));
}

TEST_CASE("cas 0 writes only a key that does not exist", "[kv][cas]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}, 0).ok());
  auto again = f.Put("k", {{"a", "2"}}, 0);
  CHECK(absl::IsAborted(again.status()));
  CHECK(Contains(again.status().message(), "kv: check-and-set mismatch"));
  CHECK(Contains(again.status().message(), "current version is 1"));
  CHECK(f.Data("k") == SecretData{{"a", "1"}});
}

TEST_CASE("cas N writes only over version N", "[kv][cas]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  REQUIRE(f.Put("k", {{"a", "2"}}).ok());
  CHECK(absl::IsAborted(f.Put("k", {{"a", "x"}}, 1).status()));
  CHECK(absl::IsAborted(f.Put("k", {{"a", "x"}}, 3).status()));
  auto v = f.Put("k", {{"a", "3"}}, 2);
  REQUIRE(v.ok());
  CHECK(v->version == 3);
}

TEST_CASE("of two writers at the same cas exactly one wins", "[kv][cas]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "base"}}).ok());
  // Both writers read version 1 and race; the leader applies them serially.
  auto first = f.Put("k", {{"a", "first"}}, 1);
  auto second = f.Put("k", {{"a", "second"}}, 1);
  CHECK(first.ok());
  CHECK(absl::IsAborted(second.status()));
  CHECK(f.Data("k") == SecretData{{"a", "first"}});
  CHECK(f.ReadMetadata("k")->current_version == 2);
}

TEST_CASE("cas applies to deleted versions as to live ones", "[kv][cas]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  REQUIRE(f.DeleteLatest("k").ok());
  CHECK(absl::IsAborted(f.Put("k", {{"a", "2"}}, 0).status()));
  CHECK(f.Put("k", {{"a", "2"}}, 1).ok());
}

TEST_CASE("a mount with cas_required refuses writes without cas", "[kv][cas]") {
  MountConfig config;
  config.cas_required = true;
  KvFixture f(config);
  auto no_cas = f.Put("k", {{"a", "1"}});
  CHECK(absl::IsInvalidArgument(no_cas.status()));
  CHECK(Contains(no_cas.status().message(), "cas"));
  CHECK(Contains(no_cas.status().message(), "required"));
  REQUIRE(f.Put("k", {{"a", "1"}}, 0).ok());
  CHECK(absl::IsInvalidArgument(
      f.Patch("k", SecretPatch{{{"b", "2"}}, {}}).status()));
  CHECK(f.Patch("k", SecretPatch{{{"b", "2"}}, {}}, 1).ok());
}

TEST_CASE("a key with cas_required refuses writes without cas", "[kv][cas]") {
  KvFixture f;
  KeyMetadataUpdate update;
  update.cas_required = true;
  REQUIRE(f.WriteMetadata("strict", update).ok());
  CHECK(absl::IsInvalidArgument(f.Put("strict", {{"a", "1"}}).status()));
  CHECK(f.Put("strict", {{"a", "1"}}, 0).ok());
  CHECK(f.Put("relaxed", {{"a", "1"}}).ok());  // other keys are unaffected
  update.cas_required = false;
  REQUIRE(f.WriteMetadata("strict", update).ok());
  CHECK(f.Put("strict", {{"a", "2"}}).ok());
}

TEST_CASE("patch sets and removes fields in a new version", "[kv][patch]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}, {"b", "2"}, {"c", "3"}}).ok());
  SecretPatch patch;
  patch.set = {{"a", "one"}, {"d", "4"}};
  patch.remove = {"b", "absent"};
  auto v = f.Patch("k", patch);
  REQUIRE(v.ok());
  CHECK(v->version == 2);
  CHECK(f.Data("k") == SecretData{{"a", "one"}, {"c", "3"}, {"d", "4"}});
  CHECK(f.Data("k", 1) == SecretData{{"a", "1"}, {"b", "2"}, {"c", "3"}});
}

TEST_CASE("patch needs a live latest version", "[kv][patch]") {
  KvFixture f;
  SecretPatch patch{{{"a", "1"}}, {}};
  CHECK(absl::IsNotFound(f.Patch("k", patch).status()));
  REQUIRE(f.WriteMetadata("k", {}).ok());  // metadata without a version
  CHECK(absl::IsNotFound(f.Patch("k", patch).status()));
  REQUIRE(f.Put("k", {{"a", "0"}}).ok());
  REQUIRE(f.DeleteLatest("k").ok());
  auto deleted = f.Patch("k", patch);
  CHECK(absl::IsNotFound(deleted.status()));
  CHECK(Contains(deleted.status().message(), "deleted"));
  REQUIRE(f.Put("k", {{"a", "0"}}).ok());
  REQUIRE(f.Destroy("k", {2}).ok());
  auto destroyed = f.Patch("k", patch);
  CHECK(absl::IsNotFound(destroyed.status()));
  CHECK(Contains(destroyed.status().message(), "destroyed"));
}

TEST_CASE("patch checks cas and rejects a field both set and removed",
          "[kv][patch]") {
  KvFixture f;
  REQUIRE(f.Put("k", {{"a", "1"}}).ok());
  CHECK(absl::IsAborted(f.Patch("k", {{{"b", "2"}}, {}}, 0).status()));
  CHECK(f.Patch("k", {{{"b", "2"}}, {}}, 1).ok());
  CHECK(absl::IsInvalidArgument(f.Patch("k", {{{"a", "x"}}, {"a"}}).status()));
  CHECK(absl::IsInvalidArgument(f.Patch("k", {{{"", "x"}}, {}}).status()));
}

TEST_CASE("JSON marks are kept per version and follow a patch", "[kv][json]") {
  KvFixture f;
  using Names = std::set<std::string>;
  REQUIRE(f.Put("k", {{"port", "5432"}, {"tls", "true"}, {"user", "app"}}, {},
                {"port", "tls"})
              .ok());
  CHECK(f.Get("k").json_fields == Names{"port", "tls"});

  // Kept fields keep their marks; a set field takes the patch's mark; a
  // removed field loses it.
  SecretPatch patch;
  patch.set = {{"port", "\"5433\""}, {"opts", "{\"a\":[1,2]}"}};
  patch.remove = {"tls"};
  REQUIRE(f.Patch("k", patch, {}, {"opts"}).ok());
  GetResult r = f.Get("k");
  CHECK(r.data == SecretData{{"opts", "{\"a\":[1,2]}"},
                             {"port", "\"5433\""},
                             {"user", "app"}});
  CHECK(r.json_fields == Names{"opts"});
  CHECK(f.Get("k", 1).json_fields == Names{"port", "tls"});

  REQUIRE(f.Put("k", {{"user", "app"}}).ok());
  CHECK(f.Get("k").json_fields.empty());
}

TEST_CASE("a JSON mark on a field the write does not set is refused",
          "[kv][json]") {
  KvFixture f;
  auto put = f.Put("k", {{"a", "1"}}, {}, {"b"});
  CHECK(absl::IsInvalidArgument(put.status()));
  CHECK(Contains(put.status().message(), "json_fields"));
  CHECK(absl::IsNotFound(f.Get("k").status));
  REQUIRE(f.Put("k", {{"a", "1"}}, {}, {"a"}).ok());
  // Marking a kept field in a patch is refused too: the patch does not set it.
  CHECK(absl::IsInvalidArgument(
      f.Patch("k", {{{"b", "2"}}, {}}, {}, {"a", "b"}).status()));
  CHECK(f.Get("k").metadata->version == 1);
}

TEST_CASE("bad paths are rejected before anything is read", "[kv][validate]") {
  KvFixture f;
  const std::vector<std::string> bad = {"",
                                        "/a",
                                        "a/",
                                        "a//b",
                                        ".",
                                        "..",
                                        "a/./b",
                                        "a/../b",
                                        "a/..",
                                        std::string("a\0b", 3),
                                        std::string(kMaxPathBytes + 1, 'x')};
  for (const std::string& path : bad) {
    INFO("path of " << path.size() << " bytes");
    auto put = f.Put(path, {{"a", "1"}});
    CHECK(absl::IsInvalidArgument(put.status()));
    CHECK(absl::StartsWith(put.status().message(), "kv: invalid path"));
    CHECK(absl::IsInvalidArgument(f.Get(path).status));
  }
  CHECK(f.Put(std::string(kMaxPathBytes, 'x'), {{"a", "1"}}).ok());
  CHECK(f.Put("a.b/..c/.d", {{"a", "1"}}).ok());
}

TEST_CASE("empty field names are rejected", "[kv][validate]") {
  KvFixture f;
  auto s = f.Put("k", {{"", "v"}});
  CHECK(absl::IsInvalidArgument(s.status()));
}

TEST_CASE("entries above the size limit are ResourceExhausted",
          "[kv][limits]") {
  EngineOptions options;
  options.max_entry_bytes = 4096;
  KvFixture f({}, options);
  auto big = f.Put("k", {{"v", std::string(4096, 's')}});
  CHECK(absl::IsResourceExhausted(big.status()));
  CHECK(Contains(big.status().message(), "4096"));
  CHECK(f.Put("k", {{"v", std::string(4000, 's')}}).ok());
  // A patch that grows the data past the limit fails the same way.
  CHECK(absl::IsResourceExhausted(
      f.Patch("k", {{{"w", std::string(200, 's')}}, {}}).status()));
  CHECK(f.Data("k").at("v").size() == 4000);
}

TEST_CASE("engine options out of range are named", "[kv][limits]") {
  CHECK(ValidateEngineOptions({}).ok());
  EngineOptions small;
  small.max_entry_bytes = 4095;
  absl::Status s = ValidateEngineOptions(small);
  CHECK(absl::IsInvalidArgument(s));
  CHECK(Contains(s.message(), "max_entry_bytes"));
  EngineOptions no_batch;
  no_batch.purge_batch_records = 0;
  s = ValidateEngineOptions(no_batch);
  CHECK(absl::IsInvalidArgument(s));
  CHECK(Contains(s.message(), "purge_batch_records"));
}

TEST_CASE("error messages never contain secret values", "[kv][secrets]") {
  EngineOptions options;
  options.max_entry_bytes = 4096;
  KvFixture f({}, options);
  const std::string secret = "hunter2-very-secret";
  REQUIRE(f.Put("k", {{"pw", secret}}).ok());
  std::vector<absl::Status> errors = {
      f.Put("k", {{"pw", secret}}, 7).status(),
      f.Put("k", {{"pw", secret + std::string(5000, 'x')}}).status(),
      f.Patch("k", {{{"pw", secret}}, {"pw"}}).status(),
      f.Put("k/", {{"pw", secret}}).status(),
  };
  for (const absl::Status& s : errors) {
    CHECK_FALSE(s.ok());
    CHECK(absl::StartsWith(s.message(), "kv: "));
    CHECK_FALSE(Contains(s.message(), secret));
  }
}

}  // namespace
}  // namespace coffer::kv
