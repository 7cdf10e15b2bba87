// The C ABI of coffer::Node's token, policy and capabilities calls
// (include/coffer/c/auth.h).
#include "coffer/auth.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "capi/internal.h"
#include "capi/node.h"

namespace coffer::capi {
namespace {

// The token that `kind` and `ref` name; `ref` is borrowed by the result.
absl::StatusOr<TokenRef> ToRef(int kind, const char* ref) {
  switch (kind) {
    case COFFER_TOKEN_REF_ID:
      COFFER_RETURN_IF_ERROR(NotNull(ref, "ref"));
      return TokenRef::Id(ref);
    case COFFER_TOKEN_REF_ACCESSOR:
      COFFER_RETURN_IF_ERROR(NotNull(ref, "ref"));
      return TokenRef::Accessor(ref);
    case COFFER_TOKEN_REF_SELF:
      return TokenRef::Self();
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "capi: ref_kind must be a COFFER_TOKEN_REF_ value, not ", kind));
  }
}

absl::StatusOr<RevokeMode> ToRevokeMode(int mode) {
  switch (mode) {
    case COFFER_REVOKE_TREE:
      return RevokeMode::kTree;
    case COFFER_REVOKE_ORPHAN:
      return RevokeMode::kOrphan;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "capi: mode must be COFFER_REVOKE_TREE or COFFER_REVOKE_ORPHAN, "
          "not ",
          mode));
  }
}

coffer_token_create_options_t DefaultCreateOptions() {
  coffer_token_create_options_t o =
      ZeroDefaults<coffer_token_create_options_t>();
  o.renewable = TokenCreateRequest().renewable;
  return o;
}

absl::StatusOr<TokenCreateRequest> ToCreateRequest(
    const coffer_token_create_options_t* options, bool* orphan_endpoint) {
  coffer_token_create_options_t o;
  COFFER_RETURN_IF_ERROR(
      ReadOptional(options, &o, DefaultCreateOptions(), "options"));
  TokenCreateRequest r;
  COFFER_ASSIGN_OR_RETURN(
      r.policies, CopyStrings(o.policies, o.num_policies, "options->policies"));
  r.no_default_policy = o.no_default_policy != 0;
  COFFER_ASSIGN_OR_RETURN(r.metadata, ToSecretData(o.metadata, o.num_metadata,
                                                   "options->metadata"));
  r.no_parent = o.no_parent != 0;
  r.renewable = o.renewable != 0;
  r.ttl = absl::Nanoseconds(o.ttl_ns);
  r.explicit_max_ttl = absl::Nanoseconds(o.explicit_max_ttl_ns);
  r.period = absl::Nanoseconds(o.period_ns);
  if (o.display_name != nullptr) r.display_name = o.display_name;
  r.num_uses = o.num_uses;
  *orphan_endpoint = o.orphan_endpoint != 0;
  return r;
}

int64_t Nanos(absl::Time t) { return absl::ToUnixNanos(t); }
int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// Fills a zeroed struct (which its free function releases if this throws).
void FillInfo(coffer_token_info_t& r, const TokenInfo& t) {
  r.accessor = CopyBytes(t.accessor);
  r.policies = NewStringArray(t.policies);
  r.num_policies = t.policies.size();
  r.metadata = FromSecretData(t.metadata);
  r.num_metadata = t.metadata.size();
  r.display_name = CopyBytes(t.display_name);
  r.num_uses = t.num_uses;
  r.creation_time_ns = Nanos(t.creation_time);
  r.creation_ttl_ns = Nanos(t.creation_ttl);
  r.has_expire_time = t.expire_time.has_value();
  if (t.expire_time) r.expire_time_ns = Nanos(*t.expire_time);
  r.ttl_ns = Nanos(t.ttl);
  r.explicit_max_ttl_ns = Nanos(t.explicit_max_ttl);
  r.period_ns = Nanos(t.period);
  r.renewable = t.renewable;
  r.orphan = t.orphan;
  r.has_last_renewal_time = t.last_renewal_time.has_value();
  if (t.last_renewal_time) {
    r.last_renewal_time_ns = Nanos(*t.last_renewal_time);
  }
  r.type = CopyBytes(t.type);
}

absl::Status ReturnInfo(Result<coffer_token_info_t>& out,
                        const absl::StatusOr<TokenInfo>& info) {
  if (!info.ok()) return info.status();
  if (out.wanted()) FillInfo(*out.get(), *info);
  return absl::OkStatus();
}

using CapabilityMap = std::map<std::string, std::vector<std::string>>;

void FreePathCapabilities(coffer_path_capabilities_t* p) {
  if (p == nullptr) return;
  coffer_free(p->path);
  FreeArray(p->capabilities, p->num_capabilities, FreeBytes);
  coffer_free(p);
}

}  // namespace
}  // namespace coffer::capi

using namespace coffer::capi;  // NOLINT: the C entry points below
using coffer::Node;

