/* A cluster of coffer nodes in one process, driven through the C ABI alone:
 * nodes 1..n on a temporary directory each, joined by a memnet. */
#ifndef COFFER_TESTS_CAPI_CLUSTER_H_
#define COFFER_TESTS_CAPI_CLUSTER_H_

#include <stdint.h>

#include "coffer/c.h"
#include "memnet.h"

typedef struct cluster {
  memnet_t* net;
  char root[256]; /* temporary directory holding every node's data_dir */
  int n;
  coffer_node_t* nodes[MEMNET_MAX_NODES]; /* by id; NULL when stopped */
  const coffer_kms_t* kms;                /* for every Start; may be NULL */
  /* Called on every node's options before it opens; may be NULL. */
  void (*tweak)(coffer_node_options_t* options, void* arg);
  void* tweak_arg;
  /* The root token, once the cluster is initialized (cluster_start_ready,
   * cluster_keep_token); "" before. */
  char token[128];
} cluster_t;

/* Creates the directory and the network; 0 on success. */
int cluster_init(cluster_t* c, int n);
/* Stops every node, the network, and removes the directory. */
void cluster_destroy(cluster_t* c);

/* The options of node `id` (fast ticks, no fsync: tests, not durability). */
void cluster_options(cluster_t* c, uint64_t id, coffer_node_options_t* o,
                     char* address, char* data_dir, size_t cap);
/* Opens node `id` and attaches it; returns the coffer code. */
int cluster_start(cluster_t* c, uint64_t id);
/* Detaches and closes node `id` (its directory stays). */
void cluster_stop(cluster_t* c, uint64_t id);
/* Starts nodes 1..n and bootstraps each with all of them; a coffer code. */
int cluster_start_and_bootstrap(cluster_t* c);
/* Polls until every running node except `ignore` agrees on one running
 * leader; returns its id, 0 after about 30 s. */
uint64_t cluster_wait_leader(cluster_t* c, uint64_t ignore);
/* Polls until every running node has applied the initialization (seal
 * status `initialized`); 1 on success, 0 after about 30 s. */
int cluster_wait_initialized(cluster_t* c);
/* Submits keys[0..] to node `id` until it is unsealed; a coffer code. */
int cluster_unseal(cluster_t* c, uint64_t id, char* const* keys,
                   size_t num_keys);
/* Keeps a copy of init->root_token as c->token. */
void cluster_keep_token(cluster_t* c, const coffer_init_result_t* init);
/* Starts nodes 1..n, initializes (5 shares, threshold 3), unseals all and
 * enables "secret/" with the root token, CHECKing each step. Returns the
 * leader, 0 on failure; *init gets the shares, c->token the root token. */
uint64_t cluster_start_ready(cluster_t* c, int n, coffer_init_result_t** init);
/* Writes {"v": value} to secret/path through `node` with `token`
 * (CHECKed). */
void cluster_put(coffer_node_t* node, const char* token, const char* path,
                 const char* value);
/* Whether secret/path read through `node` with `token` is {"v": want}. */
int cluster_value_is(coffer_node_t* node, const char* token, const char* path,
                     const char* want);
/* Sleeps `ms` milliseconds. */
void cluster_sleep_ms(int ms);

#endif /* COFFER_TESTS_CAPI_CLUSTER_H_ */
