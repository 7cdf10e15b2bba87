// The C ABI of coffer::Node's operator operations (TransferLeadership,
// RotateKey, GetKeyStatus, Rekey, SealMigrate).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"

namespace coffer::capi {
namespace {

// Copies of `num` shares (wiped by the caller).
absl::StatusOr<std::vector<std::string>> CopyShares(const char* const* keys,
                                                    size_t num,
                                                    const char* what) {
  std::vector<std::string> out;
  if (num > 0) COFFER_RETURN_IF_ERROR(NotNull(keys, what));
  for (size_t i = 0; i < num; ++i) {
    if (keys[i] == nullptr) {
      for (std::string& k : out) WipeString(k);
      return absl::InvalidArgumentError(
          absl::StrCat("capi: ", what, "[", i, "] is NULL"));
    }
    out.emplace_back(keys[i]);
  }
  return out;
}

void WipeAll(std::vector<std::string>& v) {
  for (std::string& s : v) WipeString(s);
}

absl::Status ReturnKeyStatus(coffer_key_status_t** out,
                             const absl::StatusOr<KeyStatus>& status) {
  if (!status.ok()) return status.status();
  if (out == nullptr) return absl::OkStatus();
  coffer_key_status_t* r = New<coffer_key_status_t>();
  r->term = status->term;
  r->install_time_ns = absl::ToUnixNanos(status->install_time);
  r->encryptions = status->encryptions;
  *out = r;
  return absl::OkStatus();
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below

extern "C" {

int coffer_node_transfer_leadership(coffer_node_t* node, uint64_t to) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    return node->node->TransferLeadership(to);
  });
}

int coffer_node_rotate_key(coffer_node_t* node, coffer_key_status_t** out) {
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    return ReturnKeyStatus(out, node->node->RotateKey());
  });
}

int coffer_node_key_status(coffer_node_t* node, coffer_key_status_t** out) {
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    COFFER_RETURN_IF_ERROR(NotNull(out, "out"));
    return ReturnKeyStatus(out, node->node->GetKeyStatus());
  });
}

void coffer_key_status_free(coffer_key_status_t* status) {
  coffer_free(status);
}

int coffer_node_rekey(coffer_node_t* node, coffer_string_list_t** out,
                      const char* const* current_keys, size_t num_current_keys,
                      int secret_shares, int secret_threshold) {
  if (out != nullptr) *out = nullptr;
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    COFFER_RETURN_IF_ERROR(NotNull(out, "out"));
    COFFER_ASSIGN_OR_RETURN(
        std::vector<std::string> current,
        CopyShares(current_keys, num_current_keys, "current_keys"));
    absl::StatusOr<std::vector<std::string>> fresh =
        node->node->Rekey(current, secret_shares, secret_threshold);
    WipeAll(current);
    if (!fresh.ok()) return fresh.status();
    struct Wiper {
      std::vector<std::string>& v;
      ~Wiper() { WipeAll(v); }
    } wiper{*fresh};
    Owned<coffer_string_list_t, coffer_string_list_free> r(
        New<coffer_string_list_t>());
    r->items = NewArray<char*>(fresh->size());
    r->lens = NewArray<size_t>(fresh->size());
    r->num_items = fresh->size();
    for (size_t i = 0; i < fresh->size(); ++i) {
      r->items[i] = CopyBytes((*fresh)[i]);
      r->lens[i] = (*fresh)[i].size();
    }
    *out = r.release();
    return absl::OkStatus();
  });
}

int coffer_node_seal_migrate(coffer_node_t* node, const char* const* keys,
                             size_t num_keys) {
  return Run([&]() -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(node, "node"));
    COFFER_ASSIGN_OR_RETURN(std::vector<std::string> shares,
                            CopyShares(keys, num_keys, "keys"));
    absl::Status status = node->node->SealMigrate(shares);
    WipeAll(shares);
    return status;
  });
}

}  // extern "C"
