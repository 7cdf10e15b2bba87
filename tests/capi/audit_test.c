/* Audit devices through the C ABI: a callback device and a file device
 * enabled, listed, recording every node's requests with secrets hashed,
 * audit-hash finding a known value in them, Vault's fail-closed rule when
 * the only device cannot record, and disable. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_tests.h"
#include "cluster.h"
#include "harness.h"

#define MAX_RECORDS 4096

/* What the nodes' audit callbacks received (called from many threads). */
typedef struct audit_sink {
  pthread_mutex_t mu;
  int refuse; /* when set, every record is refused */
  int count;
  int unterminated; /* records whose byte after record_len was not NUL */
  char* records[MAX_RECORDS];
} audit_sink_t;

static int on_audit(void* user_data, const char* record, size_t len) {
  audit_sink_t* s = (audit_sink_t*)user_data;
  pthread_mutex_lock(&s->mu);
  int rc = COFFER_OK;
  if (s->refuse) {
    rc = COFFER_UNAVAILABLE;
  } else if (s->count < MAX_RECORDS) {
    if (record[len] != '\0') ++s->unterminated;
    s->records[s->count] = malloc(len + 1);
    memcpy(s->records[s->count], record, len + 1);
    ++s->count;
  }
  pthread_mutex_unlock(&s->mu);
  return rc;
}

static void with_audit(coffer_node_options_t* o, void* arg) {
  o->audit = on_audit;
  o->audit_user_data = arg;
}

