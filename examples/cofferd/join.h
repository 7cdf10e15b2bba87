// Vault's retry_join for cofferd: a node started on an empty data
// directory with storage.raft.retry_join asks each leader_api_addr for the
// leader (GET /v1/sys/leader: its cluster address and node id) and calls
// Node::Join with it, retrying with backoff until the node is a member.
// With the Shamir seal the operator then unseals the new node with the
// cluster's shares (its sys/unseal answers the leader's challenge).
#ifndef COFFER_EXAMPLES_COFFERD_JOIN_H_
#define COFFER_EXAMPLES_COFFERD_JOIN_H_

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "coffer/node.h"
#include "config.h"

namespace cofferd {

class RetryJoin {
 public:
  // Starts the joining thread. `node` is borrowed and must outlive Stop;
  // closing the node first makes a pending Join return at once.
  RetryJoin(coffer::Node* node, const Config& config);
  ~RetryJoin();  // Stop()
  // Ends the thread (waits for a Join in progress to return).
  void Stop();

 private:
  void Run();
  // Waits `d` or until Stop; false when stopping.
  bool Sleep(std::chrono::milliseconds d);

  coffer::Node* const node_;
  const Config config_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cofferd

#endif  // COFFER_EXAMPLES_COFFERD_JOIN_H_
