#define _XOPEN_SOURCE 700
#include "cluster.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int remove_entry(const char* path, const struct stat* st, int flag,
                        struct FTW* ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void cluster_sleep_ms(int ms) {
  struct timespec ts;
  ts.tv_sec = ms / 1000;
  ts.tv_nsec = (long)(ms % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

int cluster_init(cluster_t* c, int n) {
  memset(c, 0, sizeof(*c));
  c->n = n;
  const char* tmp = getenv("TMPDIR");
  snprintf(c->root, sizeof c->root, "%s/coffer-capi-XXXXXX",
           tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
  if (mkdtemp(c->root) == NULL) return -1;
  c->net = memnet_new();
  return c->net == NULL ? -1 : 0;
}

void cluster_destroy(cluster_t* c) {
  for (uint64_t id = 1; id < MEMNET_MAX_NODES; ++id) cluster_stop(c, id);
  memnet_free(c->net);
  c->net = NULL;
  if (c->root[0] != '\0') nftw(c->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void cluster_options(cluster_t* c, uint64_t id, coffer_node_options_t* o,
                     char* address, char* data_dir, size_t cap) {
  snprintf(address, cap, "node-%llu", (unsigned long long)id);
  snprintf(data_dir, cap, "%s/node-%llu", c->root, (unsigned long long)id);
  coffer_node_options_init(o, sizeof *o);
  o->id = id;
  o->address = address;
  o->data_dir = data_dir;
  o->send = memnet_send;
  o->send_user_data = c->net;
  o->kms = c->kms;
  o->tick_ns = 10 * 1000 * 1000; /* 10 ms */
  o->sync = 0;
  o->random_seed = id;
  if (c->tweak != NULL) c->tweak(o, c->tweak_arg);
}

int cluster_start(cluster_t* c, uint64_t id) {
  char address[64];
  char data_dir[512];
  coffer_node_options_t o;
  cluster_options(c, id, &o, address, data_dir, sizeof data_dir);
  coffer_node_t* node = NULL;
  int rc = coffer_node_open(&node, &o);
  if (rc != COFFER_OK) return rc;
  c->nodes[id] = node;
  memnet_attach(c->net, id, node);
  return COFFER_OK;
}

void cluster_stop(cluster_t* c, uint64_t id) {
  if (c->nodes[id] == NULL) return;
  memnet_detach(c->net, id);
  coffer_node_close(c->nodes[id]);
  c->nodes[id] = NULL;
}

int cluster_start_and_bootstrap(cluster_t* c) {
  coffer_peer_t peers[MEMNET_MAX_NODES];
  char addresses[MEMNET_MAX_NODES][32];
  for (int i = 0; i < c->n; ++i) {
    snprintf(addresses[i], sizeof addresses[i], "node-%d", i + 1);
    peers[i].id = (uint64_t)(i + 1);
    peers[i].address = addresses[i];
  }
  for (int i = 1; i <= c->n; ++i) {
    int rc = cluster_start(c, (uint64_t)i);
    if (rc != COFFER_OK) return rc;
  }
  for (int i = 1; i <= c->n; ++i) {
    int rc = coffer_node_bootstrap(c->nodes[i], peers, (size_t)c->n);
    if (rc != COFFER_OK) return rc;
  }
  return COFFER_OK;
}

uint64_t cluster_wait_leader(cluster_t* c, uint64_t ignore) {
  for (int attempt = 0; attempt < 3000; ++attempt) {
    uint64_t agreed = 0;
    int ok = 1;
    for (uint64_t id = 1; id < MEMNET_MAX_NODES && ok; ++id) {
      if (c->nodes[id] == NULL || id == ignore) continue;
      coffer_leader_info_t* info = NULL;
      if (coffer_node_leader(c->nodes[id], &info) != COFFER_OK) {
        ok = 0;
        break;
      }
      uint64_t leader = info->leader_id;
      coffer_leader_info_free(info);
      if (leader == 0 || leader >= MEMNET_MAX_NODES ||
          c->nodes[leader] == NULL || leader == ignore ||
          (agreed != 0 && agreed != leader)) {
        ok = 0;
      }
      agreed = leader;
    }
    if (ok && agreed != 0) return agreed;
    cluster_sleep_ms(10);
  }
  return 0;
}

int cluster_wait_initialized(cluster_t* c) {
  for (int attempt = 0; attempt < 3000; ++attempt) {
    int all = 1;
    for (uint64_t id = 1; id < MEMNET_MAX_NODES && all; ++id) {
      if (c->nodes[id] == NULL) continue;
      coffer_seal_status_t* s = NULL;
      if (coffer_node_seal_status(c->nodes[id], &s) != COFFER_OK) return 0;
      all = s->initialized;
      coffer_seal_status_free(s);
    }
    if (all) return 1;
    cluster_sleep_ms(10);
  }
  return 0;
}

int cluster_unseal(cluster_t* c, uint64_t id, char* const* keys,
                   size_t num_keys) {
  for (size_t i = 0; i < num_keys; ++i) {
    coffer_seal_status_t* status = NULL;
    int rc =
        coffer_node_unseal(c->nodes[id], &status, keys[i], strlen(keys[i]));
    if (rc != COFFER_OK) return rc;
    int sealed = status->sealed;
    coffer_seal_status_free(status);
    if (!sealed) return COFFER_OK;
  }
  return COFFER_FAILED_PRECONDITION;
}

/* Starts n nodes, initializes (5 shares, threshold 3), unseals all and
 * enables "secret/". Returns the leader (0 on failure); *init gets the
 * shares. */
uint64_t cluster_start_ready(cluster_t* c, int n, coffer_init_result_t** init) {
  CHECK_OK(cluster_start_and_bootstrap(c));
  uint64_t leader = cluster_wait_leader(c, 0);
  CHECK(leader != 0);
  if (leader == 0) return 0;
  CHECK_OK(coffer_node_initialize(c->nodes[leader], init, 5, 3, 5, 3));
  if (*init == NULL) return 0;
  cluster_keep_token(c, *init);
  CHECK(cluster_wait_initialized(c));
  for (int id = 1; id <= n; ++id) {
    CHECK_OK(cluster_unseal(c, (uint64_t)id, (*init)->keys, 3));
  }
  CHECK_OK(coffer_kv_enable_mount(c->nodes[leader], c->token, "secret", NULL));
  return harness_case_failures == 0 ? leader : 0;
}

void cluster_keep_token(cluster_t* c, const coffer_init_result_t* init) {
  snprintf(c->token, sizeof c->token, "%s", init->root_token);
}

void cluster_put(coffer_node_t* node, const char* token, const char* path,
                 const char* value) {
  coffer_kv_field_t f[1] = {{"v", value, strlen(value)}};
  CHECK_OK(coffer_kv_put(node, token, NULL, "secret", path, f, 1, NULL));
}

/* The value of field "v" of secret/path, compared with `want`. */
int cluster_value_is(coffer_node_t* node, const char* token, const char* path,
                     const char* want) {
  coffer_kv_result_t* r = NULL;
  int rc = coffer_kv_get(node, token, &r, "secret", path, 0,
                         COFFER_READ_LINEARIZABLE);
  int ok = rc == COFFER_OK && r->has_data && r->num_fields == 1 &&
           r->fields[0].value_len == strlen(want) &&
           memcmp(r->fields[0].value, want, strlen(want)) == 0;
  coffer_kv_result_free(r);
  return ok;
}
