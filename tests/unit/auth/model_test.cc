// Random creations, renewals, uses and revocations checked against a small
// reference model of Vault's token rules, with revocation batches left
// half-done between steps. The seed is printed with any failure; set
// COFFER_AUTH_SEED to replay one run.
#include <cstdlib>
#include <map>
#include <random>

#include "auth/records.h"
#include "auth/token_id.h"
#include "auth_fixture.h"
#include "proto/auth.pb.h"

namespace coffer::auth {
namespace {

constexpr absl::Duration kDefaultTtl = absl::Hours(1);
constexpr absl::Duration kMaxTtl = absl::Hours(6);

// What the model knows of a token. Revoked tokens leave the map.
struct ModelToken {
  std::string parent;  // "" for an orphan
  std::vector<std::string> policies;
  absl::Time created;
  std::optional<absl::Time> expire;
  absl::Duration last_ttl;
  absl::Duration explicit_max;
  absl::Duration period;
  bool renewable = true;
  uint32_t uses = 0;
  std::string accessor;
};

class Model {
 public:
  std::map<std::string, ModelToken> tokens;

  bool Usable(const std::string& id, absl::Time now) const {
    for (std::string cur = id; !cur.empty();) {
      auto it = tokens.find(cur);
      if (it == tokens.end()) return false;
      if (it->second.expire.has_value() && now >= *it->second.expire) {
        return false;
      }
      cur = it->second.parent;
    }
    return true;
  }
  // Removes `id` and its descendants.
  void RevokeTree(const std::string& id) {
    if (!tokens.erase(id)) return;
    std::vector<std::string> children;
    for (const auto& [child, t] : tokens) {
      if (t.parent == id) children.push_back(child);
    }
    for (const std::string& c : children) RevokeTree(c);
  }
  void RevokeOrphan(const std::string& id) {
    if (!tokens.erase(id)) return;
    for (auto& [child, t] : tokens) {
      if (t.parent == id) t.parent.clear();
    }
  }
};

std::vector<std::string> WithDefault(std::vector<std::string> p) {
  p.push_back("default");
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  return p;
}

bool Includes(const std::vector<std::string>& big,
              const std::vector<std::string>& small) {
  return std::includes(big.begin(), big.end(), small.begin(), small.end());
}

// The model's tokens by their stored hash.
std::map<std::string, std::string> HashToId(AuthFixture& f,
                                            const Model& model) {
  authpb::TokenSalt salt;
  REQUIRE(salt.ParseFromString(f.store.data().at(std::string(kSaltKey))));
  const Hasher hasher(salt.salt());
  std::map<std::string, std::string> out;
  for (const auto& [id, t] : model.tokens) {
    out[DigestHex(hasher.TokenId(id))] = id;
  }
  return out;
}

void CheckAgainstModel(AuthFixture& f, const Model& model,
                       const std::vector<std::string>& ever) {
  for (const std::string& id : ever) {
    auto token = f.Lookup(id);
    const bool usable = model.Usable(id, f.now);
    INFO("token " << id.substr(0, 10) << " " << token.status().ToString());
    REQUIRE(token.ok() == usable);
    if (!usable) {
      CHECK(absl::IsPermissionDenied(token.status()));
      continue;
    }
    const ModelToken& m = model.tokens.at(id);
    CHECK(token->policies == m.policies);
    CHECK(token->expire_time == m.expire);
    CHECK(token->num_uses == m.uses);
    CHECK(token->orphan == m.parent.empty());
    CHECK(token->renewable == m.renewable);
    CHECK(token->accessor == m.accessor);
  }
}

void RunRandom(uint64_t seed, int steps) {
  INFO("seed " << seed << " (replay with COFFER_AUTH_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  TokenStoreOptions options;
  options.default_ttl = kDefaultTtl;
  options.max_ttl = kMaxTtl;
  // Small batches, so that trees of a few tokens take several.
  options.revoke_batch_writes = 16 + pick(8);
  AuthFixture f(options);
  kv::MemoryStore replica;
  replica.Apply(f.last_writes);

  Model model;
  model.tokens[f.root] = {"",
                          {"root"},
                          f.now,
                          std::nullopt,
                          absl::ZeroDuration(),
                          absl::ZeroDuration(),
                          absl::ZeroDuration(),
                          false,
                          0,
                          f.Lookup(f.root)->accessor};
  std::vector<std::string> ever = {f.root};
  const std::vector<std::string> names = {"a", "b", "c"};
  // Mostly live tokens, so that trees grow; sometimes any token ever made
  // or one never made.
  auto any_token = [&]() -> std::string {
    const uint64_t kind = pick(10);
    if (kind == 0) return "hvs.unknown";
    if (kind < 4 || model.tokens.empty()) return ever[pick(ever.size())];
    auto it = model.tokens.begin();
    std::advance(it, pick(model.tokens.size()));
    return it->first;
  };
  auto minutes = [&](uint64_t n) {
    return absl::Minutes(static_cast<int64_t>(pick(n)));
  };

  for (int step = 0; step < steps; ++step) {
    INFO("step " << step);
    f.last_writes.clear();
    f.now += minutes(4);
    const std::string id = any_token();
    const bool usable = model.Usable(id, f.now);
    switch (pick(14)) {
      case 0:
      case 1:
      case 2:
      case 12:
      case 13: {  // create
        CreateRequest r;
        // Mostly a subset of the parent's policies, sometimes any.
        auto parent = model.tokens.find(id);
        const bool subset = parent != model.tokens.end() && pick(4) != 0;
        for (const std::string& n : subset ? parent->second.policies : names) {
          if (n != "root" && pick(2) == 0) r.policies.push_back(n);
        }
        r.no_parent = pick(4) == 0;
        r.ttl = minutes(600);
        r.explicit_max_ttl = pick(3) == 0 ? minutes(400) : absl::Duration();
        r.period = pick(6) == 0 ? absl::Minutes(30) : absl::Duration();
        r.num_uses = pick(5) == 0 ? static_cast<uint32_t>(1 + pick(3)) : 0;
        r.renewable = pick(5) != 0;
        const CreatePrivileges privileges{pick(4) == 0, pick(2) == 0};
        const uint64_t draw = f.draws;
        auto created = f.Create(id, r, privileges);
        INFO(created.status().ToString());
        if (!usable) {
          CHECK(absl::IsPermissionDenied(created.status()));
          break;
        }
        const ModelToken& p = model.tokens.at(id);
        const bool root_parent = p.policies == std::vector<std::string>{"root"};
        std::vector<std::string> policies =
            r.policies.empty()
                ? (root_parent ? p.policies : WithDefault(p.policies))
                : WithDefault(r.policies);
        const bool root_child = policies == std::vector<std::string>{"root"};
        // Vault's CalculateTTL at creation, stated as an expiry bound.
        const absl::Duration zero = absl::ZeroDuration();
        absl::Duration max = kMaxTtl;
        if (r.explicit_max_ttl > zero) max = std::min(max, r.explicit_max_ttl);
        absl::Duration ttl = zero;
        if (r.period > zero) {
          ttl = std::min(r.period, max);
        } else if (r.ttl > zero || !root_child) {
          ttl = std::min(r.ttl > zero ? r.ttl : kDefaultTtl, max);
        } else {
          ttl = r.explicit_max_ttl;
        }
        absl::StatusCode want = absl::StatusCode::kOk;
        if (p.uses > 0) {
          want = absl::StatusCode::kInvalidArgument;
        } else if (r.no_parent && !privileges.may_orphan && !root_parent) {
          want = absl::StatusCode::kPermissionDenied;
        } else if (r.period > zero && !privileges.sudo && !root_parent) {
          want = absl::StatusCode::kPermissionDenied;
        } else if (!privileges.sudo && !root_parent &&
                   !Includes(WithDefault(p.policies), policies)) {
          want = absl::StatusCode::kPermissionDenied;
        } else if (ttl == zero && p.expire.has_value()) {
          want = absl::StatusCode::kInvalidArgument;  // expiring root parent
        }
        REQUIRE(created.status().code() == want);
        if (want != absl::StatusCode::kOk) break;
        ModelToken t;
        t.parent = r.no_parent ? "" : id;
        t.policies = policies;
        t.created = f.now;
        t.explicit_max = r.explicit_max_ttl;
        t.period = r.period;
        t.uses = r.num_uses;
        t.renewable = r.renewable;
        if (!r.no_parent && p.expire.has_value()) {
          ttl = std::min(ttl, *p.expire - f.now);
        }
        if (ttl > zero) t.expire = f.now + ttl;
        t.last_ttl = ttl;
        if (ttl == zero) t.renewable = false;
        t.accessor = created->token.accessor;
        CHECK(created->id == FormatTokenId(TestRandom(draw)));
        model.tokens[created->id] = t;
        ever.push_back(created->id);
        break;
      }
      case 3:
      case 4: {  // renew
        const absl::Duration increment = minutes(200);
        auto ttl = f.Renew(id, increment);
        INFO(ttl.status().ToString());
        if (!usable) {
          CHECK(absl::IsPermissionDenied(ttl.status()));
          break;
        }
        ModelToken& t = model.tokens.at(id);
        const absl::Duration zero = absl::ZeroDuration();
        if (!t.expire.has_value() || !t.renewable) {
          CHECK(absl::IsInvalidArgument(ttl.status()));
          break;
        }
        absl::Duration max = kMaxTtl;
        if (t.explicit_max > zero) max = std::min(max, t.explicit_max);
        std::optional<absl::Time> limit;
        absl::Duration want;
        if (t.period > zero) {
          want = std::min(t.period, max);
          if (t.explicit_max > zero) limit = t.created + t.explicit_max;
        } else {
          want = increment > zero ? increment : t.last_ttl;
          limit = t.created + max;
        }
        if (limit.has_value() && *limit <= f.now) {
          CHECK(absl::IsInvalidArgument(ttl.status()));
          break;
        }
        absl::Time expire = f.now + want;
        if (limit.has_value()) expire = std::min(expire, *limit);
        if (!t.parent.empty()) {
          const ModelToken& p = model.tokens.at(t.parent);
          if (p.expire.has_value()) expire = std::min(expire, *p.expire);
        }
        REQUIRE(ttl.ok());
        CHECK(*ttl == expire - f.now);
        t.expire = expire;
        t.last_ttl = expire - f.now;
        break;
      }
      case 5: {  // use
        auto use = f.Use(id);
        if (!usable) {
          CHECK(absl::IsPermissionDenied(use.status()));
          break;
        }
        REQUIRE(use.ok());
        ModelToken& t = model.tokens.at(id);
        if (t.uses == 0) {
          CHECK_FALSE(use->revoked);
          break;
        }
        --t.uses;
        CHECK(use->token.num_uses == t.uses);
        CHECK(use->revoked == (t.uses == 0));
        if (t.uses == 0) model.RevokeTree(id);
        break;
      }
      case 6: {                   // revoke, leaving its batches for later steps
        if (id == f.root) break;  // keep the tree alive
        auto more = f.Run([&](kv::Txn* t) { return f.tokens.Revoke(t, id); });
        REQUIRE(more.ok());
        model.RevokeTree(id);
        break;
      }
      case 8: {  // revoke-orphan
        if (id == f.root) break;
        auto more =
            f.Run([&](kv::Txn* t) { return f.tokens.RevokeOrphan(t, id); });
        REQUIRE(more.ok());
        model.RevokeOrphan(id);
        break;
      }
      case 9: {  // revoke by accessor
        auto it = model.tokens.find(id);
        if (it == model.tokens.end() || id == f.root) break;
        auto more = f.Run([&](kv::Txn* t) {
          return f.tokens.RevokeAccessor(t, it->second.accessor);
        });
        REQUIRE(more.ok());
        model.RevokeTree(id);
        break;
      }
      case 7: {  // tidy
        auto expired = f.ListExpired(1 + pick(5));
        REQUIRE(expired.ok());
        const auto by_hash = HashToId(f, model);
        for (const TokenHash& h : *expired) {
          if (auto it = by_hash.find(h.hex); it != by_hash.end()) {
            CHECK_FALSE(model.Usable(it->second, f.now));
            model.RevokeTree(it->second);
          }
          auto more = f.Run(
              [&](kv::Txn* t) { return f.tokens.RevokeExpired(t, f.now, h); });
          REQUIRE(more.ok());
          replica.Apply(f.last_writes);
        }
        f.last_writes.clear();
        break;
      }
      default: {  // 10, 11: one batch of pending work
        auto more =
            f.Run([&](kv::Txn* t) { return f.tokens.ContinueRevocations(t); });
        REQUIRE(more.ok());
        break;
      }
    }
    CHECK(f.last_writes.size() <= options.revoke_batch_writes);
    replica.Apply(f.last_writes);
    CheckAgainstModel(f, model, ever);
  }

  CHECK(replica.data() == f.store.data());

  // Draining leaves exactly the model's tokens, each with its records.
  auto accessors_of = [&] {
    std::vector<std::string> out;
    for (const auto& [id, t] : model.tokens) out.push_back(t.accessor);
    std::sort(out.begin(), out.end());
    return out;
  };
  f.Drain();
  CHECK(f.Count("sys/token/revoking/") == 0);
  CHECK(*f.tokens.ListAccessors(&f.store) == accessors_of());
  CHECK(f.Count("sys/token/id/") == model.tokens.size());
  // Much later, the tidy removes every token that expires.
  f.now += absl::Hours(24 * 365);
  for (;;) {
    auto expired = f.ListExpired(50);
    REQUIRE(expired.ok());
    if (expired->empty()) break;
    for (const TokenHash& h : *expired) {
      auto more = f.Run(
          [&](kv::Txn* t) { return f.tokens.RevokeExpired(t, f.now, h); });
      REQUIRE(more.ok());
    }
  }
  f.Drain();
  std::vector<std::string> expiring;
  for (const auto& [id, t] : model.tokens) {
    if (t.expire.has_value()) expiring.push_back(id);
  }
  for (const std::string& id : expiring) model.RevokeTree(id);
  CHECK(f.Count("sys/token/expiry/") == 0);
  CHECK(f.Count("sys/token/id/") == model.tokens.size());
  CHECK(*f.tokens.ListAccessors(&f.store) == accessors_of());
  CheckAgainstModel(f, model, ever);
}

TEST_CASE("random operations agree with a reference model", "[auth][model]") {
  if (const char* env = std::getenv("COFFER_AUTH_SEED")) {
    RunRandom(std::strtoull(env, nullptr, 10), 2000);
    return;
  }
  const uint64_t base = std::random_device{}();
  for (uint64_t i = 0; i < 10; ++i) RunRandom(base + i, 200);
}

}  // namespace
}  // namespace coffer::auth
