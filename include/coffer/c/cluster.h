/* coffer's C ABI: a cluster's membership and leadership (Vault's
 * `operator raft` commands); the rules every function follows (codes,
 * node errors, request errors, blocking, ownership) are in coffer/c.h.
 *
 * Tokens. add_peer needs update with sudo on sys/storage/raft/add-peer,
 * remove_peer update on sys/storage/raft/remove-peer, list_peers read on
 * sys/storage/raft/configuration, transfer_leadership update with sudo
 * on sys/step-down (coffer/c.h, Tokens). Until the cluster is initialized
 * the membership functions and transfer_leadership accept any token,
 * NULL included; after,
 * the check is a linearizable read on this node (it needs a leader, and
 * this node unsealed: COFFER_FAILED_PRECONDITION when sealed).
 *
 * Members are voters or non-voting learners. A safe way to grow a cluster
 * is to add a node as a learner, wait until coffer_node_list_peers shows
 * it caught up, then add it again as a voter, which promotes it. Every
 * member is unsealed separately (coffer/c/seal.h).
 *
 * Thread-safety: every function is thread-safe.
 * This header compiles as C99 and as C++. */
#ifndef COFFER_C_CLUSTER_H_
#define COFFER_C_CLUSTER_H_

#include <stddef.h>
#include <stdint.h>

#include "coffer/c/node.h"
#include "coffer/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts a new cluster whose voters are the `num_peers` members at
 * `peers`, which must include this node with its options' address. Call it
 * on every initial member with the same list, or on one node with only
 * itself and add the others with coffer_node_add_peer. Local: returns once
 * the bootstrap is durable, not when a leader is elected.
 * Errors: COFFER_INVALID_ARGUMENT for NULL `peers` with num_peers > 0, a
 * NULL address, an empty list, a zero or duplicate id, an address outside
 * 1..1024 bytes, another address for this node, or a list without this
 * node; COFFER_FAILED_PRECONDITION when this node already has raft state
 * or is joining a cluster; the node errors. */
COFFER_EXPORT int coffer_node_bootstrap(coffer_node_t* node,
                                        const coffer_peer_t* peers,
                                        size_t num_peers);
/* Adds node `id` at `address` as a voter (voter != 0) or a learner; adding
 * a learner again as a voter promotes it. A request: returns once the
 * change is applied on the leader; the new node (opened on an empty data
 * directory) then catches up, and must be unsealed separately.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `address`, id 0 or an address
 * outside 1..1024 bytes; COFFER_FAILED_PRECONDITION while another change
 * is in flight, when `id` is already a member in that role, was removed
 * before (ids are never admitted again), or is a learner not caught up
 * yet; COFFER_PERMISSION_DENIED for a token that may not; the node
 * errors and request errors. */
COFFER_EXPORT int coffer_node_add_peer(coffer_node_t* node, const char* token,
                                       uint64_t id, const char* address,
                                       int voter);
/* Removes member `id`. A request: returns once the change is applied on
 * the leader. The removed node learns it (its seal status's
 * removed_from_cluster) and its id is never admitted again.
 * Errors: COFFER_INVALID_ARGUMENT for id 0; COFFER_FAILED_PRECONDITION
 * while another change is in flight or when `id` is not a member;
 * COFFER_PERMISSION_DENIED for a token that may not; the node errors and
 * request errors. */
COFFER_EXPORT int coffer_node_remove_peer(coffer_node_t* node,
                                          const char* token, uint64_t id);
/* Asks to join an existing cluster (Vault's `operator raft join`), for a
 * node opened on an empty data directory: it asks the `num_known_peers`
 * members at `known_peers` (any members; a follower points it to the
 * leader) through the transport. The leader answers with a challenge that
 * only a holder of the cluster's seal can answer: with the Shamir seal,
 * submit a threshold of the cluster's unseal shares to this node
 * (coffer_node_unseal); with a KMS, the node unwraps the cluster's root
 * key with its own KMS. The leader then adds the node as a learner and
 * promotes it once it has caught up; the node unseals itself once it has
 * replicated the seal records. Returns COFFER_OK once the challenge
 * arrived (Shamir) or once admitted (KMS). Blocks up to
 * request_timeout_ns; may call the kms callbacks on the loop thread.
 * Errors: COFFER_INVALID_ARGUMENT for NULL `known_peers` with a non-zero
 * count, a NULL address, an empty list, a zero id, this node's own id or
 * an address outside 1..1024 bytes; COFFER_FAILED_PRECONDITION when this
 * node already has raft state, was removed from a cluster or is already
 * joining, or (from the leader) the cluster is not initialized;
 * COFFER_ALREADY_EXISTS when the cluster has a member with this id or
 * address; COFFER_PERMISSION_DENIED when this node's KMS cannot open the
 * cluster's root key; COFFER_DEADLINE_EXCEEDED when no leader answered in
 * time; the node errors. */
