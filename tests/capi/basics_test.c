/* The C ABI without a cluster: versions, errors, NULL handles and
 * arguments, option checks, buffer ownership, and Shamir split/combine. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capi_tests.h"
#include "coffer/c.h"
#include "coffer/version.h"
#include "harness.h"

void test_versions(void) {
  CHECK(coffer_abi_version() == COFFER_ABI_VERSION);
  CHECK(strcmp(coffer_version(), COFFER_VERSION_STRING) == 0);
  CHECK(strcmp(coffer_error_name(COFFER_OK), "OK") == 0);
  CHECK(strcmp(coffer_error_name(COFFER_INVALID_ARGUMENT),
               "INVALID_ARGUMENT") == 0);
  CHECK(strcmp(coffer_error_name(COFFER_UNAUTHENTICATED), "UNAUTHENTICATED") ==
        0);
  CHECK(strcmp(coffer_error_name(-1), "UNKNOWN") == 0);
  CHECK(strcmp(coffer_error_name(17), "UNKNOWN") == 0);
}

void test_free_functions_accept_null(void) {
  coffer_free(NULL);
  coffer_string_list_free(NULL);
  coffer_leader_info_free(NULL);
  coffer_peer_list_free(NULL);
  coffer_init_result_free(NULL);
  coffer_seal_status_free(NULL);
  coffer_mount_list_free(NULL);
  coffer_version_metadata_free(NULL);
  coffer_kv_result_free(NULL);
  coffer_key_metadata_free(NULL);
  coffer_snapshot_inspection_free(NULL);
  coffer_snapshot_restore_options_init(
      NULL, sizeof(coffer_snapshot_restore_options_t));
  coffer_key_status_free(NULL);
  coffer_node_close(NULL);
  coffer_node_options_init(NULL, sizeof(coffer_node_options_t));
  coffer_mount_config_init(NULL, sizeof(coffer_mount_config_t));
  coffer_key_metadata_update_init(NULL, sizeof(coffer_key_metadata_update_t));
  coffer_token_info_free(NULL);
  coffer_created_token_free(NULL);
  coffer_capabilities_free(NULL);
  coffer_audit_devices_free(NULL);
  coffer_token_create_options_init(NULL, sizeof(coffer_token_create_options_t));
  CHECK(1); /* reaching here is the test */
}

#define CHECK_NULL_NODE(expr)                                              \
  do {                                                                     \
    CHECK_CODE(expr, COFFER_INVALID_ARGUMENT);                             \
    CHECK(strcmp(coffer_last_error_message(), "capi: node is NULL") == 0); \
  } while (0)

