/* The C ABI of operator operations (leadership transfer, key rotation,
 * rekey, seal migration) and the host hooks (logger, metrics). */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_tests.h"
#include "cluster.h"
#include "harness.h"

/* Counts what the host hooks receive (callbacks run on loop threads). */
typedef struct hooks {
  pthread_mutex_t mu;
  int lines;
  int bad_lines; /* not starting with "node " */
  int metrics;
} hooks_t;

static void on_log(void* user_data, int level, const char* message,
                   size_t len) {
  hooks_t* h = (hooks_t*)user_data;
  pthread_mutex_lock(&h->mu);
  ++h->lines;
  if (len < 5 || strncmp(message, "node ", 5) != 0 ||
      level < COFFER_LOG_DEBUG || level > COFFER_LOG_ERROR ||
      strlen(message) != len) {
    ++h->bad_lines;
  }
  pthread_mutex_unlock(&h->mu);
}

static void on_metric(void* user_data, int kind, const char* name,
                      double value) {
  hooks_t* h = (hooks_t*)user_data;
  (void)value;
  pthread_mutex_lock(&h->mu);
  if (kind >= COFFER_METRIC_COUNTER && kind <= COFFER_METRIC_TIMING &&
      strlen(name) > 0) {
    ++h->metrics;
  }
  pthread_mutex_unlock(&h->mu);
}

static void with_hooks(coffer_node_options_t* o, void* arg) {
  o->log = on_log;
  o->log_user_data = arg;
  o->metric = on_metric;
  o->metric_user_data = arg;
  o->mlock = 0;
}

void test_operator_operations_and_hooks(void) {
  hooks_t h;
  memset(&h, 0, sizeof h);
  pthread_mutex_init(&h.mu, NULL);
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  c.tweak = with_hooks;
  c.tweak_arg = &h;
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 3, &init);
  if (leader == 0) goto done;

  /* Transfer the leadership to a chosen follower. */
  uint64_t next = leader % 3 + 1;
  CHECK_OK(coffer_node_transfer_leadership(c.nodes[leader], c.token, next));
  CHECK(cluster_wait_leader(&c, 0) == next);
  CHECK_CODE(coffer_node_transfer_leadership(c.nodes[next], c.token, 99),
             COFFER_FAILED_PRECONDITION);

  /* Rotate the key; every node adopts the new term. */
  coffer_key_status_t* ks = NULL;
  CHECK_OK(coffer_node_key_status(c.nodes[next], c.token, &ks));
  CHECK(ks != NULL && ks->term == 1);
  coffer_key_status_free(ks);
  CHECK_OK(coffer_node_rotate_key(c.nodes[leader], c.token, &ks));
  CHECK(ks != NULL && ks->term == 2 && ks->install_time_ns > 0);
  coffer_key_status_free(ks);
  CHECK_OK(coffer_node_rotate_key(c.nodes[leader], c.token, NULL));
  ks = NULL;
  CHECK_OK(coffer_node_key_status(c.nodes[next], c.token, &ks));
  CHECK(ks != NULL && ks->term == 3);
  coffer_key_status_free(ks);
  CHECK_CODE(coffer_node_key_status(c.nodes[next], c.token, NULL),
             COFFER_INVALID_ARGUMENT);

  /* Rekey to 4 shares, threshold 2; the new shares unseal a node. */
  coffer_string_list_t* fresh = NULL;
  const char* current[3] = {init->keys[0], init->keys[1], init->keys[2]};
  CHECK_CODE(coffer_node_rekey(c.nodes[next], &fresh, current, 3, 0, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK(fresh == NULL);
  CHECK_OK(coffer_node_rekey(c.nodes[next], &fresh, current, 3, 4, 2));
  CHECK(fresh != NULL && fresh->num_items == 4);
  if (fresh != NULL) {
    coffer_node_t* n = c.nodes[leader];
    /* Wait until this node has applied the new seal configuration. */
    int shares = 0;
    for (int i = 0; i < 3000 && shares != 4; ++i) {
      coffer_seal_status_t* s = NULL;
      if (coffer_node_seal_status(n, &s) == COFFER_OK) shares = s->shares;
      coffer_seal_status_free(s);
      if (shares != 4) cluster_sleep_ms(10);
    }
    CHECK(shares == 4);
    CHECK_OK(coffer_node_seal(n, c.token));
    CHECK_OK(cluster_unseal(&c, leader, fresh->items, 2));
    cluster_put(n, c.token, "rekeyed", "yes");
  }
  coffer_string_list_free(fresh);
  const char* null_key[1] = {NULL};
  CHECK_CODE(coffer_node_rekey(c.nodes[next], &fresh, null_key, 1, 3, 2),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_seal_migrate(c.nodes[next], current, 3),
             COFFER_FAILED_PRECONDITION);
  CHECK_CODE(coffer_node_seal_migrate(NULL, current, 3),
             COFFER_INVALID_ARGUMENT);

  pthread_mutex_lock(&h.mu);
  CHECK(h.lines > 0 && h.bad_lines == 0 && h.metrics > 0);
  pthread_mutex_unlock(&h.mu);
done:
  coffer_init_result_free(init);
  cluster_destroy(&c); /* no hook runs after this */
  pthread_mutex_destroy(&h.mu);
}
