/* The C ABI of operator snapshots: save to a file and through a callback,
 * inspect, restore from a file and through a callback, and their errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi_tests.h"
#include "cluster.h"
#include "harness.h"

/* A growable byte buffer for the snapshot callbacks. */
typedef struct buffer {
  char* data;
  size_t len;
  size_t pos; /* read position */
  int fail;   /* non-zero: the callbacks fail with this code */
} buffer_t;

static int buffer_write(void* user_data, const void* data, size_t len) {
  buffer_t* b = (buffer_t*)user_data;
  if (b->fail) return b->fail;
  char* grown = (char*)realloc(b->data, b->len + len);
  if (grown == NULL) return COFFER_RESOURCE_EXHAUSTED;
  memcpy(grown + b->len, data, len);
  b->data = grown;
  b->len += len;
  return COFFER_OK;
}

static int buffer_read(void* user_data, void* buf, size_t cap,
                       size_t* out_len) {
  buffer_t* b = (buffer_t*)user_data;
  if (b->fail) return b->fail;
  size_t n = b->len - b->pos < cap ? b->len - b->pos : cap;
  memcpy(buf, b->data + b->pos, n);
  b->pos += n;
  *out_len = n;
  return COFFER_OK;
}

void test_snapshot_save_inspect_restore(void) {
  cluster_t c;
  CHECK(cluster_init(&c, 3) == 0);
  coffer_init_result_t* init = NULL;
  uint64_t leader = cluster_start_ready(&c, 3, &init);
  if (leader == 0) goto done;
  coffer_node_t* l = c.nodes[leader];
  coffer_node_t* f = c.nodes[leader % 3 + 1];
  cluster_put(f, c.token, "snap", "before");

  char path[600];
  snprintf(path, sizeof path, "%s/cluster.snap", c.root);
  CHECK_OK(coffer_node_snapshot_save(f, c.token, path));
  coffer_snapshot_inspection_t* in = NULL;
  CHECK_OK(coffer_snapshot_inspect(&in, path));
  CHECK(in != NULL && in->num_voters == 3 && in->records > 0 && in->index > 0 &&
        in->file_bytes > 0 && strlen(in->cluster_id) > 0 &&
        in->num_prefixes > 0 && in->json[0] == '{' && strlen(in->text) > 0);
  coffer_snapshot_inspection_free(in);

  buffer_t b;
  memset(&b, 0, sizeof b);
  CHECK_OK(coffer_node_snapshot_save_to(l, c.token, buffer_write, &b));
  CHECK(b.len > 0);
  buffer_t failing;
  memset(&failing, 0, sizeof failing);
  failing.fail = COFFER_CANCELLED;
  CHECK_CODE(coffer_node_snapshot_save_to(l, c.token, buffer_write, &failing),
             COFFER_CANCELLED);

  /* Restore from the file, then from the callback. */
  cluster_put(l, c.token, "snap", "after");
  CHECK_CODE(coffer_node_snapshot_restore(f, c.token, path, NULL),
             COFFER_UNAVAILABLE);
  CHECK_OK(coffer_node_snapshot_restore(l, c.token, path, NULL));
  CHECK(cluster_value_is(l, c.token, "snap", "before"));
  cluster_put(l, c.token, "snap", "after again");
  coffer_snapshot_restore_options_t options;
  coffer_snapshot_restore_options_init(&options, sizeof options);
  CHECK(options.force == 0 && options.num_unseal_keys == 0);
  CHECK_OK(
      coffer_node_snapshot_restore_from(l, c.token, buffer_read, &b, &options));
  CHECK(cluster_value_is(f, c.token, "snap", "before"));
  b.pos = 0;
  b.fail = COFFER_DATA_LOSS;
  CHECK_CODE(
      coffer_node_snapshot_restore_from(l, c.token, buffer_read, &b, NULL),
      COFFER_DATA_LOSS);
  free(b.data);

  /* A corrupt file changes nothing; bad arguments. */
  char junk[600];
  snprintf(junk, sizeof junk, "%s/junk.snap", c.root);
  FILE* out = fopen(junk, "wb");
  CHECK(out != NULL);
  if (out != NULL) {
    fputs("not a snapshot at all", out);
    fclose(out);
  }
  CHECK_CODE(coffer_snapshot_inspect(&in, junk), COFFER_DATA_LOSS);
  CHECK(in == NULL);
  CHECK_CODE(coffer_node_snapshot_restore(l, c.token, junk, NULL),
             COFFER_DATA_LOSS);
  CHECK(cluster_value_is(l, c.token, "snap", "before"));
  CHECK_CODE(coffer_snapshot_inspect(&in, "/nonexistent/x.snap"),
             COFFER_NOT_FOUND);
  CHECK_CODE(coffer_snapshot_inspect(NULL, path), COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_snapshot_save(NULL, c.token, path),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_snapshot_save(l, c.token, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_snapshot_save_to(l, c.token, NULL, NULL),
             COFFER_INVALID_ARGUMENT);
  CHECK_CODE(coffer_node_snapshot_restore_from(l, c.token, NULL, NULL, NULL),
             COFFER_INVALID_ARGUMENT);
  options.num_unseal_keys = 1;
  CHECK_CODE(coffer_node_snapshot_restore(l, c.token, path, &options),
             COFFER_INVALID_ARGUMENT);
  CHECK_MESSAGE("unseal_keys is NULL");
done:
  coffer_init_result_free(init);
  cluster_destroy(&c);
}
