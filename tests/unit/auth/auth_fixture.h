// A token store over an in-memory store with a test clock and deterministic
// random bytes, one helper per operation. Each write helper runs the
// operation in a fresh txn and commits it on success; on failure it checks
// the store's contract that nothing was buffered.
#ifndef COFFER_TESTS_UNIT_AUTH_AUTH_FIXTURE_H_
#define COFFER_TESTS_UNIT_AUTH_AUTH_FIXTURE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "auth/token_store.h"
#include "kv/txn.h"
#include "support/catch.h"

namespace coffer::auth {

inline bool IsOk(const absl::Status& s) { return s.ok(); }
template <typename T>
bool IsOk(const absl::StatusOr<T>& s) {
  return s.ok();
}

// Random bytes from a counter (SplitMix64): distinct for every call, the
// same in every run. A test generator, never a key's source.
inline TokenRandom TestRandom(uint64_t n) {
  TokenRandom r;
  auto mix = [](uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  // Each draw's stream starts at a scrambled point, so that no two draws'
  // streams overlap (consecutive starting points would share bytes).
  uint64_t x = mix(n + 1);
  auto next = [&] {
    return static_cast<uint8_t>(mix(x += 0x9e3779b97f4a7c15ULL));
  };
  for (uint8_t& b : r.id) b = next();
  for (uint8_t& b : r.accessor) b = next();
  for (uint8_t& b : r.salt) b = next();
  return r;
}

// A request for an ordinary token with policy "app". (A request without
// policies inherits the parent's, so a child of the root token would be
// another root token, as in Vault.)
inline CreateRequest App() {
  CreateRequest r;
  r.policies = {"app"};
  return r;
}

struct AuthFixture {
  kv::MemoryStore store;
  TokenStore tokens;
  absl::Time now = absl::FromUnixSeconds(1'700'000'000);
  kv::WriteSet last_writes;   // what the last successful write committed
  size_t max_txn_writes = 0;  // the largest write set committed
  uint64_t draws = 0;
  std::string root;  // the root token's id

  explicit AuthFixture(TokenStoreOptions options = {}) : tokens(options) {
    auto created = Run([&](kv::Txn* t) {
      return tokens.CreateRoot(t, now, TestRandom(draws++));
    });
    REQUIRE(created.ok());
    root = created->id;
  }

  // Runs `op` on a fresh txn; commits if it succeeds.
  template <typename Op>
  std::invoke_result_t<Op, kv::Txn*> Run(Op op) {
    kv::MemoryTxn txn(&store);
    auto result = op(&txn);
    if (IsOk(result)) {
      last_writes = txn.Commit();
      max_txn_writes = std::max(max_txn_writes, last_writes.size());
    } else {
      CHECK(txn.size() == 0);
    }
    return result;
  }

  absl::StatusOr<CreatedToken> Create(const std::string& parent,
                                      const CreateRequest& request = App(),
                                      CreatePrivileges privileges = {}) {
    const TokenRandom random = TestRandom(draws++);
    return Run([&](kv::Txn* t) {
      return tokens.Create(t, now, parent, request, privileges, random);
    });
  }
  // A child of `parent` with `request`, which must succeed; its id.
  std::string MustCreate(const std::string& parent,
                         const CreateRequest& request = App(),
                         CreatePrivileges privileges = {}) {
    auto created = Create(parent, request, privileges);
    INFO(created.status().ToString());
    REQUIRE(created.ok());
    return created->id;
  }
  absl::StatusOr<Token> Lookup(const std::string& id) {
    return tokens.Lookup(&store, now, id);
  }
  bool Usable(const std::string& id) { return Lookup(id).ok(); }
  absl::StatusOr<UseResult> Use(const std::string& id) {
    return Run([&](kv::Txn* t) { return tokens.Use(t, now, id); });
  }
  absl::StatusOr<absl::Duration> Renew(const std::string& id,
                                       absl::Duration increment = {}) {
    return Run([&](kv::Txn* t) { return tokens.Renew(t, now, id, increment); });
  }
  // Runs ContinueRevocations until no work remains; the txns it took.
  int Drain() {
    int txns = 0;
    for (;;) {
      auto more =
          Run([&](kv::Txn* t) { return tokens.ContinueRevocations(t); });
      REQUIRE(more.ok());
      ++txns;
      if (!*more) return txns;
    }
  }
  // Each revocation runs to the end: the first call, then Drain.
  absl::Status Revoke(const std::string& id) {
    auto more = Run([&](kv::Txn* t) { return tokens.Revoke(t, id); });
    if (more.ok() && *more) Drain();
    return more.status();
  }
  absl::Status RevokeOrphan(const std::string& id) {
    auto more = Run([&](kv::Txn* t) { return tokens.RevokeOrphan(t, id); });
    if (more.ok() && *more) Drain();
    return more.status();
  }
  absl::Status RevokeAccessor(const std::string& accessor) {
    auto more =
        Run([&](kv::Txn* t) { return tokens.RevokeAccessor(t, accessor); });
    if (more.ok() && *more) Drain();
    return more.status();
  }
  absl::StatusOr<std::vector<TokenHash>> ListExpired(size_t limit = 1000) {
    return tokens.ListExpired(&store, now, limit);
  }
  // Number of stored records under `prefix`.
  size_t Count(const std::string& prefix) {
    size_t n = 0;
    for (const auto& [key, value] : store.data()) {
      if (key.starts_with(prefix)) ++n;
    }
    return n;
  }
};

}  // namespace coffer::auth

#endif  // COFFER_TESTS_UNIT_AUTH_AUTH_FIXTURE_H_