COFFER_EXPORT int coffer_node_join(coffer_node_t* node,
                                   const coffer_peer_t* known_peers,
                                   size_t num_known_peers);

/* This node's view of the leader (Vault's sys/leader). Owned by coffer
 * until coffer_leader_info_free; read-only for the caller. */
typedef struct coffer_leader_info {
  int ha_enabled;       /* always 1: coffer is always clustered */
  int is_self;          /* this node is the leader */
  uint64_t leader_id;   /* 0: no leader known */
  char* leader_address; /* "" when the leader or its address is unknown */
  uint64_t term;        /* this node's current raft term */
} coffer_leader_info_t;
/* This node's view of the leader (no network round trip). Local. On
 * COFFER_OK, *out is new, freed with coffer_leader_info_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`; the node errors. */
COFFER_EXPORT int coffer_node_leader(coffer_node_t* node,
                                     coffer_leader_info_t** out);
/* Frees `info` and its strings. NULL is a no-op. */
COFFER_EXPORT void coffer_leader_info_free(coffer_leader_info_t* info);

/* One member, as coffer_node_list_peers reports it. */
typedef struct coffer_peer_info {
  uint64_t id;
  char* address; /* "" when not known yet */
  /* For this node "leader", "follower", "candidate" or "pre-candidate";
   * for others "leader" or "follower", as far as this node knows. */
  char* state;
  int voter; /* 0: a non-voting learner */
  /* Reported by the leader only (0 elsewhere): the highest log index
   * known replicated to the peer (for the leader, its last index), and
   * the time since the peer last answered it (0 for the leader). */
  uint64_t match_index;
  int64_t last_contact_ns;
} coffer_peer_info_t;
/* The members, by id; owned by coffer until coffer_peer_list_free. */
typedef struct coffer_peer_list {
  coffer_peer_info_t** peers; /* num_peers members */
  size_t num_peers;
} coffer_peer_list_t;
/* The members in the configuration this node has applied, by id: local,
 * after the token check (a request once the cluster is initialized). On
 * COFFER_OK, *out is new, freed with coffer_peer_list_free.
 * Errors: COFFER_INVALID_ARGUMENT for a NULL `out`;
 * COFFER_PERMISSION_DENIED for a token that may not;
 * COFFER_FAILED_PRECONDITION when this node is sealed (after
 * initialization); the node errors, and after initialization the request
 * errors. */
COFFER_EXPORT int coffer_node_list_peers(coffer_node_t* node, const char* token,
                                         coffer_peer_list_t** out);
/* Frees `list`, its members and their strings. NULL is a no-op. */
COFFER_EXPORT void coffer_peer_list_free(coffer_peer_list_t* list);

/* Hands the leadership to voter `to` (0: the other voter whose log is the
 * most caught up; ties go to the lowest id), as Vault's step-down.
 * Forwarded to the leader; returns once the current leader sees `to` lead
 * (COFFER_OK at once when `to` already leads). Blocks up to
 * request_timeout_ns.
 * Errors: COFFER_FAILED_PRECONDITION when `to` is not a voter or there is
 * no other voter; COFFER_UNAVAILABLE without a leader or when another node
 * won the election instead; COFFER_DEADLINE_EXCEEDED when the transfer did
 * not complete (the leader gives up after an election timeout);
 * COFFER_PERMISSION_DENIED for a token that may not; the node errors and
 * request errors. */
COFFER_EXPORT int coffer_node_transfer_leadership(coffer_node_t* node,
                                                  const char* token,
                                                  uint64_t to);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* COFFER_C_CLUSTER_H_ */
