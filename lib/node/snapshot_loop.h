// NodeImpl::SnapshotOnLoop: runs a closure on the event loop and waits for
// its result (as RunOnLoop in node_impl.cc), for snapshot_save.cc and
// snapshot_restore.cc. Include only from those files.
#ifndef COFFER_LIB_NODE_SNAPSHOT_LOOP_H_
#define COFFER_LIB_NODE_SNAPSHOT_LOOP_H_

#include <functional>
#include <memory>
#include <utility>

#include "node/node_impl.h"

namespace coffer::node {

template <typename T>
absl::StatusOr<T> NodeImpl::SnapshotOnLoop(
    std::function<absl::StatusOr<T>()> fn) {
  auto c = std::make_shared<Completion<T>>();
  Register(c);
  absl::Status posted = Post([c, fn = std::move(fn)] { c->Set(fn()); });
  if (!posted.ok()) {
    Unregister(c);
    return posted;
  }
  absl::StatusOr<T> r = c->Wait(options_.request_timeout + options_.tick);
  Unregister(c);
  return r;
}

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_SNAPSHOT_LOOP_H_
