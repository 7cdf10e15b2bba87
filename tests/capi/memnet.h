/* An in-memory network for the C ABI tests, written in C as a host would
 * write one: the send callback copies each frame into a queue, and a pump
 * thread hands queued frames to the destination's coffer_node_receive.
 * Frames for a node that is not attached are dropped.
 *
 * Thread-safety: every function is thread-safe. */
#ifndef COFFER_TESTS_CAPI_MEMNET_H_
#define COFFER_TESTS_CAPI_MEMNET_H_

#include <stdint.h>

#include "coffer/c.h"

#define MEMNET_MAX_NODES 16

typedef struct memnet memnet_t;

/* Starts the pump thread. NULL when out of memory. */
memnet_t* memnet_new(void);
/* Stops the pump and frees the queue. REQUIRES: no node attached. */
void memnet_free(memnet_t* net);
/* Frames for `id` (1..MEMNET_MAX_NODES-1) go to `node` (borrowed until
 * memnet_detach). */
void memnet_attach(memnet_t* net, uint64_t id, coffer_node_t* node);
/* Stops delivery to `id`; returns once no delivery to it is running. */
void memnet_detach(memnet_t* net, uint64_t id);
/* The coffer_send_fn of every node; its user_data is the memnet_t. */
void memnet_send(void* user_data, uint64_t to, const char* address,
                 const void* frame, size_t frame_len);
/* Frames delivered so far. */
uint64_t memnet_delivered(memnet_t* net);

#endif /* COFFER_TESTS_CAPI_MEMNET_H_ */
