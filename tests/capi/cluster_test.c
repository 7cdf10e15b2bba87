/* A 3-node cluster driven through the C ABI alone: bootstrap, initialize,
 * unseal, raw paths, KV v2, leader and peers, failover; the seal's error
 * paths; auto-unseal through Kms callbacks. */
#include "cluster.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capi_tests.h"
#include "harness.h"

/* The field `name` of a KV result, or NULL. */
static const coffer_kv_field_t* find_field(const coffer_kv_result_t* r,
                                           const char* name) {
  for (size_t i = 0; i < r->num_fields; ++i) {
    if (strcmp(r->fields[i].name, name) == 0) return &r->fields[i];
  }
  return NULL;
}

static int field_is(const coffer_kv_result_t* r, const char* name,
                    const char* value, size_t len) {
  const coffer_kv_field_t* f = find_field(r, name);
  return f != NULL && f->value_len == len && memcmp(f->value, value, len) == 0;
}

/* Reads mount/path (version 0) on `node`: its data, or NULL. */
static coffer_kv_result_t* kv_read(coffer_node_t* node, const char* token,
                                   const char* path, uint64_t version) {
  coffer_kv_result_t* r = NULL;
  CHECK_OK(coffer_kv_get(node, token, &r, "secret", path, version,
                         COFFER_READ_LINEARIZABLE));
  return r;
}

static int list_is(const coffer_string_list_t* l, const char* a,
                   const char* b) {
  size_t n = b == NULL ? 1 : 2;
  return l != NULL && l->num_items == n && strcmp(l->items[0], a) == 0 &&
         (b == NULL || strcmp(l->items[1], b) == 0);
}

/* Starts, bootstraps and initializes (5 shares, threshold 3) a cluster of
 * `n`; *init gets the result. Returns the leader, 0 on failure. */
static uint64_t start_initialized(cluster_t* c, int n,
                                  coffer_init_result_t** init) {
  CHECK(cluster_init(c, n) == 0);
  CHECK_OK(cluster_start_and_bootstrap(c));
  uint64_t leader = cluster_wait_leader(c, 0);
  CHECK(leader != 0);
  if (leader == 0) return 0;
  uint64_t follower = n > 1 ? leader % (uint64_t)n + 1 : leader;
  CHECK_OK(coffer_node_initialize(c->nodes[follower], init, 5, 3, 5, 3));
  if (*init != NULL) cluster_keep_token(c, *init);
  CHECK(cluster_wait_initialized(c));
  return *init == NULL ? 0 : leader;
}

static void check_peers_and_leader(cluster_t* c, uint64_t leader) {
  coffer_peer_list_t* peers = NULL;
  CHECK_OK(coffer_node_list_peers(c->nodes[leader], c->token, &peers));
  if (peers == NULL) return;
  CHECK(peers->num_peers == 3);
  int leaders = 0;
  for (size_t i = 0; i < peers->num_peers; ++i) {
    const coffer_peer_info_t* p = peers->peers[i];
    char address[32];
    snprintf(address, sizeof address, "node-%llu", (unsigned long long)p->id);
    CHECK(p->id == i + 1);
    CHECK(strcmp(p->address, address) == 0);
    CHECK(p->voter == 1);
    if (strcmp(p->state, "leader") == 0) {
      ++leaders;
      CHECK(p->id == leader);
    }
  }
  CHECK(leaders == 1);
  coffer_peer_list_free(peers);

  uint64_t follower = leader % 3 + 1;
  coffer_leader_info_t* info = NULL;
  CHECK_OK(coffer_node_leader(c->nodes[follower], &info));
  if (info == NULL) return;
  char address[32];
  snprintf(address, sizeof address, "node-%llu", (unsigned long long)leader);
  CHECK(info->ha_enabled == 1 && info->is_self == 0);
  CHECK(info->leader_id == leader && info->term >= 1);
  CHECK(strcmp(info->leader_address, address) == 0);
  coffer_leader_info_free(info);
  CHECK_OK(coffer_node_leader(c->nodes[leader], &info));
  CHECK(info != NULL && info->is_self == 1);
  coffer_leader_info_free(info);
}

