// Validation of coffer::NodeOptions.
#ifndef COFFER_LIB_NODE_OPTIONS_H_
#define COFFER_LIB_NODE_OPTIONS_H_

#include "absl/status/status.h"
#include "coffer/options.h"

namespace coffer::node {

// OK, or kInvalidArgument naming the first bad field ("node: options.tick
// must be ...").
absl::Status ValidateOptions(const NodeOptions& o);

}  // namespace coffer::node

#endif  // COFFER_LIB_NODE_OPTIONS_H_
