// Auto-unseal: nodes configured with a Kms unseal themselves, at
// Initialize, when the seal records replicate to them, and at restart.
#include <string>

#include "absl/strings/str_cat.h"
#include "coffer/node.h"
#include "node/test_cluster.h"
#include "node/test_kms.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

TEST_CASE("nodes with a Kms unseal themselves and after a restart",
          "[node][cluster][kms]") {
  TestKms kms;
  TestCluster c(3);
  c.tweak = [&](NodeOptions& o) { o.kms = &kms; };
  // Initialized through the leader; every node unseals itself.
  const InitializeResult init =
      StartUnsealed(c, Setup().AutoUnseal().ViaLeader());
  CHECK(init.keys.empty());
  CHECK(init.recovery_keys.size() == 3);
  const auto [leader, follower] = LeaderAndFollower(c);
  absl::StatusOr<SealStatus> s = c.node(leader).GetSealStatus();
  CHECK(s->type == "test-kms");
  CHECK(s->recovery_seal);
  // Recovery shares do not unseal an auto-unseal node.
  CHECK(c.node(leader).SubmitUnsealKey(init.recovery_keys[0]).status().code() ==
        Code::kFailedPrecondition);

  REQUIRE(c.node(follower).PutRaw(c.root(), "secret/k", "kms").ok());
  for (uint64_t id : c.ids()) c.Stop(id);
  for (uint64_t id : c.ids()) {
    REQUIRE(c.Start(id).ok());
    CHECK(Unsealed(c.node(id)));  // at Open, before any leader exists
  }
  REQUIRE(c.WaitForLeader() != 0);
  for (uint64_t id : c.ids())
    CHECK(*c.node(id).GetRaw(c.root(), "secret/k") == "kms");
}

}  // namespace
}  // namespace coffer::testing
