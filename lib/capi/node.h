// The node handle behind coffer_node_t, the wrapper of the entry points that
// take one (RunOnNode), and the host callbacks wrapped as the C++ interfaces
// coffer::Node expects.
#ifndef COFFER_LIB_CAPI_NODE_H_
#define COFFER_LIB_CAPI_NODE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "coffer/auth.h"
#include "coffer/c.h"
#include "coffer/node.h"
#include "coffer/observe.h"
#include "coffer/seal.h"
#include "coffer/transport.h"

namespace coffer::capi {

// Transport over a coffer_send_fn.
class CallbackTransport final : public Transport {
 public:
  CallbackTransport(coffer_send_fn send, void* user_data)
      : send_(send), user_data_(user_data) {}
  void Send(uint64_t to, const std::string& address,
            std::string frame) override;

 private:
  coffer_send_fn send_;
  void* user_data_;
};

// Kms over a coffer_kms_t (whose strings are copied).
class CallbackKms final : public Kms {
 public:
  explicit CallbackKms(const coffer_kms_t& kms);
  std::string Type() const override { return type_; }
  std::string KeyId() const override { return key_id_; }
  absl::StatusOr<std::string> Wrap(absl::string_view key_id,
                                   absl::string_view plaintext) override;
  absl::StatusOr<std::string> Unwrap(absl::string_view key_id,
                                     absl::string_view ciphertext) override;

 private:
  absl::StatusOr<std::string> Call(coffer_kms_fn fn, const char* what,
                                   absl::string_view key_id,
                                   absl::string_view input);
  std::string type_;
  std::string key_id_;
  coffer_kms_fn wrap_;
  coffer_kms_fn unwrap_;
  void* user_data_;
};

// C peers -> C++ peers (addresses non-NULL).
absl::StatusOr<std::vector<Peer>> ToPeers(const coffer_peer_t* peers,
                                          size_t num_peers, const char* what);

// The callbacks of coffer_kms_t, checked.
absl::StatusOr<std::unique_ptr<CallbackKms>> MakeKms(const coffer_kms_t* kms,
                                                     const char* what);

// Logger over a coffer_log_fn.
class CallbackLogger final : public Logger {
 public:
  CallbackLogger(coffer_log_fn log, void* user_data)
      : log_(log), user_data_(user_data) {}
  void Log(LogLevel level, absl::string_view message) override;

 private:
  coffer_log_fn log_;
  void* user_data_;
};

// MetricsSink over a coffer_metric_fn.
class CallbackMetrics final : public MetricsSink {
 public:
  CallbackMetrics(coffer_metric_fn fn, void* user_data)
      : fn_(fn), user_data_(user_data) {}
  void Counter(absl::string_view name, uint64_t delta) override;
  void Gauge(absl::string_view name, double value) override;
  void Timing(absl::string_view name, absl::Duration duration) override;

 private:
  coffer_metric_fn fn_;
  void* user_data_;
};

}  // namespace coffer::capi

// Invariant: `node` is non-null and was opened with `transport` and `kms`,
// which it borrows; members are destroyed node first.
struct coffer_node {
  std::unique_ptr<coffer::capi::CallbackTransport> transport;
  std::unique_ptr<coffer::capi::CallbackKms> kms;
  std::unique_ptr<coffer::capi::CallbackKms> migrate_from_kms;
  std::unique_ptr<coffer::capi::CallbackLogger> logger;
  std::unique_ptr<coffer::capi::CallbackMetrics> metrics;
  std::unique_ptr<coffer::Node> node;
};

namespace coffer::capi {

// The caller of a call: the C `token` (NUL-terminated), borrowed for the
// call; NULL is the empty token, which the node refuses like any bad one.
inline Caller AsCaller(const char* token) {
  return Caller(token == nullptr ? absl::string_view() : token);
}

// kInvalidArgument "capi: node is NULL" for a NULL handle.
inline absl::Status CheckNode(const coffer_node_t* node) {
  return NotNull(node, "node");
}

// Run (capi/internal.h) for an entry point on `node`: checks the handle
// first, then runs `body(Node&)`.
template <typename Body>
int RunOnNode(coffer_node_t* node, Body&& body) noexcept {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckNode(node));
    return body(*node->node);
  });
}

// The same with an output (a Result or Bytes): checks the handle, then the
// output, runs `body(Node&, out)` and hands the output over on OK.
template <typename Out, typename Body>
int RunOnNode(coffer_node_t* node, Out out, Body&& body) noexcept {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(CheckNode(node));
    return Produce(out, [&](Out& o) { return body(*node->node, o); });
  });
}

}  // namespace coffer::capi

#endif  // COFFER_LIB_CAPI_NODE_H_
