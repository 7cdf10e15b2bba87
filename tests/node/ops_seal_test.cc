// Rekey with recovery shares, and seal migration both ways, through the
// public API.
#include <string>
#include <vector>

#include "coffer/node.h"
#include "node/test_cluster.h"
#include "node/test_kms.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

bool MigrationPending(Node& n) {
  absl::StatusOr<SealStatus> s = n.GetSealStatus();
  return s.ok() && s->migration && s->sealed;
}

TEST_CASE("rekey with a Kms replaces the recovery shares",
          "[node][ops][rekey][kms]") {
  TestKms kms;
  TestCluster c(3);
  c.tweak = [&](NodeOptions& o) { o.kms = &kms; };
  const std::vector<std::string> old_keys =
      StartUnsealed(c, Setup().AutoUnseal().ViaLeader()).recovery_keys;
  const auto [leader, follower] = LeaderAndFollower(c);

  CHECK(c.node(follower)
            .Rekey({old_keys[0], std::string(66, 'b')}, 4, 2)
            .status()
            .code() == Code::kPermissionDenied);
  absl::StatusOr<std::vector<std::string>> fresh =
      Retry([&] { return c.node(follower).Rekey(old_keys, 4, 2); });
  REQUIRE(fresh.ok());
  REQUIRE(fresh->size() == 4);
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
      return s.ok() && s->recovery_seal && s->shares == 4;
    }));
  }
  // The old recovery shares are refused now; the new ones authorise.
  CHECK(Retry([&] { return c.node(leader).Rekey(old_keys, 3, 2); })
            .status()
            .code() == Code::kPermissionDenied);
  absl::StatusOr<std::vector<std::string>> again = Retry([&] {
    return c.node(leader).Rekey({(*fresh)[3], (*fresh)[1]}, 3, 2);
  });
  CHECK(again.ok());
  // The nodes still unseal themselves after a restart.
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    CHECK(Eventually([&] { return Unsealed(c.node(id)); }));
  }
}

TEST_CASE("a Shamir cluster migrates to auto-unseal and back",
          "[node][ops][migrate][kms]") {
  TestKms kms;
  TestCluster c(3);
  const std::vector<std::string> keys = StartUnsealed(c).keys;
  REQUIRE(Retry([&] {
            return c.node(c.WaitForLeader()).PutRaw(c.root(), "kept", "value");
          }).ok());

  // Nothing to migrate yet; the leader stays unsealed.
  CHECK(Retry([&] {
          return c.node(1).SealMigrate({keys[0], keys[1]});
        }).code() == Code::kFailedPrecondition);
  for (uint64_t id : c.ids()) CHECK(Unsealed(c.node(id)));

  // Reopen every node with the Kms: the migration is pending, every node
  // stays sealed and shares alone do not unseal it.
  c.tweak = [&](NodeOptions& o) { o.kms = &kms; };
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] { return MigrationPending(c.node(id)); }));
    CHECK(c.node(id).SubmitUnsealKey(keys[0]).status().code() ==
          Code::kFailedPrecondition);
  }
  uint64_t leader = Leader(c);
  const uint64_t follower = c.AFollower(leader);

  // Wrong shares, too few shares, a Kms that is down: nothing changes.
  CHECK(Retry([&] {
          return c.node(follower).SealMigrate({keys[0], std::string(66, 'c')});
        }).code() == Code::kPermissionDenied);
  CHECK(Retry([&] { return c.node(follower).SealMigrate({keys[0]}); }).code() ==
        Code::kInvalidArgument);
  kms.fail = true;
  CHECK(Retry([&] {
          return c.node(follower).SealMigrate({keys[0], keys[1]});
        }).code() == Code::kUnavailable);
  kms.fail = false;
  for (uint64_t id : c.ids()) CHECK(MigrationPending(c.node(id)));

  // Forwarded from a sealed follower; every node then unseals through the
  // Kms, and the unseal shares are recovery shares now.
  REQUIRE(Retry([&] {
            return c.node(follower).SealMigrate({keys[2], keys[0]});
          }).ok());
  WaitUnsealedAll(c);
  for (uint64_t id : c.ids()) {
    absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
    CHECK_FALSE(s->migration);
    CHECK(s->recovery_seal);
    CHECK(s->type == "test-kms");
    CHECK(Retry([&] {
            return c.node(id).GetRaw(c.root(), "kept");
          }).value_or("") == "value");
  }
  RestartAll(c);
  WaitUnsealedAll(c);
  // The recovery shares are the old unseal shares: they authorise a rekey
  // of the recovery shares, whose result takes the cluster back.
  leader = c.WaitForLeader();
  absl::StatusOr<std::vector<std::string>> recovery = Retry([&] {
    return c.node(leader).Rekey({keys[0], keys[1]}, 3, 2);
  });
  REQUIRE(recovery.ok());
  const std::vector<std::string> back = *recovery;

  // Back to Shamir: reopen with no Kms and the old one as the source.
  c.tweak = [&](NodeOptions& o) { o.migrate_from_kms = &kms; };
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] { return MigrationPending(c.node(id)); }));
  }
  leader = c.WaitForLeader();
  REQUIRE(Retry([&] {
            return c.node(c.AFollower(leader)).SealMigrate({back[1], back[2]});
          }).ok());
  leader = c.WaitForLeader();
  // The leader ran the migration and is unsealed; the others unseal with
  // the shares, which are unseal shares again.
  REQUIRE(Eventually([&] { return Unsealed(c.node(leader)); }));
  for (uint64_t id : c.ids()) {
    REQUIRE(Eventually([&] {
      absl::StatusOr<SealStatus> s = c.node(id).GetSealStatus();
      return s.ok() && !s->migration && !s->recovery_seal &&
             s->type == "shamir";
    }));
    if (id != leader) REQUIRE(c.Unseal(id, {back[0], back[2]}).ok());
    CHECK(Retry([&] {
            return c.node(id).GetRaw(c.root(), "kept");
          }).value_or("") == "value");
  }
  // Plain Shamir from now on: a restart needs the shares.
  c.tweak = nullptr;
  RestartAll(c);
  for (uint64_t id : c.ids()) {
    CHECK_FALSE(Unsealed(c.node(id)));
    CHECK(c.Unseal(id, {keys[0], keys[1]}).code() ==
          Code::kPermissionDenied);  // replaced by the rekey
    REQUIRE(c.Unseal(id, {back[1], back[0]}).ok());
  }
}

}  // namespace
}  // namespace coffer::testing
