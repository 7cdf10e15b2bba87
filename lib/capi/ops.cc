// The C ABI of coffer::Node's operator operations (TransferLeadership,
// RotateKey, GetKeyStatus, Rekey, SealMigrate).
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"

namespace coffer::capi {
namespace {

absl::Status FillKeyStatus(Result<coffer_key_status_t>& out,
                           const absl::StatusOr<KeyStatus>& status) {
  if (!status.ok()) return status.status();
  if (!out.wanted()) return absl::OkStatus();
  out->term = status->term;
  out->install_time_ns = absl::ToUnixNanos(status->install_time);
  out->encryptions = status->encryptions;
  return absl::OkStatus();
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;

extern "C" {

int coffer_node_transfer_leadership(coffer_node_t* node, const char* token,
                                    uint64_t to) {
  return RunOnNode(
      node, [&](Node& n) { return n.TransferLeadership(AsCaller(token), to); });
}

int coffer_node_rotate_key(coffer_node_t* node, const char* token,
                           coffer_key_status_t** out) {
  return RunOnNode(node,
                   Result(out, coffer_key_status_free,
                          Result<coffer_key_status_t>::kOptional),
                   [&](Node& n, Result<coffer_key_status_t>& r) {
                     return FillKeyStatus(r, n.RotateKey(AsCaller(token)));
                   });
}

int coffer_node_key_status(coffer_node_t* node, const char* token,
                           coffer_key_status_t** out) {
  return RunOnNode(node, Result(out, coffer_key_status_free),
                   [&](Node& n, Result<coffer_key_status_t>& r) {
                     return FillKeyStatus(r, n.GetKeyStatus(AsCaller(token)));
                   });
}

void coffer_key_status_free(coffer_key_status_t* status) {
  coffer_free(status);
}

int coffer_node_rekey(coffer_node_t* node, coffer_string_list_t** out,
                      const char* const* current_keys, size_t num_current_keys,
                      int secret_shares, int secret_threshold) {
  return RunOnNode(
      node, Result(out, coffer_string_list_free),
      [&](Node& n, Result<coffer_string_list_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(
            std::vector<std::string> current,
            CopyStrings(current_keys, num_current_keys, "current_keys"));
        absl::StatusOr<std::vector<std::string>> fresh;
        {
          WipeOnExit<std::vector<std::string>> wipe(current);
          fresh = n.Rekey(current, secret_shares, secret_threshold);
        }
        if (!fresh.ok()) return fresh.status();
        WipeOnExit<std::vector<std::string>> wipe(*fresh);
        FillStringList(*r.get(), *fresh);
        return absl::OkStatus();
      });
}

int coffer_node_seal_migrate(coffer_node_t* node, const char* const* keys,
                             size_t num_keys) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> shares,
                            CopyStrings(keys, num_keys, "keys"));
    WipeOnExit<std::vector<std::string>> wipe(shares);
    return n.SealMigrate(shares);
  });
}

}  // extern "C"
