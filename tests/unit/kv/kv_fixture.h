// A KV engine over an in-memory store, with one helper per operation. Each
// write helper runs the operation in a fresh txn and commits it on success;
// on failure it checks the engine's contract that nothing was buffered.
#ifndef COFFER_TESTS_UNIT_KV_KV_FIXTURE_H_
#define COFFER_TESTS_UNIT_KV_KV_FIXTURE_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kv/engine.h"
#include "kv/txn.h"
#include "support/catch.h"

namespace coffer::kv {

inline bool IsOk(const absl::Status& s) { return s.ok(); }
template <typename T>
bool IsOk(const absl::StatusOr<T>& s) {
  return s.ok();
}

struct KvFixture {
  MemoryStore store;
  Engine engine;
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  std::string mount = "secret/";
  WriteSet last_writes;  // what the last successful write committed

  explicit KvFixture(MountConfig config = {}, EngineOptions options = {})
      : engine(options) {
    REQUIRE(Run([&](Txn* t) {
              return engine.EnableMount(t, now, mount, config);
            }).ok());
  }

  // Runs `op` on a fresh txn; commits if it succeeds.
  template <typename Op>
  std::invoke_result_t<Op, Txn*> Run(Op op) {
    MemoryTxn txn(&store);
    auto result = op(&txn);
    if (IsOk(result)) {
      last_writes = txn.Commit();
    } else {
      CHECK(txn.size() == 0);
    }
    return result;
  }

  absl::StatusOr<VersionMetadata> Put(const std::string& path,
                                      const SecretData& data,
                                      std::optional<uint64_t> cas = {},
                                      std::set<std::string> json = {}) {
    return Run([&](Txn* t) {
      return engine.Put(t, now, mount, path, data,
                        WriteOptions{cas, std::move(json)});
    });
  }
  absl::StatusOr<VersionMetadata> Patch(const std::string& path,
                                        const SecretPatch& patch,
                                        std::optional<uint64_t> cas = {},
                                        std::set<std::string> json = {}) {
    return Run([&](Txn* t) {
      return engine.Patch(t, now, mount, path, patch,
                          WriteOptions{cas, std::move(json)});
    });
  }
  GetResult Get(const std::string& path, uint64_t version = 0) {
    return engine.Get(&store, now, mount, path, version);
  }
  // The data of a readable version; fails the test otherwise.
  SecretData Data(const std::string& path, uint64_t version = 0) {
    GetResult r = Get(path, version);
    INFO(r.status.ToString());
    REQUIRE(r.status.ok());
    return *r.data;
  }
  absl::Status DeleteLatest(const std::string& path) {
    return Run(
        [&](Txn* t) { return engine.DeleteLatest(t, now, mount, path); });
  }
  absl::Status DeleteVersions(const std::string& path,
                              std::vector<uint64_t> versions) {
    return Run([&](Txn* t) {
      return engine.DeleteVersions(t, now, mount, path, versions);
    });
  }
  absl::Status Undelete(const std::string& path,
                        std::vector<uint64_t> versions) {
    return Run([&](Txn* t) {
      return engine.UndeleteVersions(t, mount, path, versions);
    });
  }
  absl::Status Destroy(const std::string& path,
                       std::vector<uint64_t> versions) {
    return Run([&](Txn* t) {
      return engine.DestroyVersions(t, mount, path, versions);
    });
  }
  absl::StatusOr<KeyMetadata> ReadMetadata(const std::string& path) {
    return engine.ReadMetadata(&store, mount, path);
  }
  absl::Status WriteMetadata(const std::string& path,
                             const KeyMetadataUpdate& update) {
    return Run([&](Txn* t) {
      return engine.WriteMetadata(t, now, mount, path, update);
    });
  }
  absl::Status DeleteMetadata(const std::string& path) {
    return Run([&](Txn* t) { return engine.DeleteMetadata(t, mount, path); });
  }
  absl::StatusOr<std::vector<std::string>> List(const std::string& folder) {
    return engine.List(&store, mount, folder);
  }
};

}  // namespace coffer::kv

#endif  // COFFER_TESTS_UNIT_KV_KV_FIXTURE_H_
