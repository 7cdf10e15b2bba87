// Random operations checked against a small reference model of Vault's KV v2
// rules. The seed is printed with any failure; set COFFER_KV_SEED to replay
// one run.
#include <cstdlib>
#include <map>
#include <random>

#include "kv_fixture.h"

namespace coffer::kv {
namespace {

// The reference model: what each key's versions should look like.
struct ModelVersion {
  SecretData data;
  absl::Time created;
  std::optional<absl::Time> deletion;
  bool destroyed = false;
};
struct ModelKey {
  uint64_t current = 0;
  uint32_t max_versions = 0;  // 0: the mount's
  std::map<uint64_t, ModelVersion> versions;
};

class Model {
 public:
  Model(uint32_t max_versions, absl::Duration delete_after)
      : max_versions_(max_versions), delete_after_(delete_after) {}

  // The status code a put or patch at `cas` should get, and its effect.
  absl::StatusCode Write(absl::Time now, const std::string& path,
                         std::optional<uint64_t> cas,
                         std::optional<SecretData> data) {
    auto it = keys_.find(path);
    const bool patch = !data.has_value();
    if (patch) {
      if (it == keys_.end() || it->second.current == 0) {
        return absl::StatusCode::kNotFound;
      }
      const ModelVersion& latest = it->second.versions.at(it->second.current);
      if (!Readable(latest, now)) return absl::StatusCode::kNotFound;
    }
    const uint64_t current = it == keys_.end() ? 0 : it->second.current;
    if (cas.has_value() && *cas != current) return absl::StatusCode::kAborted;
    ModelKey& key = keys_[path];
    ModelVersion v;
    v.data = patch ? PatchedData(key) : *data;
    v.created = now;
    if (delete_after_ > absl::ZeroDuration()) v.deletion = now + delete_after_;
    key.versions[++key.current] = v;
    const uint32_t max =
        key.max_versions > 0 ? key.max_versions : max_versions_;
    while (key.versions.size() > max) {
      key.versions.erase(key.versions.begin());
    }
    return absl::StatusCode::kOk;
  }

  // What patch {"p": "<n>"} minus field "v" makes of the latest version.
  SecretData PatchedData(const ModelKey& key) {
    SecretData data = key.versions.at(key.current).data;
    data.erase("v");
    data["p"] = std::to_string(key.current);
    return data;
  }

  // Version 0 names no version here (only reads take 0 as "latest").
  void SoftDelete(absl::Time now, const std::string& path, uint64_t version) {
    ModelVersion* v = version == 0 ? nullptr : Find(path, version);
    if (v != nullptr && Readable(*v, now)) v->deletion = now;
  }
  void Undelete(const std::string& path, uint64_t version) {
    ModelVersion* v = version == 0 ? nullptr : Find(path, version);
    if (v != nullptr && !v->destroyed) v->deletion.reset();
  }
  void Destroy(const std::string& path, uint64_t version) {
    ModelVersion* v = version == 0 ? nullptr : Find(path, version);
    if (v != nullptr) v->destroyed = true;
  }
  void DeleteKey(const std::string& path) { keys_.erase(path); }
  // A metadata write: creates the key without versions if absent.
  void SetMaxVersions(const std::string& path, uint32_t max_versions) {
    keys_[path].max_versions = max_versions;
  }

  ModelVersion* Find(const std::string& path, uint64_t version) {
    auto it = keys_.find(path);
    if (it == keys_.end()) return nullptr;
    if (version == 0) version = it->second.current;
    auto v = it->second.versions.find(version);
    return v == it->second.versions.end() ? nullptr : &v->second;
  }
  uint64_t Current(const std::string& path) const {
    auto it = keys_.find(path);
    return it == keys_.end() ? 0 : it->second.current;
  }
  const std::map<std::string, ModelKey>& keys() const { return keys_; }

  static bool Readable(const ModelVersion& v, absl::Time now) {
    return !v.destroyed && !(v.deletion.has_value() && now >= *v.deletion);
  }

