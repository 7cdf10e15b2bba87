// NodeImpl::RunOnLoop's definition: runs a closure on the event loop and
// waits for its result. Included by the lib/node files that call it, so
// that each instantiates it for its own result types.
#ifndef COFFER_LIB_NODE_RUN_ON_LOOP_H_
#define COFFER_LIB_NODE_RUN_ON_LOOP_H_

#include <functional>
#include <memory>
#include <utility>

#include "node/node_impl.h"

namespace coffer::node {

template <typename T>
absl::StatusOr<T> NodeImpl::RunOnLoop(std::function<absl::StatusOr<T>()> fn) {
  auto c = std::make_shared<Completion<T>>();
  Register(c);
  absl::Status posted = Post([c, fn = std::move(fn)] { c->Set(fn()); });
  if (!posted.ok()) {
    Unregister(c);
    return posted;
  }
  absl::StatusOr<T> r =
      c->Wait(loop_.options.request_timeout + loop_.options.tick);
  Unregister(c);
  return r;
}

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_RUN_ON_LOOP_H_
