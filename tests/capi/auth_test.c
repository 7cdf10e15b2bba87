/* Tokens, policies and capabilities through the C ABI: a policy written,
 * a token created with it and used, refused where its policy does not
 * reach, looked up, renewed, revoked; token trees and orphans; the
 * membership calls before and after initialization. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "capi_tests.h"
#include "cluster.h"
#include "harness.h"

static const char kAppPolicy[] =
    "path \"secret/data/app/*\" {\n"
    "  capabilities = [\"create\", \"read\", \"update\"]\n"
    "}\n";

static const char kParentPolicy[] =
    "path \"auth/token/create\" {\n"
    "  capabilities = [\"update\"]\n"
    "}\n";

#define HOUR_NS (3600LL * 1000 * 1000 * 1000)

/* Checks that `expr` is refused as Vault refuses: one code, one message. */
#define CHECK_DENIED(expr)                                                  \
  do {                                                                      \
    CHECK_CODE(expr, COFFER_PERMISSION_DENIED);                             \
    CHECK(strcmp(coffer_last_error_message(), "node: permission denied") == \
          0);                                                               \
  } while (0)

static int list_has(const coffer_string_list_t* l, const char* s) {
  for (size_t i = 0; l != NULL && i < l->num_items; ++i) {
    if (strcmp(l->items[i], s) == 0) return 1;
  }
  return 0;
}

static int strings_are(char** items, size_t n, const char* a, const char* b,
                       const char* c) {
  const char* want[3] = {a, b, c};
  size_t m = c != NULL ? 3 : b != NULL ? 2 : 1;
  if (n != m) return 0;
  for (size_t i = 0; i < m; ++i) {
    if (strcmp(items[i], want[i]) != 0) return 0;
  }
  return 1;
}

/* Creates a token through `node` with `token` and the given policy (NULL:
 * the caller's) into id[128]; returns its code. */
static int create(coffer_node_t* node, const char* token, const char* policy,
                  char* id, char* accessor) {
  coffer_token_create_options_t o;
  coffer_token_create_options_init(&o, sizeof o);
  const char* policies[1] = {policy};
  if (policy != NULL) {
    o.policies = policies;
    o.num_policies = 1;
  }
  coffer_created_token_t* t = NULL;
  int rc = coffer_token_create(node, token, &t, &o);
  if (rc == COFFER_OK) {
    snprintf(id, 128, "%s", t->id);
    if (accessor != NULL) snprintf(accessor, 128, "%s", t->info->accessor);
  }
  coffer_created_token_free(t);
  return rc;
}