 private:
  const uint32_t max_versions_;
  const absl::Duration delete_after_;
  std::map<std::string, ModelKey> keys_;
};

void CheckAgainstModel(KvFixture& f, Model& model) {
  for (const std::string path : {"a", "b", "c/d"}) {
    INFO("key " << path);
    auto it = model.keys().find(path);
    auto meta = f.ReadMetadata(path);
    if (it == model.keys().end()) {
      CHECK(absl::IsNotFound(meta.status()));
      CHECK(absl::IsNotFound(f.Get(path).status));
      continue;
    }
    REQUIRE(meta.ok());
    CHECK(meta->current_version == it->second.current);
    CHECK(meta->versions.size() == it->second.versions.size());
    CHECK(meta->max_versions == it->second.max_versions);
    for (uint64_t v = 0; v <= it->second.current + 1; ++v) {
      INFO("version " << v);
      GetResult r = f.Get(path, v);
      ModelVersion* expected = model.Find(path, v);
      if (expected == nullptr) {
        CHECK(absl::IsNotFound(r.status));
        CHECK_FALSE(r.metadata.has_value());
        continue;
      }
      REQUIRE(r.metadata.has_value());
      CHECK(r.metadata->created_time == expected->created);
      CHECK(r.metadata->deletion_time == expected->deletion);
      CHECK(r.metadata->destroyed == expected->destroyed);
      if (Model::Readable(*expected, f.now)) {
        REQUIRE(r.status.ok());
        CHECK(*r.data == expected->data);
      } else {
        CHECK(absl::IsNotFound(r.status));
        CHECK_FALSE(r.data.has_value());
      }
    }
  }
  std::vector<std::string> listed;
  for (const auto& [path, key] : model.keys()) {
    listed.push_back(path.starts_with("c/") ? "c/" : path);
  }
  CHECK(*f.List("") == listed);
}

void RunRandom(uint64_t seed, int steps) {
  INFO("seed " << seed << " (replay with COFFER_KV_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  MountConfig config;
  config.max_versions = static_cast<uint32_t>(1 + pick(4));
  config.delete_version_after =
      pick(2) == 0 ? absl::ZeroDuration() : absl::Seconds(5 + pick(20));
  KvFixture f(config);
  Model model(config.max_versions, config.delete_version_after);
  MemoryStore replica;
  replica.Apply(f.last_writes);
  const std::vector<std::string> paths = {"a", "b", "c/d"};

  for (int step = 0; step < steps; ++step) {
    f.now += absl::Seconds(pick(4));
    const std::string path = paths[pick(paths.size())];
    const uint64_t current = model.Current(path);
    // A cas that is usually right, sometimes absent, sometimes wrong.
    std::optional<uint64_t> cas;
    switch (pick(4)) {
      case 0:
        cas = current;
        break;
      case 1:
        cas = current + 1 + pick(2);
        break;
      default:
        break;
    }
    const uint64_t version = pick(current + 2);
    INFO("step " << step << " key " << path);
    f.last_writes.clear();
    switch (pick(10)) {
      case 0:
      case 1: {
        SecretData data{{"v", std::to_string(step)}};
        absl::StatusCode want = model.Write(f.now, path, cas, data);
        CHECK(f.Put(path, data, cas).status().code() == want);
        break;
      }
      case 2: {
        SecretPatch patch{{{"p", std::to_string(current)}}, {"v"}};
        absl::StatusCode want = model.Write(f.now, path, cas, std::nullopt);
        CHECK(f.Patch(path, patch, cas).status().code() == want);
        break;
      }
      case 3:
        model.SoftDelete(f.now, path, current);
        CHECK(f.DeleteLatest(path).ok());
        break;
      case 4:
        model.SoftDelete(f.now, path, version);
        CHECK(f.DeleteVersions(path, {version}).ok());
        break;
      case 5:
        model.Undelete(path, version);
        CHECK(f.Undelete(path, {version}).ok());
        break;
      case 6:
        model.Destroy(path, version);
        CHECK(f.Destroy(path, {version}).ok());
        break;
      case 7:
        if (pick(4) == 0) {
          model.DeleteKey(path);
          CHECK(f.DeleteMetadata(path).ok());
        }
        break;
      case 8: {
        const auto max_versions = static_cast<uint32_t>(pick(4));
        model.SetMaxVersions(path, max_versions);
        KeyMetadataUpdate update;
        update.max_versions = max_versions;
        CHECK(f.WriteMetadata(path, update).ok());
        break;
      }
      default:
        break;  // just let time pass and compare
    }
    replica.Apply(f.last_writes);
    CheckAgainstModel(f, model);
  }
  CHECK(replica.data() == f.store.data());
}

TEST_CASE("random operations agree with a reference model", "[kv][model]") {
  if (const char* env = std::getenv("COFFER_KV_SEED")) {
    RunRandom(std::strtoull(env, nullptr, 10), 2000);
    return;
  }
  const uint64_t base = std::random_device{}();
  for (uint64_t i = 0; i < 20; ++i) RunRandom(base + i, 250);
}

}  // namespace
}  // namespace coffer::kv
