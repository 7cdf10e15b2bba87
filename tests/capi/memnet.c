#define _POSIX_C_SOURCE 200809L
#include "memnet.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Frames beyond this many in the queue are dropped (coffer tolerates loss). */
#define MEMNET_MAX_QUEUED 100000

typedef struct frame {
  struct frame* next;
  uint64_t to;
  size_t len;
  unsigned char data[];
} frame_t;

struct memnet {
  pthread_mutex_t mu;
  pthread_cond_t cv; /* signalled: a frame queued, a delivery ended, stop */
  frame_t* head;
  frame_t* tail;
  size_t queued;
  coffer_node_t* nodes[MEMNET_MAX_NODES];
  uint64_t delivering; /* id being delivered to outside mu; 0 if none */
  uint64_t delivered;
  int stop;
  pthread_t pump;
};

static void* pump_main(void* arg) {
  memnet_t* net = (memnet_t*)arg;
  pthread_mutex_lock(&net->mu);
  for (;;) {
    while (net->head == NULL && !net->stop) {
      pthread_cond_wait(&net->cv, &net->mu);
    }
    if (net->stop) break;
    frame_t* f = net->head;
    net->head = f->next;
    if (net->head == NULL) net->tail = NULL;
    --net->queued;
    coffer_node_t* node = net->nodes[f->to];
    if (node != NULL) {
      /* Deliver outside the lock so that a node's send callback never waits
       * for a delivery; memnet_detach waits for `delivering` instead. */
      net->delivering = f->to;
      pthread_mutex_unlock(&net->mu);
      coffer_node_receive(node, f->data, f->len);
      pthread_mutex_lock(&net->mu);
      net->delivering = 0;
      ++net->delivered;
      pthread_cond_broadcast(&net->cv);
    }
    free(f);
  }
  pthread_mutex_unlock(&net->mu);
  return NULL;
}

memnet_t* memnet_new(void) {
  memnet_t* net = (memnet_t*)calloc(1, sizeof(*net));
  if (net == NULL) return NULL;
  pthread_mutex_init(&net->mu, NULL);
  pthread_cond_init(&net->cv, NULL);
  if (pthread_create(&net->pump, NULL, pump_main, net) != 0) {
    free(net);
    return NULL;
  }
  return net;
}

void memnet_free(memnet_t* net) {
  if (net == NULL) return;
  pthread_mutex_lock(&net->mu);
  net->stop = 1;
  pthread_cond_broadcast(&net->cv);
  pthread_mutex_unlock(&net->mu);
  pthread_join(net->pump, NULL);
  while (net->head != NULL) {
    frame_t* f = net->head;
    net->head = f->next;
    free(f);
  }
  pthread_cond_destroy(&net->cv);
  pthread_mutex_destroy(&net->mu);
  free(net);
}

void memnet_attach(memnet_t* net, uint64_t id, coffer_node_t* node) {
  if (id == 0 || id >= MEMNET_MAX_NODES) return;
  pthread_mutex_lock(&net->mu);
  net->nodes[id] = node;
  pthread_mutex_unlock(&net->mu);
}

void memnet_detach(memnet_t* net, uint64_t id) {
  if (id == 0 || id >= MEMNET_MAX_NODES) return;
  pthread_mutex_lock(&net->mu);
  net->nodes[id] = NULL;
  while (net->delivering == id) pthread_cond_wait(&net->cv, &net->mu);
  pthread_mutex_unlock(&net->mu);
}

void memnet_send(void* user_data, uint64_t to, const char* address,
                 const void* frame, size_t frame_len) {
  memnet_t* net = (memnet_t*)user_data;
  (void)address; /* ids are enough in one process */
  if (to == 0 || to >= MEMNET_MAX_NODES) return;
  frame_t* f = (frame_t*)malloc(sizeof(frame_t) + frame_len);
  if (f == NULL) return; /* a lost frame: the protocols recover */
  f->next = NULL;
  f->to = to;
  f->len = frame_len;
  memcpy(f->data, frame, frame_len);
  pthread_mutex_lock(&net->mu);
  if (net->queued >= MEMNET_MAX_QUEUED || net->stop) {
    pthread_mutex_unlock(&net->mu);
    free(f);
    return;
  }
  if (net->tail == NULL) {
    net->head = f;
  } else {
    net->tail->next = f;
  }
  net->tail = f;
  ++net->queued;
  pthread_cond_broadcast(&net->cv);
  pthread_mutex_unlock(&net->mu);
}

uint64_t memnet_delivered(memnet_t* net) {
  pthread_mutex_lock(&net->mu);
  uint64_t n = net->delivered;
  pthread_mutex_unlock(&net->mu);
  return n;
}
