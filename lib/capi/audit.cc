// The C ABI of coffer::Node's audit-device calls (include/coffer/c/audit.h).
#include "coffer/c/audit.h"

#include <string>
#include <vector>

#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"
#include "coffer/auth.h"

namespace coffer::capi {
namespace {

void FreeDevice(coffer_audit_device_t* d) {
  if (d == nullptr) return;
  coffer_free(d->path);
  coffer_free(d->type);
  coffer_free(d->description);
  FreeFields(d->options, d->num_options);
  coffer_free(d);
}

coffer_audit_device_t* NewDevice(const AuditDevice& device) {
  coffer_audit_device_t* d = New<coffer_audit_device_t>();
  d->path = CopyBytes(device.path);
  d->type = CopyBytes(device.type);
  d->description = CopyBytes(device.description);
  d->options = FromSecretData(device.options);
  d->num_options = device.options.size();
  return d;
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;

extern "C" {

int coffer_audit_enable(coffer_node_t* node, const char* token,
                        const char* path, const char* type,
                        const char* description,
                        const coffer_kv_field_t* options, size_t num_options) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    COFFER_RETURN_IF_ERROR(NotNull(type, "type"));
    coffer::AuditDevice device;
    device.path = path;
    device.type = type;
    if (description != nullptr) device.description = description;
    COFFER_ASSIGN_OR_RETURN(device.options,
                            ToSecretData(options, num_options, "options"));
    return n.EnableAudit(AsCaller(token), device);
  });
}

int coffer_audit_disable(coffer_node_t* node, const char* token,
                         const char* path) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
    return n.DisableAudit(AsCaller(token), path);
  });
}

int coffer_audit_list(coffer_node_t* node, const char* token,
                      coffer_audit_devices_t** out) {
  return RunOnNode(
      node, Result(out, coffer_audit_devices_free),
      [&](Node& n, Result<coffer_audit_devices_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(std::vector<coffer::AuditDevice> devices,
                                n.ListAudit(AsCaller(token)));
        r->devices = NewArray<coffer_audit_device_t*>(devices.size());
        r->num_devices = devices.size();
        for (size_t i = 0; i < devices.size(); ++i) {
          r->devices[i] = NewDevice(devices[i]);
        }
        return absl::OkStatus();
      });
}

void coffer_audit_devices_free(coffer_audit_devices_t* devices) {
  if (devices == nullptr) return;
  FreeArray(devices->devices, devices->num_devices, FreeDevice);
  coffer_free(devices);
}

int coffer_audit_hash(coffer_node_t* node, const char* token, char** out,
                      size_t* out_len, const char* path, const char* input,
                      size_t input_len) {
  return RunOnNode(
      node, Bytes(out, out_len), [&](Node& n, Bytes& r) -> absl::Status {
        COFFER_RETURN_IF_ERROR(NotNull(path, "path"));
        if (input_len > 0) COFFER_RETURN_IF_ERROR(NotNull(input, "input"));
        COFFER_ASSIGN_OR_RETURN(
            std::string hash,
            n.AuditHash(
                AsCaller(token), path,
                absl::string_view(input == nullptr ? "" : input, input_len)));
        r.Set(hash);
        return absl::OkStatus();
      });
}

}  // extern "C"