extern "C" {

void coffer_token_create_options_init(coffer_token_create_options_t* options,
                                      size_t struct_size) {
  InitSized(options, struct_size, DefaultCreateOptions());
}

void coffer_token_info_free(coffer_token_info_t* info) {
  if (info == nullptr) return;
  coffer_free(info->accessor);
  FreeArray(info->policies, info->num_policies, FreeBytes);
  FreeFields(info->metadata, info->num_metadata);
  coffer_free(info->display_name);
  coffer_free(info->type);
  coffer_free(info);
}

void coffer_created_token_free(coffer_created_token_t* token) {
  if (token == nullptr) return;
  coffer_free(token->id);  // zeroized, as every buffer coffer frees
  coffer_token_info_free(token->info);
  coffer_free(token);
}

int coffer_token_create(coffer_node_t* node, const char* token,
                        coffer_created_token_t** out,
                        const coffer_token_create_options_t* options) {
  return RunOnNode(
      node, Result(out, coffer_created_token_free),
      [&](Node& n, Result<coffer_created_token_t>& r) -> absl::Status {
        bool orphan_endpoint = false;
        COFFER_ASSIGN_OR_RETURN(coffer::TokenCreateRequest request,
                                ToCreateRequest(options, &orphan_endpoint));
        COFFER_ASSIGN_OR_RETURN(
            coffer::CreatedToken created,
            n.CreateToken(AsCaller(token), request, orphan_endpoint));
        WipeOnExit<std::string> wipe(created.id);
        r->id = CopyBytes(created.id);
        r->info = New<coffer_token_info_t>();
        FillInfo(*r->info, created.info);
        return absl::OkStatus();
      });
}

int coffer_token_lookup(coffer_node_t* node, const char* token,
                        coffer_token_info_t** out, int ref_kind,
                        const char* ref) {
  return RunOnNode(
      node, Result(out, coffer_token_info_free),
      [&](Node& n, Result<coffer_token_info_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(coffer::TokenRef t, ToRef(ref_kind, ref));
        return ReturnInfo(r, n.LookupToken(AsCaller(token), t));
      });
}

int coffer_token_renew(coffer_node_t* node, const char* token,
                       coffer_token_info_t** out, int ref_kind, const char* ref,
                       int64_t increment_ns) {
  return RunOnNode(
      node,
      Result(out, coffer_token_info_free,
             Result<coffer_token_info_t>::kOptional),
      [&](Node& n, Result<coffer_token_info_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(coffer::TokenRef t, ToRef(ref_kind, ref));
        return ReturnInfo(r, n.RenewToken(AsCaller(token), t,
                                          absl::Nanoseconds(increment_ns)));
      });
}

int coffer_token_revoke(coffer_node_t* node, const char* token, int ref_kind,
                        const char* ref, int mode) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_ASSIGN_OR_RETURN(coffer::TokenRef t, ToRef(ref_kind, ref));
    COFFER_ASSIGN_OR_RETURN(coffer::RevokeMode m, ToRevokeMode(mode));
    return n.RevokeToken(AsCaller(token), t, m);
  });
}

int coffer_token_accessors(coffer_node_t* node, const char* token,
                           coffer_string_list_t** out) {
  return RunOnNode(
      node, Result(out, coffer_string_list_free),
      [&](Node& n, Result<coffer_string_list_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(std::vector<std::string> accessors,
                                n.ListTokenAccessors(AsCaller(token)));
        FillStringList(*r.get(), accessors);
        return absl::OkStatus();
      });
}

int coffer_policy_write(coffer_node_t* node, const char* token,
                        const char* name, const char* text) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(name, "name"));
    COFFER_RETURN_IF_ERROR(NotNull(text, "text"));
    return n.WritePolicy(AsCaller(token), name, text);
  });
}

int coffer_policy_read(coffer_node_t* node, const char* token, char** out,
                       size_t* out_len, const char* name) {
  return RunOnNode(node, Bytes(out, out_len),
                   [&](Node& n, Bytes& r) -> absl::Status {
                     COFFER_RETURN_IF_ERROR(NotNull(name, "name"));
                     COFFER_ASSIGN_OR_RETURN(
                         std::string text, n.ReadPolicy(AsCaller(token), name));
                     r.Set(text);
                     return absl::OkStatus();
                   });
}

int coffer_policy_list(coffer_node_t* node, const char* token,
                       coffer_string_list_t** out) {
  return RunOnNode(
      node, Result(out, coffer_string_list_free),
      [&](Node& n, Result<coffer_string_list_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(std::vector<std::string> names,
                                n.ListPolicies(AsCaller(token)));
        FillStringList(*r.get(), names);
        return absl::OkStatus();
      });
}

int coffer_policy_delete(coffer_node_t* node, const char* token,
                         const char* name) {
  return RunOnNode(node, [&](Node& n) -> absl::Status {
    COFFER_RETURN_IF_ERROR(NotNull(name, "name"));
    return n.DeletePolicy(AsCaller(token), name);
  });
}

int coffer_capabilities(coffer_node_t* node, const char* token,
                        coffer_capabilities_t** out, int ref_kind,
                        const char* ref, const char* const* paths,
                        size_t num_paths) {
  return RunOnNode(
      node, Result(out, coffer_capabilities_free),
      [&](Node& n, Result<coffer_capabilities_t>& r) -> absl::Status {
        COFFER_ASSIGN_OR_RETURN(coffer::TokenRef t, ToRef(ref_kind, ref));
        COFFER_ASSIGN_OR_RETURN(std::vector<std::string> list,
                                CopyStrings(paths, num_paths, "paths"));
        COFFER_ASSIGN_OR_RETURN(CapabilityMap caps,
                                n.Capabilities(AsCaller(token), t, list));
        r->paths = NewArray<coffer_path_capabilities_t*>(caps.size());
        r->num_paths = caps.size();
        size_t i = 0;
        for (const auto& [path, names] : caps) {
          coffer_path_capabilities_t* p = r->paths[i++] =
              New<coffer_path_capabilities_t>();
          p->path = CopyBytes(path);
          p->capabilities = NewStringArray(names);
          p->num_capabilities = names.size();
        }
        return absl::OkStatus();
      });
}

void coffer_capabilities_free(coffer_capabilities_t* capabilities) {
  if (capabilities == nullptr) return;
  FreeArray(capabilities->paths, capabilities->num_paths, FreePathCapabilities);
  coffer_free(capabilities);
}

}  // extern "C"