/* How many records hold `needle`. */
static int records_with(audit_sink_t* s, const char* needle) {
  pthread_mutex_lock(&s->mu);
  int n = 0;
  for (int i = 0; i < s->count; ++i) n += strstr(s->records[i], needle) != 0;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static int record_count(audit_sink_t* s) {
  pthread_mutex_lock(&s->mu);
  int n = s->count;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void set_refuse(audit_sink_t* s, int refuse) {
  pthread_mutex_lock(&s->mu);
  s->refuse = refuse;
  pthread_mutex_unlock(&s->mu);
}

static void check_list(coffer_node_t* n, const char* token) {
  coffer_audit_devices_t* d = NULL;
  CHECK_OK(coffer_audit_list(n, token, &d));
  CHECK(d != NULL && d->num_devices == 2);
  if (d == NULL || d->num_devices != 2) {
    coffer_audit_devices_free(d);
    return;
  }
  const coffer_audit_device_t* cb = d->devices[0];
  const coffer_audit_device_t* file = d->devices[1];
  CHECK(strcmp(cb->path, "cb/") == 0 && strcmp(cb->type, "callback") == 0 &&
        strcmp(cb->description, "the host's") == 0 && cb->num_options == 0);
  CHECK(strcmp(file->path, "file/") == 0 && strcmp(file->type, "file") == 0 &&
        strcmp(file->description, "") == 0);
  CHECK(file->num_options == 1 &&
        strcmp(file->options[0].name, "file_path") == 0 &&
        strcmp(file->options[0].value, "audit.log") == 0);
  coffer_audit_devices_free(d);
}

static void check_bad_arguments(coffer_node_t* n, const char* root) {
  coffer_kv_field_t none[1] = {{"file_path", "x.log", 5}};
  CHECK_CODE(coffer_audit_enable(n, root, NULL, "file", NULL, none, 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: path is NULL");
  CHECK_CODE(coffer_audit_enable(n, root, "x", NULL, NULL, none, 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: type is NULL");
  CHECK_CODE(coffer_audit_enable(n, root, "x", "syslog", NULL, NULL, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_audit_enable(n, root, "x", "file", NULL, NULL, 0),
             COFFER_INVALID_ARGUMENT); /* file_path is required */
  CHECK_CODE(coffer_audit_enable(n, root, "cb", "callback", NULL, NULL, 0),
             COFFER_INVALID_ARGUMENT); /* in use */
  CHECK_CODE(coffer_audit_enable(n, root, "x", "file", NULL, NULL, 1),
             COFFER_INVALID_ARGUMENT); /* fields NULL with a count */
  CHECK_CODE(coffer_audit_disable(n, root, NULL), COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_audit_disable(n, root, "nosuch"), COFFER_NOT_FOUND);
  char* hash = (char*)&hash; /* poisoned */
  size_t len = 9;
  CHECK_CODE(coffer_audit_hash(n, root, &hash, &len, "nosuch", "x", 1),
             COFFER_NOT_FOUND);
  CHECK(hash == NULL && len == 0);
  CHECK_CODE(coffer_audit_hash(n, root, &hash, &len, "cb", NULL, 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_audit_hash(n, root, NULL, &len, "cb", "x", 1),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_audit_list(n, root, NULL), COFFER_INVALID_ARGUMENT);
}

/* Whether `n` lists `want` devices within five seconds: a change made
 * through one node reaches the others when they apply it. */
static int wait_devices(coffer_node_t* n, const char* token, size_t want) {
  for (int i = 0; i < 500; ++i) {
    coffer_audit_devices_t* d = NULL;
    int ok =
        coffer_audit_list(n, token, &d) == COFFER_OK && d->num_devices == want;
    coffer_audit_devices_free(d);
    if (ok) return 1;
    cluster_sleep_ms(10);
  }
  return 0;
}

void test_audit_devices(void) {
  audit_sink_t s;
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.mu, NULL);
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  c.tweak = with_audit;
  c.tweak_arg = &s;
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 3, &init);
  if (leader == 0) goto done;
  coffer_node_t* l = c.nodes[leader];
  coffer_node_t* f = c.nodes[leader % 3 + 1];
  const char* root = c.token;

  CHECK_OK(
      coffer_audit_enable(f, root, "cb", "callback", "the host's", NULL, 0));
  coffer_kv_field_t file_path[1] = {{"file_path", "audit.log", 9}};
  CHECK_OK(coffer_audit_enable(l, root, "file/", "file", NULL, file_path, 1));
  CHECK(wait_devices(f, root, 2));
  check_list(f, root);
  check_bad_arguments(l, root);
  REQUIRE_NO_FAILURE();

  /* A write through a follower and a read on another node: each node
   * records the requests it served, the value and the token hashed. */
  const char kValue[] = "s3cr3t-value-for-audit";
  coffer_kv_field_t v[1] = {{"password", kValue, sizeof kValue - 1}};
  CHECK_OK(coffer_kv_put(f, root, NULL, "secret", "app/db", v, 1, NULL));
  coffer_kv_result_t* got = NULL;
  CHECK_OK(coffer_kv_get(l, root, &got, "secret", "app/db", 0,
                         COFFER_READ_LINEARIZABLE));
  CHECK(got != NULL && got->num_fields == 1);
  coffer_kv_result_free(got);
  CHECK(record_count(&s) > 0 && s.unterminated == 0);
  CHECK(records_with(&s, "\"type\":\"request\"") > 0);
  CHECK(records_with(&s, "\"type\":\"response\"") > 0);
  CHECK(records_with(&s, "hmac-sha256:") > 0);
  CHECK(records_with(&s, kValue) == 0);
  CHECK(records_with(&s, root) == 0);
  char* hash = NULL;
  size_t len = 0;
  CHECK_OK(coffer_audit_hash(l, root, &hash, &len, "cb/", kValue,
                             sizeof kValue - 1));
  CHECK(hash != NULL && len == strlen(hash) &&
        strncmp(hash, "hmac-sha256:", 12) == 0);
  if (hash != NULL) CHECK(records_with(&s, hash) > 0);
  coffer_free(hash);

  /* A token without sudo may neither list nor change the devices. */
  coffer_token_create_options_t o;
  coffer_token_create_options_init(&o, sizeof o);
  const char* only_default[1] = {"default"};
  o.policies = only_default;
  o.num_policies = 1;
  coffer_created_token_t* t = NULL;
  CHECK_OK(coffer_token_create(l, root, &t, &o));
  if (t != NULL) {
    coffer_audit_devices_t* d = NULL;
    CHECK_CODE(coffer_audit_list(l, t->id, &d), COFFER_PERMISSION_DENIED);
    CHECK_CODE(coffer_audit_disable(l, t->id, "cb"), COFFER_PERMISSION_DENIED);
  }
  coffer_created_token_free(t);

  /* Only the callback device left, and it refuses: requests fail and
   * change nothing (Vault's rule). */
  CHECK_OK(coffer_audit_disable(l, root, "file"));
  CHECK(wait_devices(f, root, 1)); /* f applies the disable a moment later */
  set_refuse(&s, 1);
  coffer_kv_field_t w[1] = {{"v", "lost", 4}};
  CHECK(coffer_kv_put(f, root, NULL, "secret", "refused", w, 1, NULL) !=
        COFFER_OK);
  set_refuse(&s, 0);
  coffer_kv_result_t* r = NULL;
  CHECK_CODE(coffer_kv_get(l, root, &r, "secret", "refused", 0,
                           COFFER_READ_LINEARIZABLE),
             COFFER_NOT_FOUND);
  coffer_kv_result_free(r);
  CHECK_OK(coffer_audit_disable(l, root, "cb"));
  CHECK(wait_devices(f, root, 0));
done:
  coffer_init_result_free(init);
  cluster_destroy(&c);
  for (int i = 0; i < s.count; ++i) free(s.records[i]);
  pthread_mutex_destroy(&s.mu);
}