void test_null_node_is_an_invalid_argument(void) {
  coffer_peer_t peer = {1, "a"};
  coffer_leader_info_t* leader = (coffer_leader_info_t*)&peer; /* poisoned */
  coffer_peer_list_t* peers = NULL;
  coffer_init_result_t* init = NULL;
  coffer_seal_status_t* status = NULL;
  char* value = (char*)"poison";
  size_t len = 7;
  coffer_kv_result_t* kv = NULL;
  coffer_key_metadata_t* meta = NULL;
  coffer_string_list_t* names = NULL;
  coffer_mount_list_t* mounts = NULL;
  coffer_version_metadata_t* version = NULL;
  coffer_kv_field_t field = {"a", "b", 1};
  uint64_t v = 1;
  coffer_key_metadata_update_t update;
  coffer_key_metadata_update_init(&update, sizeof update);

  CHECK_NULL_NODE(coffer_node_receive(NULL, "x", 1));
  CHECK_NULL_NODE(coffer_node_shutdown(NULL));
  CHECK_NULL_NODE(coffer_node_bootstrap(NULL, &peer, 1));
  CHECK_NULL_NODE(coffer_node_add_peer(NULL, "t", 2, "b", 1));
  CHECK_NULL_NODE(coffer_node_remove_peer(NULL, "t", 2));
  CHECK_NULL_NODE(coffer_node_leader(NULL, &leader));
  CHECK(leader == NULL); /* outputs are cleared on failure */
  CHECK_NULL_NODE(coffer_node_list_peers(NULL, "t", &peers));
  CHECK_NULL_NODE(coffer_node_initialize(NULL, &init, 5, 3, 5, 3));
  CHECK_NULL_NODE(coffer_node_unseal(NULL, &status, "k", 1));
  CHECK_NULL_NODE(coffer_node_seal(NULL, "t"));
  CHECK_NULL_NODE(coffer_node_seal_status(NULL, &status));
  CHECK_NULL_NODE(coffer_node_put_raw(NULL, "t", "p", "v", 1));
  CHECK_NULL_NODE(coffer_node_get_raw(NULL, "t", &value, &len, "p", 0));
  CHECK(value == NULL && len == 0);
  CHECK_NULL_NODE(coffer_node_delete_raw(NULL, "t", "p"));
  CHECK_NULL_NODE(coffer_kv_enable_mount(NULL, "t", "secret", NULL));
  CHECK_NULL_NODE(coffer_kv_disable_mount(NULL, "t", "secret"));
  CHECK_NULL_NODE(coffer_kv_tune_mount(NULL, "t", "secret", NULL));
  CHECK_NULL_NODE(coffer_kv_list_mounts(NULL, "t", &mounts, 0));
  coffer_mount_info_t* mount = NULL;
  CHECK_NULL_NODE(coffer_kv_find_mount(NULL, "t", &mount, "secret/a", 0));
  CHECK_NULL_NODE(
      coffer_kv_put(NULL, "t", &version, "secret", "a", &field, 1, NULL));
  CHECK_NULL_NODE(coffer_kv_get(NULL, "t", &kv, "secret", "a", 0, 0));
  CHECK_NULL_NODE(coffer_kv_patch(NULL, "t", &version, "secret", "a", &field, 1,
                                  NULL, 0, NULL));
  CHECK_NULL_NODE(coffer_kv_delete(NULL, "t", "secret", "a"));
  CHECK_NULL_NODE(coffer_kv_delete_versions(NULL, "t", "secret", "a", &v, 1));
  CHECK_NULL_NODE(coffer_kv_undelete(NULL, "t", "secret", "a", &v, 1));
  CHECK_NULL_NODE(coffer_kv_destroy(NULL, "t", "secret", "a", &v, 1));
  CHECK_NULL_NODE(coffer_kv_read_metadata(NULL, "t", &meta, "secret", "a", 0));
  CHECK_NULL_NODE(coffer_kv_write_metadata(NULL, "t", "secret", "a", &update));
  CHECK_NULL_NODE(coffer_kv_delete_metadata(NULL, "t", "secret", "a"));
  CHECK_NULL_NODE(coffer_kv_list(NULL, "t", &names, "secret", "", 0));
  CHECK_NULL_NODE(coffer_node_join(NULL, &peer, 1));
  CHECK_NULL_NODE(coffer_node_snapshot_save(NULL, "t", "/tmp/x"));
  CHECK_NULL_NODE(coffer_node_snapshot_restore(NULL, "t", "/tmp/x", NULL));
  CHECK_NULL_NODE(coffer_node_transfer_leadership(NULL, "t", 0));
  coffer_key_status_t* key = NULL;
  CHECK_NULL_NODE(coffer_node_rotate_key(NULL, "t", &key));
  CHECK_NULL_NODE(coffer_node_key_status(NULL, "t", &key));
  const char* share = "s";
  CHECK_NULL_NODE(coffer_node_rekey(NULL, &names, &share, 1, 3, 2));
  CHECK_NULL_NODE(coffer_node_seal_migrate(NULL, &share, 1));

  coffer_created_token_t* created = NULL;
  coffer_token_info_t* info = NULL;
  coffer_capabilities_t* caps = NULL;
  CHECK_NULL_NODE(coffer_token_create(NULL, "t", &created, NULL));
  CHECK(created == NULL);
  CHECK_NULL_NODE(
      coffer_token_lookup(NULL, "t", &info, COFFER_TOKEN_REF_SELF, NULL));
  CHECK_NULL_NODE(
      coffer_token_renew(NULL, "t", &info, COFFER_TOKEN_REF_SELF, NULL, 0));
  CHECK_NULL_NODE(coffer_token_revoke(NULL, "t", COFFER_TOKEN_REF_SELF, NULL,
                                      COFFER_REVOKE_TREE));
  CHECK_NULL_NODE(coffer_token_accessors(NULL, "t", &names));
  CHECK_NULL_NODE(coffer_policy_write(NULL, "t", "p", "path \"a\" {}"));
  CHECK_NULL_NODE(coffer_policy_read(NULL, "t", &value, &len, "p"));
  CHECK_NULL_NODE(coffer_policy_list(NULL, "t", &names));
  CHECK_NULL_NODE(coffer_policy_delete(NULL, "t", "p"));
  const char* path = "secret/data/a";
  CHECK_NULL_NODE(coffer_capabilities(NULL, "t", &caps, COFFER_TOKEN_REF_SELF,
                                      NULL, &path, 1));
}