static void check_raw(cluster_t* c, uint64_t leader) {
  coffer_node_t* l = c->nodes[leader];
  coffer_node_t* f = c->nodes[leader % 3 + 1];
  CHECK_OK(coffer_node_put_raw(l, c->token, "app/raw", "v\0w", 3));
  char* value = NULL;
  size_t len = 0;
  CHECK_OK(coffer_node_get_raw(f, c->token, &value, &len, "app/raw",
                               COFFER_READ_LINEARIZABLE));
  CHECK(len == 3 && value != NULL && memcmp(value, "v\0w", 3) == 0 &&
        value[3] == '\0');
  coffer_free(value);
  CHECK_CODE(coffer_node_get_raw(f, c->token, &value, &len, "app/raw", 7),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("consistency");
  CHECK_OK(coffer_node_delete_raw(f, c->token, "app/raw"));
  CHECK_CODE(coffer_node_get_raw(l, c->token, &value, &len, "app/raw",
                                 COFFER_READ_LINEARIZABLE),
             COFFER_NOT_FOUND);
  CHECK(value == NULL && len == 0);
  CHECK_CODE(coffer_node_put_raw(l, c->token, NULL, "v", 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_put_raw(l, c->token, "p", NULL, 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_get_raw(l, c->token, NULL, &len, "p", 0),
             COFFER_INVALID_ARGUMENT);
}

static void check_kv(cluster_t* c, uint64_t leader) {
  coffer_node_t* l = c->nodes[leader];
  coffer_node_t* f = c->nodes[leader % 3 + 1];
  CHECK_OK(coffer_kv_enable_mount(f, c->token, "secret", NULL));
  coffer_mount_list_t* mounts = NULL;
  CHECK_OK(
      coffer_kv_list_mounts(l, c->token, &mounts, COFFER_READ_LINEARIZABLE));
  CHECK(mounts != NULL && mounts->num_mounts == 1 &&
        strcmp(mounts->mounts[0]->path, "secret/") == 0 &&
        mounts->mounts[0]->created_time_ns > 0);
  coffer_mount_list_free(mounts);
  coffer_mount_config_update_t tune;
  coffer_mount_config_update_init(&tune, sizeof tune);
  tune.set_max_versions = 1;
  tune.max_versions = 20;
  CHECK_OK(coffer_kv_tune_mount(f, c->token, "secret", &tune));
  CHECK_OK(
      coffer_kv_list_mounts(f, c->token, &mounts, COFFER_READ_LINEARIZABLE));
  CHECK(mounts != NULL && mounts->num_mounts == 1 &&
        mounts->mounts[0]->max_versions == 20);
  coffer_mount_list_free(mounts);
  CHECK_CODE(coffer_kv_tune_mount(f, c->token, "nomount", &tune),
             COFFER_NOT_FOUND);
  coffer_mount_info_t* found = NULL;
  CHECK_OK(coffer_kv_find_mount(f, c->token, &found, "secret/app/db",
                                COFFER_READ_LINEARIZABLE));
  CHECK(found != NULL && strcmp(found->path, "secret/") == 0 &&
        found->max_versions == 20);
  coffer_mount_info_free(found);
  found = (coffer_mount_info_t*)&found; /* poisoned */
  CHECK_CODE(
      coffer_kv_find_mount(l, c->token, &found, "nomount/x", COFFER_READ_STALE),
      COFFER_PERMISSION_DENIED);
  CHECK(found == NULL);
  CHECK_CODE(coffer_kv_find_mount(l, c->token, &found, NULL, COFFER_READ_STALE),
             COFFER_INVALID_ARGUMENT);

  coffer_kv_field_t v1[2] = {{"user", "admin", 5}, {"password", "hun\0ter", 7}};
  coffer_version_metadata_t* m = NULL;
  CHECK_OK(coffer_kv_put(f, c->token, &m, "secret", "web", v1, 2, NULL));
  CHECK(m != NULL && m->version == 1 && m->created_time_ns > 0 &&
        !m->destroyed);
  coffer_version_metadata_free(m);
  for (uint64_t id = 1; id <= 3; ++id) {
    coffer_kv_result_t* r = kv_read(c->nodes[id], c->token, "web", 0);
    CHECK(r != NULL && r->has_data && r->num_fields == 2);
    /* Fields come back in byte order. */
    CHECK(r != NULL && strcmp(r->fields[0].name, "password") == 0);
    CHECK(r != NULL && field_is(r, "password", "hun\0ter", 7));
    CHECK(r != NULL && r->metadata->version == 1);
    coffer_kv_result_free(r);
  }

  /* Check-and-set. */
  uint64_t cas = 0;
  coffer_kv_field_t v2[1] = {{"user", "admin2", 6}};
  CHECK_CODE(coffer_kv_put(l, c->token, NULL, "secret", "web", v2, 1, &cas),
             COFFER_ABORTED);
  cas = 1;
  CHECK_OK(coffer_kv_put(l, c->token, &m, "secret", "web", v2, 1, &cas));
  CHECK(m != NULL && m->version == 2);
  coffer_version_metadata_free(m);
  CHECK_CODE(coffer_kv_put(f, c->token, &m, "secret", "web", v2, 1, &cas),
             COFFER_ABORTED);
  CHECK(m == NULL);
  coffer_kv_result_t* r = kv_read(f, c->token, "web", 1);
  CHECK(r != NULL && field_is(r, "user", "admin", 5));
  coffer_kv_result_free(r);

  /* Patch: set one field, remove another. */
  coffer_kv_field_t set[1] = {{"role", "ops", 3}};
  const char* remove[1] = {"user"};
  CHECK_OK(coffer_kv_patch(f, c->token, &m, "secret", "web", set, 1, remove, 1,
                           NULL));
  CHECK(m != NULL && m->version == 3);
  coffer_version_metadata_free(m);
  r = kv_read(l, c->token, "web", 0);
  CHECK(r != NULL && r->num_fields == 1 && field_is(r, "role", "ops", 3));
  coffer_kv_result_free(r);

  /* Delete, undelete, destroy. */
  CHECK_OK(coffer_kv_delete(f, c->token, "secret", "web"));
  r = kv_read(l, c->token, "web", 0);
  CHECK(r != NULL && !r->has_data && r->num_fields == 0 &&
        r->metadata->has_deletion_time && r->metadata->version == 3);
  coffer_kv_result_free(r);
  uint64_t three = 3;
  CHECK_OK(coffer_kv_undelete(l, c->token, "secret", "web", &three, 1));
  r = kv_read(f, c->token, "web", 0);
  CHECK(r != NULL && r->has_data && !r->metadata->has_deletion_time);
  coffer_kv_result_free(r);
  uint64_t one = 1;
  CHECK_OK(coffer_kv_destroy(f, c->token, "secret", "web", &one, 1));
  r = kv_read(l, c->token, "web", 1);
  CHECK(r != NULL && !r->has_data && r->metadata->destroyed);
  coffer_kv_result_free(r);
  uint64_t two = 2;
  CHECK_OK(coffer_kv_delete_versions(f, c->token, "secret", "web", &two, 1));
  r = kv_read(l, c->token, "web", 2);
  CHECK(r != NULL && !r->has_data && r->metadata->has_deletion_time);
  coffer_kv_result_free(r);
  CHECK_CODE(coffer_kv_delete_versions(f, c->token, "secret", "web", NULL, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_kv_undelete(f, c->token, "secret", "web", NULL, 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("versions is NULL");

  /* Metadata. */
  coffer_key_metadata_update_t update;
  coffer_key_metadata_update_init(&update, sizeof update);
  coffer_kv_field_t custom[1] = {{"owner", "team-a", 6}};
  update.set_max_versions = 1;
  update.max_versions = 5;
  update.set_custom_metadata = 1;
  update.custom_metadata = custom;
  update.num_custom_metadata = 1;
  CHECK_OK(coffer_kv_write_metadata(f, c->token, "secret", "web", &update));
  coffer_key_metadata_t* meta = NULL;
  CHECK_OK(coffer_kv_read_metadata(l, c->token, &meta, "secret", "web",
                                   COFFER_READ_LINEARIZABLE));
  CHECK(meta != NULL && meta->current_version == 3 && meta->max_versions == 5 &&
        meta->num_versions == 3 && meta->versions[0]->version == 1 &&
        meta->versions[0]->destroyed && meta->num_custom_metadata == 1 &&
        strcmp(meta->custom_metadata[0].name, "owner") == 0 &&
        meta->updated_time_ns >= meta->created_time_ns);
  coffer_key_metadata_free(meta);
  CHECK_CODE(coffer_kv_write_metadata(f, c->token, "secret", "web", NULL),
             COFFER_INVALID_ARGUMENT);

  /* List. */
  coffer_kv_field_t db[1] = {{"dsn", "postgres://", 11}};
  CHECK_OK(coffer_kv_put(f, c->token, NULL, "secret", "app/db", db, 1, NULL));
  coffer_string_list_t* names = NULL;
  CHECK_OK(coffer_kv_list(l, c->token, &names, "secret", "",
                          COFFER_READ_LINEARIZABLE));
  CHECK(list_is(names, "app/", "web"));
  coffer_string_list_free(names);
  CHECK_OK(coffer_kv_list(f, c->token, &names, "secret", "app/",
                          COFFER_READ_LINEARIZABLE));
  CHECK(list_is(names, "db", NULL));
  coffer_string_list_free(names);

  /* Delete the metadata: the key is gone. */
  CHECK_OK(coffer_kv_delete_metadata(f, c->token, "secret", "web"));
  r = (coffer_kv_result_t*)&r; /* poisoned */
  CHECK_CODE(coffer_kv_get(l, c->token, &r, "secret", "web", 0, 0),
             COFFER_NOT_FOUND);
  CHECK(r == NULL);
  CHECK_CODE(coffer_kv_read_metadata(l, c->token, &meta, "secret", "web", 0),
             COFFER_NOT_FOUND);
  CHECK_CODE(coffer_kv_get(l, c->token, &r, "nomount", "web", 0, 0),
             COFFER_NOT_FOUND);

  /* Bad arguments. */
  CHECK_CODE(coffer_kv_put(l, c->token, NULL, NULL, "k", v1, 1, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: mount is NULL");
  CHECK_CODE(coffer_kv_put(l, c->token, NULL, "secret", "k", NULL, 1, NULL),
             COFFER_INVALID_ARGUMENT);
  coffer_kv_field_t dup[2] = {{"a", "1", 1}, {"a", "2", 1}};
  CHECK_CODE(coffer_kv_put(l, c->token, NULL, "secret", "k", dup, 2, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("twice");
  coffer_kv_field_t unnamed[1] = {{NULL, "1", 1}};
  CHECK_CODE(coffer_kv_put(l, c->token, NULL, "secret", "k", unnamed, 1, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_kv_get(l, c->token, &r, "secret", "k", 0, 2),
             COFFER_INVALID_ARGUMENT);
  const char* null_name[1] = {NULL};
  CHECK_CODE(coffer_kv_patch(l, c->token, NULL, "secret", "app/db", NULL, 0,
                             null_name, 1, NULL),
             COFFER_INVALID_ARGUMENT);
  coffer_mount_config_t config;
  coffer_mount_config_init(&config, sizeof config);
  config.delete_version_after_ns = -1;
  CHECK_CODE(coffer_kv_enable_mount(l, c->token, "other", &config),
             COFFER_INVALID_ARGUMENT);
}

void test_cluster_of_three(void) {
  cluster_t c;
  coffer_init_result_t* init = NULL;
  uint64_t leader = start_initialized(&c, 3, &init);
  if (leader != 0) {
    CHECK(init->num_keys == 5 && init->num_recovery_keys == 0);
    CHECK(strncmp(init->root_token, "hvs.", 4) == 0 &&
          strlen(init->root_token) == 37);
    coffer_init_result_t* again = NULL;
    CHECK_CODE(coffer_node_initialize(c.nodes[leader], &again, 5, 3, 5, 3),
               COFFER_FAILED_PRECONDITION);
    CHECK(again == NULL);
    for (uint64_t id = 1; id <= 3; ++id) {
      CHECK_OK(cluster_unseal(&c, id, init->keys + id - 1, 3));
    }
    check_peers_and_leader(&c, leader);
    check_raw(&c, leader);
    check_kv(&c, leader);
  }
  REQUIRE_NO_FAILURE();

  /* Failover: close the leader; the others elect a new one and serve. */
  cluster_stop(&c, leader);
  uint64_t next = cluster_wait_leader(&c, leader);
  CHECK(next != 0 && next != leader);
  for (uint64_t id = 1; next != 0 && id <= 3; ++id) {
    if (id == leader) continue;
    coffer_kv_result_t* r = kv_read(c.nodes[id], c.token, "app/db", 0);
    CHECK(r != NULL && field_is(r, "dsn", "postgres://", 11));
    coffer_kv_result_free(r);
    coffer_kv_field_t v[1] = {{"n", "1", 1}};
    CHECK_OK(coffer_kv_put(c.nodes[id], c.token, NULL, "secret", "after", v, 1,
                           NULL));
  }
  if (next != 0) {
    CHECK_OK(coffer_node_remove_peer(c.nodes[next], c.token, leader));
    coffer_peer_list_t* peers = NULL;
    CHECK_OK(coffer_node_list_peers(c.nodes[next], c.token, &peers));
    CHECK(peers != NULL && peers->num_peers == 2);
    coffer_peer_list_free(peers);
    CHECK_CODE(coffer_node_add_peer(c.nodes[next], c.token, 9, NULL, 1),
               COFFER_INVALID_ARGUMENT);
  }
  coffer_init_result_free(init);
  cluster_destroy(&c);
}

/* Hex of `n` bytes into `out` (2n+1 bytes). */
static void to_hex(char* out, const char* in, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[(unsigned char)in[i] >> 4];
    out[2 * i + 1] = kDigits[(unsigned char)in[i] & 15];
  }
  out[2 * n] = '\0';
}

void test_sealed_node_and_wrong_shares(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  CHECK_OK(cluster_start_and_bootstrap(&c));
  uint64_t leader = cluster_wait_leader(&c, 0);
  CHECK(leader != 0);
  coffer_init_result_t* init = NULL;
  if (leader != 0) {
    CHECK_CODE(coffer_node_initialize(c.nodes[leader], &init, 0, 0, 5, 3),
               COFFER_INVALID_ARGUMENT);
    CHECK_CODE(coffer_node_initialize(c.nodes[leader], NULL, 5, 3, 5, 3),
               COFFER_INVALID_ARGUMENT);
    CHECK_OK(coffer_node_initialize(c.nodes[leader], &init, 5, 3, 5, 3));
    if (init != NULL) cluster_keep_token(&c, init);
    CHECK(cluster_wait_initialized(&c));
  }
  if (init == NULL) {
    cluster_destroy(&c);
    return;
  }
  coffer_node_t* n = c.nodes[leader % 3 + 1];
  coffer_seal_status_t* s = NULL;
  CHECK_OK(coffer_node_seal_status(n, &s));
  CHECK(s != NULL && s->initialized && s->sealed && s->threshold == 3 &&
        s->shares == 5 && s->progress == 0 && strcmp(s->type, "shamir") == 0 &&
        !s->recovery_seal && strlen(s->version) > 0);
  coffer_seal_status_free(s);
  CHECK_CODE(coffer_node_seal_status(n, NULL), COFFER_INVALID_ARGUMENT);

  /* A sealed node serves no data. */
  coffer_kv_field_t v[1] = {{"a", "b", 1}};
  CHECK_CODE(coffer_kv_put(n, c.token, NULL, "secret", "k", v, 1, NULL),
             COFFER_FAILED_PRECONDITION);
  char* value = NULL;
  size_t len = 0;
  CHECK_CODE(coffer_node_get_raw(n, c.token, &value, &len, "x", 0),
             COFFER_FAILED_PRECONDITION);
  CHECK_CODE(coffer_node_put_raw(n, c.token, "x", "y", 1),
             COFFER_FAILED_PRECONDITION);

  /* Malformed shares change nothing. */
  CHECK_CODE(coffer_node_unseal(n, &s, "zz", 2), COFFER_INVALID_ARGUMENT);
  CHECK(s == NULL);
  CHECK_CODE(coffer_node_unseal(n, &s, "", 0), COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_unseal(n, &s, NULL, 0), COFFER_INVALID_ARGUMENT);

  /* A complete set of well-formed but wrong shares is refused and resets
   * the attempt. */
  char secret[32];
  memset(secret, 0x42, sizeof secret);
  coffer_string_list_t* wrong = NULL;
  CHECK_OK(coffer_shamir_split(&wrong, secret, sizeof secret, 3, 3));
  for (size_t i = 0; wrong != NULL && i < 3; ++i) {
    char hex[80];
    to_hex(hex, wrong->items[i], wrong->lens[i]);
    int rc = coffer_node_unseal(n, &s, hex, strlen(hex));
    if (i < 2) {
      CHECK_OK(rc);
      CHECK(s != NULL && s->sealed && s->progress == (int)i + 1);
    } else {
      CHECK(rc == COFFER_PERMISSION_DENIED);
      CHECK(s == NULL);
    }
    coffer_seal_status_free(s);
    s = NULL;
  }
  coffer_string_list_free(wrong);
  CHECK_OK(coffer_node_seal_status(n, &s));
  CHECK(s != NULL && s->sealed && s->progress == 0);
  coffer_seal_status_free(s);

  /* The right shares unseal it; seal again; unseal again. */
  CHECK_OK(cluster_unseal(&c, leader, init->keys + 2, 3));
  for (int round = 0; round < 2; ++round) {
    CHECK_OK(cluster_unseal(&c, leader % 3 + 1, init->keys, 3));
    CHECK_OK(coffer_node_unseal(n, &s, init->keys[4], strlen(init->keys[4])));
    CHECK(s != NULL && !s->sealed); /* only reports the status */
    coffer_seal_status_free(s);
    CHECK_OK(coffer_node_put_raw(n, c.token, "x", "y", 1));
    CHECK_OK(coffer_node_seal(n, c.token));
    CHECK_OK(coffer_node_seal(n, c.token)); /* idempotent */
    CHECK_CODE(coffer_node_get_raw(n, c.token, &value, &len, "x", 0),
               COFFER_FAILED_PRECONDITION);
  }
  coffer_init_result_free(init);
  cluster_destroy(&c);
}

/* A test Kms: XOR with a byte behind a "xor:" prefix; counts its calls. */
typedef struct xor_kms {
  int wraps;
  int unwraps;
  int fail; /* non-zero: every call fails with this code */
} xor_kms_t;

static int xor_call(xor_kms_t* k, coffer_sink_t* out, const char* input,
                    size_t len, int wrap) {
  if (k->fail != 0) return k->fail;
  if (wrap) {
    ++k->wraps;
    if (coffer_sink_write(out, "xor:", 4) != COFFER_OK) return COFFER_INTERNAL;
  } else {
    ++k->unwraps;
    if (len < 4 || memcmp(input, "xor:", 4) != 0) return COFFER_DATA_LOSS;
    input += 4;
    len -= 4;
  }
  for (size_t i = 0; i < len; ++i) {
    char b = (char)(input[i] ^ 0x5a);
    if (coffer_sink_write(out, &b, 1) != COFFER_OK) return COFFER_INTERNAL;
  }
  return COFFER_OK;
}

static int xor_wrap(void* user_data, coffer_sink_t* out, const char* key_id,
                    const void* input, size_t len) {
  (void)key_id;
  return xor_call((xor_kms_t*)user_data, out, (const char*)input, len, 1);
}

static int xor_unwrap(void* user_data, coffer_sink_t* out, const char* key_id,
                      const void* input, size_t len) {
  if (strcmp(key_id, "key-1") != 0) return COFFER_NOT_FOUND;
  return xor_call((xor_kms_t*)user_data, out, (const char*)input, len, 0);
}

static int wait_unsealed(coffer_node_t* node) {
  for (int i = 0; i < 3000; ++i) {
    coffer_seal_status_t* s = NULL;
    if (coffer_node_seal_status(node, &s) != COFFER_OK) return 0;
    int sealed = s->sealed;
    coffer_seal_status_free(s);
    if (!sealed) return 1;
    cluster_sleep_ms(10);
  }
  return 0;
}

void test_auto_unseal_with_kms_callbacks(void) {
  xor_kms_t state = {0, 0, COFFER_UNAVAILABLE};
  coffer_kms_t kms;
  memset(&kms, 0, sizeof kms);
  kms.struct_size = sizeof kms;
  kms.type = "xorkms";
  kms.key_id = "key-1";
  kms.wrap = xor_wrap;
  kms.unwrap = xor_unwrap;
  kms.user_data = &state;

  cluster_t c;
  CHECK(cluster_init(&c, 1) == 0);
  c.kms = &kms;
  CHECK_OK(cluster_start_and_bootstrap(&c));
  CHECK(cluster_wait_leader(&c, 0) == 1);
  REQUIRE_NO_FAILURE();

  /* A failing Kms fails Initialize and changes nothing. */
  coffer_init_result_t* init = NULL;
  int rc = coffer_node_initialize(c.nodes[1], &init, 5, 3, 1, 1);
  CHECK(rc != COFFER_OK && init == NULL);
  CHECK_MESSAGE("kms wrap callback failed");

  state.fail = 0;
  CHECK_OK(coffer_node_initialize(c.nodes[1], &init, 5, 3, 1, 1));
  CHECK(init != NULL && init->num_keys == 0 && init->num_recovery_keys == 1);
  CHECK(state.wraps >= 1);
  if (init != NULL) cluster_keep_token(&c, init);
  coffer_init_result_free(init);
  CHECK(wait_unsealed(c.nodes[1]));
  coffer_seal_status_t* s = NULL;
  CHECK_OK(coffer_node_seal_status(c.nodes[1], &s));
  CHECK(s != NULL && strcmp(s->type, "xorkms") == 0 && s->recovery_seal);
  coffer_seal_status_free(s);
  CHECK_OK(coffer_node_put_raw(c.nodes[1], c.token, "k", "v", 1));

  /* A restarted node unseals itself through the callbacks. */
  cluster_stop(&c, 1);
  int unwraps = state.unwraps;
  CHECK_OK(cluster_start(&c, 1));
  CHECK(c.nodes[1] != NULL && wait_unsealed(c.nodes[1]));
  CHECK(state.unwraps > unwraps);
  CHECK(cluster_wait_leader(&c, 0) == 1);
  char* value = NULL;
  size_t len = 0;
  CHECK_OK(coffer_node_get_raw(c.nodes[1], c.token, &value, &len, "k",
                               COFFER_READ_LINEARIZABLE));
  CHECK(len == 1 && value != NULL && value[0] == 'v');
  coffer_free(value);

  /* After a shutdown every call fails; the handle stays valid until close. */
  CHECK_OK(coffer_node_shutdown(c.nodes[1]));
  CHECK_OK(coffer_node_shutdown(c.nodes[1])); /* idempotent */
  s = NULL;
  CHECK_CODE(coffer_node_seal_status(c.nodes[1], &s),
             COFFER_FAILED_PRECONDITION);
  CHECK_CODE(coffer_node_put_raw(c.nodes[1], c.token, "k", "v", 1),
             COFFER_FAILED_PRECONDITION);
  CHECK_OK(coffer_node_receive(c.nodes[1], "junk", 4)); /* dropped */
  cluster_destroy(&c);
}
