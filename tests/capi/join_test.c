/* Join through the C ABI: a node opened empty asks the cluster to admit
 * it, answers the join challenge with the unseal shares, catches up and
 * unseals itself; removed, it learns so. */
#include <stdint.h>
#include <string.h>

#include "capi_tests.h"
#include "cluster.h"
#include "harness.h"

static const coffer_peer_t kKnown[3] = {
    {1, "node-1"}, {2, "node-2"}, {3, "node-3"}};

/* Node 5 asks to join at open (Vault's retry_join). */
static void retry_join_for_5(coffer_node_options_t* o, void* arg) {
  (void)arg;
  if (o->id != 5) return;
  o->retry_join = kKnown;
  o->num_retry_join = 3;
  o->retry_join_interval_ns = 50 * 1000 * 1000;
}

/* Polls node `id`'s seal status until it is unsealed; 1 if it did. */
static int wait_unsealed(cluster_t* c, uint64_t id) {
  for (int i = 0; i < 3000; ++i) {
    coffer_seal_status_t* s = NULL;
    int unsealed = 0;
    if (coffer_node_seal_status(c->nodes[id], &s) == COFFER_OK) {
      unsealed = !s->sealed;
    }
    coffer_seal_status_free(s);
    if (unsealed) return 1;
    cluster_sleep_ms(10);
  }
  return 0;
}

void test_join_with_unseal_shares(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 3, &init);
  if (leader == 0) goto done;

  CHECK_OK(cluster_start(&c, 4));
  CHECK_CODE(coffer_node_join(c.nodes[4], NULL, 1), COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_join(c.nodes[4], kKnown, 0), COFFER_INVALID_ARGUMENT);
  CHECK_OK(coffer_node_join(c.nodes[4], kKnown, 3));
  for (int i = 0; i < 3; ++i) {
    CHECK_OK(coffer_node_unseal(c.nodes[4], NULL, init->keys[i],
                                strlen(init->keys[i])));
  }
  /* Admitted: it catches up and unseals itself, then serves reads. */
  CHECK(wait_unsealed(&c, 4));
  cluster_put(c.nodes[leader], c.token, "joined", "4");
  CHECK(cluster_value_is(c.nodes[4], c.token, "joined", "4"));
  coffer_peer_list_t* peers = NULL;
  CHECK_OK(coffer_node_list_peers(c.nodes[leader], c.token, &peers));
  CHECK(peers != NULL && peers->num_peers == 4);
  coffer_peer_list_free(peers);

  /* A node opened with retry_join asks by itself; the shares admit it. */
  c.tweak = retry_join_for_5;
  CHECK_OK(cluster_start(&c, 5));
  int admitted = 0;
  for (int attempt = 0; attempt < 300 && !admitted; ++attempt) {
    /* The shares answer the challenge once it has arrived. */
    int rc = COFFER_OK;
    for (int i = 0; i < 3 && rc == COFFER_OK; ++i) {
      rc = coffer_node_unseal(c.nodes[5], NULL, init->keys[i],
                              strlen(init->keys[i]));
    }
    admitted = rc == COFFER_OK;
    if (!admitted) cluster_sleep_ms(20);
  }
  CHECK(admitted);
  CHECK(wait_unsealed(&c, 5));
  CHECK(cluster_value_is(c.nodes[5], c.token, "joined", "4"));

  /* Removed, it learns so. */
  CHECK_OK(coffer_node_remove_peer(c.nodes[leader], c.token, 4));
  int removed = 0;
  for (int i = 0; i < 3000 && !removed; ++i) {
    coffer_seal_status_t* s = NULL;
    if (coffer_node_seal_status(c.nodes[4], &s) == COFFER_OK) {
      removed = s->removed_from_cluster;
    }
    coffer_seal_status_free(s);
    if (!removed) cluster_sleep_ms(10);
  }
  CHECK(removed);
done:
  coffer_init_result_free(init);
  cluster_destroy(&c);
}