static void check_policies(coffer_node_t* l, coffer_node_t* f,
                           const char* root) {
  CHECK_OK(coffer_policy_write(f, root, "App", kAppPolicy)); /* lower-cased */
  char* text = NULL;
  size_t len = 0;
  CHECK_OK(coffer_policy_read(l, root, &text, &len, "app"));
  CHECK(text != NULL && len == strlen(kAppPolicy) &&
        strcmp(text, kAppPolicy) == 0);
  coffer_free(text);
  coffer_string_list_t* names = NULL;
  CHECK_OK(coffer_policy_list(l, root, &names));
  CHECK(list_has(names, "app") && list_has(names, "default") &&
        list_has(names, "root"));
  coffer_string_list_free(names);

  CHECK_CODE(coffer_policy_write(l, root, "bad", "path \"a\" {"),
             COFFER_INVALID_ARGUMENT);
  CHECK(strncmp(coffer_last_error_message(), "acl: ", 5) == 0);
  CHECK_CODE(coffer_policy_read(l, root, &text, &len, "nosuch"),
             COFFER_NOT_FOUND);
  CHECK(text == NULL && len == 0);
  CHECK_CODE(coffer_policy_write(l, root, "p", NULL), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: text is NULL");
  CHECK_CODE(coffer_policy_read(l, root, NULL, &len, "app"),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_policy_delete(l, root, NULL), COFFER_INVALID_ARGUMENT);
}

/* The app token: what it may do, and what not. */
static void check_use(coffer_node_t* l, coffer_node_t* f, const char* app) {
  coffer_kv_field_t v[1] = {{"v", "1", 1}};
  CHECK_OK(coffer_kv_put(l, app, NULL, "secret", "app/x", v, 1, NULL));
  coffer_kv_result_t* r = NULL;
  CHECK_OK(coffer_kv_get(f, app, &r, "secret", "app/x", 0,
                         COFFER_READ_LINEARIZABLE));
  CHECK(r != NULL && r->has_data && r->num_fields == 1);
  coffer_kv_result_free(r);
  CHECK_DENIED(coffer_kv_put(f, app, NULL, "secret", "other", v, 1, NULL));
  CHECK_DENIED(coffer_kv_delete(l, app, "secret", "app/x"));
  CHECK_DENIED(coffer_node_put_raw(l, app, "k", "v", 1));
  coffer_peer_list_t* peers = NULL;
  CHECK_DENIED(coffer_node_list_peers(f, app, &peers));
  CHECK(peers == NULL);
  coffer_string_list_t* accessors = NULL;
  CHECK_DENIED(coffer_token_accessors(l, app, &accessors));
  CHECK_DENIED(coffer_policy_write(l, app, "mine", kAppPolicy));
  /* No token, an empty one, and one that does not exist. */
  CHECK_DENIED(coffer_kv_get(f, NULL, &r, "secret", "app/x", 0, 0));
  CHECK(r == NULL);
  CHECK_DENIED(coffer_kv_get(f, "", &r, "secret", "app/x", 0, 0));
  CHECK_DENIED(coffer_kv_get(f, "hvs.notatoken", &r, "secret", "app/x", 0, 0));
  /* Arguments are checked before the token. */
  CHECK_CODE(coffer_kv_get(f, NULL, &r, NULL, "app/x", 0, 0),
             COFFER_INVALID_ARGUMENT);
}

static void check_lookup_and_renew(coffer_node_t* l, coffer_node_t* f,
                                   const char* root, const char* app,
                                   const char* accessor) {
  coffer_token_info_t* info = NULL;
  CHECK_OK(coffer_token_lookup(f, app, &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK(
      info != NULL && strcmp(info->accessor, accessor) == 0 &&
      strings_are(info->policies, info->num_policies, "app", "default", NULL));
  coffer_token_info_free(info);
  CHECK_OK(
      coffer_token_lookup(l, root, &info, COFFER_TOKEN_REF_ACCESSOR, accessor));
  CHECK(info != NULL && strcmp(info->display_name, "token-ci") == 0);
  coffer_token_info_free(info);
  CHECK_OK(coffer_token_lookup(l, root, &info, COFFER_TOKEN_REF_ID, app));
  CHECK(info != NULL && strcmp(info->accessor, accessor) == 0);
  coffer_token_info_free(info);
  info = (coffer_token_info_t*)&info; /* poisoned */
  CHECK_CODE(coffer_token_lookup(l, root, &info, COFFER_TOKEN_REF_ACCESSOR,
                                 "nosuchaccessor"),
             COFFER_NOT_FOUND);
  CHECK(info == NULL);
  CHECK_CODE(coffer_token_lookup(l, root, &info, COFFER_TOKEN_REF_ID, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: ref is NULL");
  CHECK_CODE(coffer_token_lookup(l, root, &info, 9, "x"),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("ref_kind");
  CHECK_CODE(coffer_token_lookup(l, root, NULL, COFFER_TOKEN_REF_SELF, NULL),
             COFFER_INVALID_ARGUMENT);

  /* Renew: by 2 h, past the 1 h it was created with. */
  CHECK_OK(coffer_token_renew(f, app, &info, COFFER_TOKEN_REF_SELF, NULL,
                              2 * HOUR_NS));
  CHECK(info != NULL && info->ttl_ns > HOUR_NS && info->ttl_ns <= 2 * HOUR_NS &&
        info->has_last_renewal_time && info->last_renewal_time_ns > 0);
  coffer_token_info_free(info);
  CHECK_OK(coffer_token_renew(l, root, NULL, COFFER_TOKEN_REF_ID, app, 0));
  CHECK_OK(coffer_token_renew(f, root, &info, COFFER_TOKEN_REF_ACCESSOR,
                              accessor, HOUR_NS));
  CHECK(info != NULL && info->ttl_ns == HOUR_NS &&
        strcmp(info->accessor, accessor) == 0);
  coffer_token_info_free(info);
  CHECK_CODE(coffer_token_renew(l, root, NULL, COFFER_TOKEN_REF_ACCESSOR,
                                "no-such-accessor", 0),
             COFFER_NOT_FOUND);
  /* The root token never expires, so it cannot be renewed. */
  CHECK_CODE(coffer_token_renew(l, root, NULL, COFFER_TOKEN_REF_SELF, NULL, 0),
             COFFER_INVALID_ARGUMENT);
}

static void check_capabilities(coffer_node_t* l, const char* root,
                               const char* accessor) {
  const char* paths[2] = {"secret/data/other", "secret/data/app/x"};
  coffer_capabilities_t* caps = NULL;
  CHECK_OK(coffer_capabilities(l, root, &caps, COFFER_TOKEN_REF_ACCESSOR,
                               accessor, paths, 2));
  CHECK(caps != NULL && caps->num_paths == 2);
  if (caps != NULL && caps->num_paths == 2) {
    coffer_path_capabilities_t* app = caps->paths[0];
    coffer_path_capabilities_t* other = caps->paths[1];
    CHECK(strcmp(app->path, "secret/data/app/x") == 0);
    CHECK(strings_are(app->capabilities, app->num_capabilities, "create",
                      "read", "update"));
    CHECK(strcmp(other->path, "secret/data/other") == 0);
    CHECK(strings_are(other->capabilities, other->num_capabilities, "deny",
                      NULL, NULL));
  }
  coffer_capabilities_free(caps);
  CHECK_OK(coffer_capabilities(l, root, &caps, COFFER_TOKEN_REF_SELF, NULL,
                               paths, 1));
  CHECK(caps != NULL && caps->num_paths == 1 &&
        strings_are(caps->paths[0]->capabilities,
                    caps->paths[0]->num_capabilities, "root", NULL, NULL));
  coffer_capabilities_free(caps);
  caps = (coffer_capabilities_t*)&caps; /* poisoned */
  CHECK_CODE(coffer_capabilities(l, root, &caps, COFFER_TOKEN_REF_SELF, NULL,
                                 paths, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK(caps == NULL);
  CHECK_CODE(
      coffer_capabilities(l, root, &caps, COFFER_TOKEN_REF_SELF, NULL, NULL, 1),
      COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: paths is NULL");
}

void test_tokens_and_policies(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 3, &init);
  if (leader == 0) goto done;
  coffer_node_t* l = c.nodes[leader];
  coffer_node_t* f = c.nodes[leader % 3 + 1];
  const char* root = c.token;
  check_policies(l, f, root);
  REQUIRE_NO_FAILURE();

  /* A token with the app policy, created through a follower. */
  coffer_token_create_options_t o;
  coffer_token_create_options_init(&o, sizeof o);
  const char* policies[1] = {"app"};
  coffer_kv_field_t meta[1] = {{"team", "a", 1}};
  o.policies = policies;
  o.num_policies = 1;
  o.metadata = meta;
  o.num_metadata = 1;
  o.display_name = "ci";
  o.ttl_ns = HOUR_NS;
  coffer_created_token_t* t = NULL;
  CHECK_OK(coffer_token_create(f, root, &t, &o));
  REQUIRE_NO_FAILURE();
  char app[128];
  char accessor[128];
  snprintf(app, sizeof app, "%s", t->id);
  snprintf(accessor, sizeof accessor, "%s", t->info->accessor);
  const coffer_token_info_t* info = t->info;
  CHECK(strncmp(t->id, "hvs.", 4) == 0 && strlen(t->id) == 37);
  CHECK(strlen(info->accessor) > 0 && strcmp(info->accessor, t->id) != 0);
  CHECK(
      strings_are(info->policies, info->num_policies, "app", "default", NULL));
  CHECK(info->num_metadata == 1 &&
        strcmp(info->metadata[0].name, "team") == 0 &&
        info->metadata[0].value_len == 1);
  CHECK(strcmp(info->display_name, "token-ci") == 0);
  CHECK(info->renewable && !info->orphan && info->num_uses == 0);
  CHECK(info->has_expire_time && info->creation_ttl_ns == HOUR_NS);
  CHECK(info->ttl_ns > 0 && info->ttl_ns <= HOUR_NS);
  CHECK(info->expire_time_ns > info->creation_time_ns);
  CHECK(!info->has_last_renewal_time && strcmp(info->type, "service") == 0);
  coffer_created_token_free(t);

  check_use(l, f, app);
  check_lookup_and_renew(l, f, root, app, accessor);
  check_capabilities(l, root, accessor);

  coffer_string_list_t* accessors = NULL;
  CHECK_OK(coffer_token_accessors(f, root, &accessors));
  CHECK(accessors != NULL && accessors->num_items == 2 &&
        list_has(accessors, accessor));
  coffer_string_list_free(accessors);

  /* Revoked by its accessor: refused on every node at once. */
  CHECK_OK(coffer_token_revoke(l, root, COFFER_TOKEN_REF_ACCESSOR, accessor,
                               COFFER_REVOKE_TREE));
  for (uint64_t id = 1; id <= 3; ++id) {
    coffer_kv_result_t* r = NULL;
    CHECK_DENIED(coffer_kv_get(c.nodes[id], app, &r, "secret", "app/x", 0,
                               COFFER_READ_LINEARIZABLE));
  }
  coffer_token_info_t* gone = NULL;
  CHECK_CODE(
      coffer_token_lookup(l, root, &gone, COFFER_TOKEN_REF_ACCESSOR, accessor),
      COFFER_NOT_FOUND);
  CHECK_OK(coffer_token_revoke(l, root, COFFER_TOKEN_REF_ID, app,
                               COFFER_REVOKE_TREE)); /* unknown id: OK */
  CHECK_CODE(coffer_token_revoke(l, root, COFFER_TOKEN_REF_ID, app, 5),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("mode");

  /* Deleted, the policy is gone; "root" cannot be deleted. */
  CHECK_OK(coffer_policy_delete(f, root, "app"));
  CHECK_OK(coffer_policy_delete(f, root, "app")); /* absent: OK */
  char* text = NULL;
  size_t len = 0;
  CHECK_CODE(coffer_policy_read(l, root, &text, &len, "app"), COFFER_NOT_FOUND);
  coffer_string_list_t* names = NULL;
  CHECK_OK(coffer_policy_list(l, root, &names));
  CHECK(names != NULL && !list_has(names, "app") && list_has(names, "default"));
  coffer_string_list_free(names);
  CHECK(coffer_policy_delete(l, root, "root") != COFFER_OK);

  /* Bad options. */
  coffer_created_token_t* bad = (coffer_created_token_t*)&bad; /* poisoned */
  coffer_token_create_options_t unset = o;
  unset.struct_size = 0;
  CHECK_CODE(coffer_token_create(l, root, &bad, &unset),
             COFFER_INVALID_ARGUMENT);
  CHECK(bad == NULL);
  CHECK_MESSAGE("struct_size");
  coffer_token_create_options_t nulls = o;
  nulls.policies = NULL;
  CHECK_CODE(coffer_token_create(l, root, &bad, &nulls),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("capi: options->policies is NULL");
  coffer_token_create_options_t negative = o;
  negative.ttl_ns = -1;
  CHECK_CODE(coffer_token_create(l, root, &bad, &negative),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_token_create(l, root, NULL, NULL), COFFER_INVALID_ARGUMENT);
done:
  coffer_init_result_free(init);
  cluster_destroy(&c);
}

void test_token_trees_and_orphans(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 1) == 0);
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 1, &init);
  if (leader == 0) goto done;
  coffer_node_t* n = c.nodes[leader];
  const char* root = c.token;
  CHECK_OK(coffer_policy_write(n, root, "parent", kParentPolicy));
  char parent[128];
  char child[128];
  char other[128];
  char grandchild[128];
  CHECK_OK(create(n, root, "parent", parent, NULL));
  CHECK_OK(create(n, parent, NULL, child, NULL)); /* the parent's policies */
  coffer_token_info_t* info = NULL;
  CHECK_OK(coffer_token_lookup(n, child, &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK(info != NULL && !info->orphan &&
        strings_are(info->policies, info->num_policies, "default", "parent",
                    NULL));
  coffer_token_info_free(info);
  /* A child may not get a policy its parent lacks. */
  CHECK_CODE(create(n, parent, "root", other, NULL), COFFER_PERMISSION_DENIED);
  CHECK_MESSAGE("subset");

  /* revoke-orphan: the parent goes, its child stays, an orphan. */
  CHECK_OK(coffer_token_revoke(n, root, COFFER_TOKEN_REF_ID, parent,
                               COFFER_REVOKE_ORPHAN));
  CHECK_DENIED(
      coffer_token_lookup(n, parent, &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK_OK(coffer_token_lookup(n, child, &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK(info != NULL && info->orphan);
  coffer_token_info_free(info);
  CHECK_CODE(coffer_token_revoke(n, root, COFFER_TOKEN_REF_ACCESSOR, "a",
                                 COFFER_REVOKE_ORPHAN),
             COFFER_INVALID_ARGUMENT);

  /* A tree: revoke-self takes the children along. */
  CHECK_OK(create(n, child, NULL, grandchild, NULL));
  CHECK_OK(coffer_token_revoke(n, child, COFFER_TOKEN_REF_SELF, NULL,
                               COFFER_REVOKE_TREE));
  CHECK_DENIED(
      coffer_token_lookup(n, child, &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK_DENIED(
      coffer_token_lookup(n, grandchild, &info, COFFER_TOKEN_REF_SELF, NULL));

  /* create-orphan, and a token with one use. */
  coffer_token_create_options_t o;
  coffer_token_create_options_init(&o, sizeof o);
  o.orphan_endpoint = 1;
  o.num_uses = 1;
  coffer_created_token_t* t = NULL;
  CHECK_OK(coffer_token_create(n, root, &t, &o));
  CHECK(t != NULL && t->info->orphan && t->info->num_uses == 1);
  if (t != NULL) {
    CHECK_OK(coffer_token_lookup(n, t->id, &info, COFFER_TOKEN_REF_SELF, NULL));
    coffer_token_info_free(info);
    CHECK_DENIED(
        coffer_token_lookup(n, t->id, &info, COFFER_TOKEN_REF_SELF, NULL));
  }
  coffer_created_token_free(t);
done:
  coffer_init_result_free(init);
  cluster_destroy(&c);
}

/* The contract of coffer/c/cluster.h (and coffer/node.h). Registered as
 * the disabled ctest capi.pending: lib/node refuses these reads on a
 * sealed leader (request_pipeline.cc, StartRead) before the token check
 * can let them through. */
void test_membership_before_initialize_takes_any_token(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 1) == 0);
  CHECK_OK(cluster_start_and_bootstrap(&c));
  CHECK(cluster_wait_leader(&c, 0) == 1);
  REQUIRE_NO_FAILURE();
  coffer_node_t* n = c.nodes[1];
  coffer_peer_list_t* peers = NULL;
  CHECK_OK(coffer_node_list_peers(n, NULL, &peers));
  CHECK(peers != NULL && peers->num_peers == 1);
  coffer_peer_list_free(peers);
  CHECK_OK(coffer_node_list_peers(n, "anything", &peers));
  coffer_peer_list_free(peers);
  cluster_destroy(&c);
}

void test_after_initialize_every_call_needs_a_token(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 1) == 0);
  CHECK_OK(cluster_start_and_bootstrap(&c));
  CHECK(cluster_wait_leader(&c, 0) == 1);
  REQUIRE_NO_FAILURE();
  coffer_node_t* n = c.nodes[1];
  coffer_peer_list_t* peers = NULL;
  /* The data calls need the cluster initialized. */
  char* value = NULL;
  size_t len = 0;
  CHECK(coffer_node_get_raw(n, "anything", &value, &len, "k", 0) != COFFER_OK);

  coffer_init_result_t* init = NULL;
  CHECK_OK(coffer_node_initialize(n, &init, 1, 1, 1, 1));
  REQUIRE_NO_FAILURE();
  cluster_keep_token(&c, init);
  CHECK(cluster_wait_initialized(&c));
  /* Sealed: nothing to check the token against. */
  CHECK_CODE(coffer_node_list_peers(n, c.token, &peers),
             COFFER_FAILED_PRECONDITION);
  CHECK_OK(coffer_node_seal(n, NULL)); /* already sealed: nothing to do */
  CHECK_OK(cluster_unseal(&c, 1, init->keys, 1));
  CHECK_DENIED(coffer_node_list_peers(n, NULL, &peers));
  CHECK_DENIED(coffer_node_list_peers(n, "anything", &peers));
  CHECK_OK(coffer_node_list_peers(n, c.token, &peers));
  coffer_peer_list_free(peers);
  CHECK_DENIED(coffer_node_add_peer(n, "", 2, "node-2", 0));
  CHECK_DENIED(coffer_node_seal(n, NULL));
  coffer_key_status_t* ks = NULL;
  CHECK_DENIED(coffer_node_key_status(n, NULL, &ks));
  CHECK_OK(coffer_node_key_status(n, c.token, &ks));
  coffer_key_status_free(ks);
  CHECK_OK(coffer_node_seal(n, c.token));
  coffer_init_result_free(init);
  cluster_destroy(&c);
}