void test_token_create_options_init(void) {
  coffer_token_create_options_t o;
  memset(&o, 0xab, sizeof o);
  coffer_token_create_options_init(&o, sizeof o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.renewable == 1);
  CHECK(o.policies == NULL && o.num_policies == 0 && o.no_default_policy == 0);
  CHECK(o.metadata == NULL && o.num_metadata == 0 && o.no_parent == 0);
  CHECK(o.ttl_ns == 0 && o.explicit_max_ttl_ns == 0 && o.period_ns == 0);
  CHECK(o.display_name == NULL && o.num_uses == 0 && o.orphan_endpoint == 0);
}

static void null_send(void* user_data, uint64_t to, const char* address,
                      const void* frame, size_t frame_len) {
  (void)user_data;
  (void)to;
  (void)address;
  (void)frame;
  (void)frame_len;
}

void test_open_checks_its_options(void) {
  coffer_node_t* node = (coffer_node_t*)&node; /* poisoned */
  CHECK_CODE(coffer_node_open(&node, NULL), COFFER_INVALID_ARGUMENT);
  CHECK(node == NULL);
  CHECK_MESSAGE("options is NULL");

  coffer_node_options_t o;
  coffer_node_options_init(&o, sizeof o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.sync == 1 && o.pre_vote == 1 && o.check_quorum == 1);
  CHECK(o.tick_ns == 100 * 1000 * 1000);
  CHECK(o.key_rotation_max_operations == (uint64_t)1 << 30);
  CHECK_CODE(coffer_node_open(NULL, &o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("out is NULL");
  CHECK_CODE(coffer_node_open(&node, &o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options->send is NULL");

  o.send = null_send;
  CHECK_CODE(coffer_node_open(&node, &o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options.id"); /* named by the C++ validation */
  o.id = 1;
  o.address = "a";
  o.data_dir = "/nonexistent-coffer-dir/x";
  o.tick_ns = 0;
  CHECK_CODE(coffer_node_open(&node, &o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options.tick");

  /* struct_size: unset, and a newer caller's larger struct. */
  coffer_node_options_t unset = o;
  unset.struct_size = 0;
  CHECK_CODE(coffer_node_open(&node, &unset), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("struct_size");
  struct {
    coffer_node_options_t o;
    uint64_t newer_field;
  } newer;
  memset(&newer, 0, sizeof newer);
  newer.o = o;
  newer.o.struct_size = sizeof newer;
  newer.newer_field = 7;
  CHECK_CODE(coffer_node_open(&node, &newer.o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("fields this library does not know");
  newer.newer_field = 0; /* zero: as if absent */
  CHECK_CODE(coffer_node_open(&node, &newer.o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options.tick");

  /* An older caller's smaller struct: the rest are defaults. */
  coffer_node_options_t older = o;
  older.struct_size = offsetof(coffer_node_options_t, tick_ns);
  older.data_dir = "/dev/null/x";
  /* tick_ns (0 in `o`) took its default, so validation passed and the
   * directory could not be created. */
  CHECK_CODE(coffer_node_open(&node, &older), COFFER_UNAVAILABLE);

  /* The last field reaches the C++ options. */
  coffer_node_options_t rotation = o;
  rotation.tick_ns = 10 * 1000 * 1000;
  rotation.key_rotation_max_operations = 10;
  CHECK_CODE(coffer_node_open(&node, &rotation), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options.key_rotation_max_operations");

  /* _init writes only the bytes the caller says it has. */
  union {
    coffer_node_options_t o;
    unsigned char bytes[sizeof(coffer_node_options_t)];
  } small;
  memset(&small, 0xab, sizeof small);
  size_t prefix = offsetof(coffer_node_options_t, tick_ns);
  coffer_node_options_init(&small.o, prefix);
  CHECK(small.o.struct_size == prefix && small.o.id == 0);
  CHECK(small.bytes[prefix] == 0xab && small.bytes[sizeof small - 1] == 0xab);

  coffer_kms_t kms;
  memset(&kms, 0, sizeof kms);
  kms.struct_size = sizeof kms;
  o.tick_ns = 10 * 1000 * 1000;
  o.kms = &kms;
  CHECK_CODE(coffer_node_open(&node, &o), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("options->kms->type is NULL");
  CHECK(node == NULL);
}

void test_last_error_is_per_call_and_cleared_by_success(void) {
  coffer_string_list_t* parts = NULL;
  CHECK_CODE(coffer_shamir_split(&parts, "s", 1, 0, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK(strncmp(coffer_last_error_message(), "shamir: ", 8) == 0);
  CHECK_OK(coffer_shamir_split(&parts, "s", 1, 2, 2));
  CHECK(strcmp(coffer_last_error_message(), "") == 0);
  coffer_string_list_free(parts);
}

static int contains(const char* hay, size_t hay_len, const char* needle,
                    size_t len) {
  for (size_t i = 0; i + len <= hay_len; ++i) {
    if (memcmp(hay + i, needle, len) == 0) return 1;
  }
  return 0;
}

void test_shamir_split_and_combine(void) {
  unsigned char secret[32];
  for (int i = 0; i < 32; ++i) secret[i] = (unsigned char)(i * 7); /* has 0 */
  coffer_string_list_t* parts = NULL;
  CHECK_OK(coffer_shamir_split(&parts, secret, sizeof secret, 5, 3));
  REQUIRE_NO_FAILURE();
  CHECK(parts->num_items == 5);
  for (size_t i = 0; i < parts->num_items; ++i) {
    CHECK(parts->lens[i] == sizeof secret + 1);
    CHECK(parts->items[i][parts->lens[i]] == '\0');
    CHECK(!contains(parts->items[i], parts->lens[i], (const char*)secret,
                    sizeof secret));
  }
  /* Every 3-subset recovers the secret. */
  int subsets = 0;
  for (size_t a = 0; a < 5; ++a) {
    for (size_t b = a + 1; b < 5; ++b) {
      for (size_t c = b + 1; c < 5; ++c) {
        const void* p[3] = {parts->items[c], parts->items[a], parts->items[b]};
        size_t l[3] = {parts->lens[c], parts->lens[a], parts->lens[b]};
        char* out = NULL;
        size_t out_len = 0;
        CHECK_OK(coffer_shamir_combine(&out, &out_len, p, l, 3));
        CHECK(out != NULL && out_len == sizeof secret &&
              memcmp(out, secret, sizeof secret) == 0);
        coffer_free(out);
        ++subsets;
      }
    }
  }
  CHECK(subsets == 10);
  /* Two parts give a wrong secret (the scheme cannot tell). */
  const void* two[2] = {parts->items[0], parts->items[1]};
  size_t two_lens[2] = {parts->lens[0], parts->lens[1]};
  char* out = NULL;
  size_t out_len = 0;
  CHECK_OK(coffer_shamir_combine(&out, &out_len, two, two_lens, 2));
  CHECK(out_len == sizeof secret && memcmp(out, secret, sizeof secret) != 0);
  coffer_free(out);
  /* Bad inputs. */
  const void* dup[2] = {parts->items[0], parts->items[0]};
  CHECK_CODE(coffer_shamir_combine(&out, &out_len, dup, two_lens, 2),
             COFFER_INVALID_ARGUMENT);
  CHECK(out == NULL && out_len == 0);
  CHECK_CODE(coffer_shamir_combine(&out, &out_len, NULL, NULL, 0),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_shamir_combine(&out, &out_len, NULL, two_lens, 2),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("parts is NULL");
  CHECK_CODE(coffer_shamir_combine(NULL, &out_len, two, two_lens, 2),
             COFFER_INVALID_ARGUMENT);
  size_t short_lens[2] = {1, 1};
  CHECK_CODE(coffer_shamir_combine(&out, &out_len, two, short_lens, 2),
             COFFER_INVALID_ARGUMENT);
  coffer_string_list_free(parts);

  CHECK_CODE(coffer_shamir_split(NULL, secret, 32, 5, 3),
             COFFER_INVALID_ARGUMENT);
  parts = (coffer_string_list_t*)&parts; /* poisoned */
  CHECK_CODE(coffer_shamir_split(&parts, NULL, 32, 5, 3),
             COFFER_INVALID_ARGUMENT);
  CHECK(parts == NULL);
  CHECK_CODE(coffer_shamir_split(&parts, secret, 0, 5, 3),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_shamir_split(&parts, secret, 32, 256, 3),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_shamir_split(&parts, secret, 32, 3, 4),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_shamir_split(&parts, secret, 32, 3, 1),
             COFFER_INVALID_ARGUMENT);
}

void test_sink_rejects_null(void) {
  CHECK_CODE(coffer_sink_write(NULL, "x", 1), COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("sink is NULL");
}
