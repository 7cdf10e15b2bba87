#include "auth/methods.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "auth/cidr.h"
#include "auth/records.h"
#include "auth/scrypt.h"
#include "auth/token_id.h"
#include "base/status_macros.h"
#include "crypto/random.h"
#include "kv/load_record.h"

namespace coffer::auth {
namespace {

std::string MethodKey(absl::string_view path) {
  return absl::StrCat(kMethodPrefix, path);
}

std::string CheckMethod(const authpb::AuthMethodEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  if (e.type() != kAppRoleType && e.type() != kUserpassType) {
    return "unknown type";
  }
  if (!absl::StartsWith(e.accessor(), "auth_")) return "bad accessor";
  return "";
}

std::string CheckPurge(const authpb::AuthPurgeEntry& e) {
  if (e.format_version() != kFormatVersion) return "unknown format";
  return "";
}

absl::StatusOr<std::optional<authpb::AuthMethodEntry>> LoadMethod(
    kv::Reader* txn, absl::string_view path) {
  return kv::LoadRecord<authpb::AuthMethodEntry>(txn, MethodKey(path), "auth",
                                                 "auth method", &CheckMethod);
}

// Where the records of the method with `accessor` and `type` live.
std::string DataPrefix(absl::string_view type, absl::string_view accessor) {
  return absl::StrCat(type == kAppRoleType ? kAppRolePrefix : kUserpassPrefix,
                      accessor, "/");
}

bool IsSegmentChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '.';
}

// Deletes up to `limit` records of the purge entry at `purge_key`; deletes
// the entry too once none is left. Returns the deletes made and whether the
// entry is done.
struct Purged {
  size_t deletes = 0;
  bool done = false;
};
absl::StatusOr<Purged> PurgeSome(kv::Txn* txn, absl::string_view purge_key,
                                 size_t limit) {
  COFFER_ASSIGN_OR_RETURN(
      std::optional<authpb::AuthPurgeEntry> e,
      kv::LoadRecord<authpb::AuthPurgeEntry>(txn, purge_key, "auth",
                                             "auth purge", &CheckPurge));
  if (!e.has_value()) return Purged{0, true};
  const absl::string_view accessor = purge_key.substr(kAuthPurgePrefix.size());
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(DataPrefix(e->type(), accessor)));
  size_t n = 0;
  for (const std::string& k : keys) {
    if (n == limit) return Purged{n, false};
    txn->Delete(k);
    ++n;
  }
  txn->Delete(purge_key);
  return Purged{n + 1, true};
}

}  // namespace

absl::StatusOr<MethodRandom> DrawMethodRandom() {
  MethodRandom r;
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.first)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.second)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.token.id)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.token.accessor)));
  COFFER_RETURN_IF_ERROR(crypto::RandomBytes(absl::MakeSpan(r.token.salt)));
  return r;
}

absl::StatusOr<std::string> CanonicalMethodPath(absl::string_view path) {
  std::string p(path);
  if (!p.empty() && p.back() != '/') p.push_back('/');
  const absl::Status bad = absl::InvalidArgumentError(
      "auth: an auth method path is 1..128 bytes of [A-Za-z0-9_.-] segments");
  if (p.size() < 2 || p.size() > 128) return bad;
  for (absl::string_view seg :
       absl::StrSplit(absl::string_view(p).substr(0, p.size() - 1), '/')) {
    if (seg.empty() || seg == "." || seg == "..") return bad;
    for (char c : seg) {
      if (!IsSegmentChar(c)) return bad;
    }
  }
  if (p == "token/") {
    return absl::InvalidArgumentError(
        "auth: \"token/\" is the token store's path");
  }
  return p;
}

absl::StatusOr<std::string> CanonicalName(absl::string_view name) {
  std::string n = absl::AsciiStrToLower(name);
  if (n.empty() || n.size() > 128) {
    return absl::InvalidArgumentError("auth: a name is 1..128 bytes");
  }
  for (char c : n) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-' || c == '.' || c == '@')) {
      return absl::InvalidArgumentError("auth: a name is made of [a-z0-9_.@-]");
    }
  }
  return n;
}

std::string FormatUuid(const std::array<uint8_t, 16>& bytes) {
  std::array<uint8_t, 16> b = bytes;
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

absl::StatusOr<authpb::AuthMethodEntry> EnableMethod(
    kv::Txn* txn, absl::string_view path, absl::string_view type,
    absl::string_view description,
    const std::map<std::string, std::string>& options,
    const MethodRandom& random) {
  if (type == kUserpassType) {
    COFFER_RETURN_IF_ERROR(ScryptParamsFromOptions(options).status());
  } else if (type == kAppRoleType) {
    if (!options.empty()) {
      return absl::InvalidArgumentError("auth: approle takes no options");
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "auth: unknown auth method type \"", type, "\" (approle, userpass)"));
  }
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(kMethodPrefix));
  for (const std::string& k : keys) {
    const absl::string_view other =
        absl::string_view(k).substr(kMethodPrefix.size());
    if (absl::StartsWith(other, path) || absl::StartsWith(path, other)) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth: path \"", path,
                       "\" conflicts with the method at \"", other, "\""));
    }
  }
  authpb::AuthMethodEntry e;
  e.set_format_version(kFormatVersion);
  e.set_path(std::string(path));
  e.set_type(std::string(type));
  e.set_description(std::string(description));
  std::string hex = FormatUuid(random.first);
  hex.erase(std::remove(hex.begin(), hex.end(), '-'), hex.end());
  e.set_accessor(absl::StrCat("auth_", type, "_", hex.substr(0, 16)));
  for (const auto& [k, v] : options) (*e.mutable_options())[k] = v;
  txn->Put(MethodKey(path), Encode(e));
  return e;
}

absl::StatusOr<bool> DisableMethod(kv::Txn* txn, absl::string_view path,
                                   size_t limit) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AuthMethodEntry> e,
                          LoadMethod(txn, path));
  if (!e.has_value()) {
    return absl::NotFoundError(
        absl::StrCat("auth: no auth method at \"", path, "\""));
  }
  kv::BufferedTxn scratch(txn);
  scratch.Delete(MethodKey(path));
  authpb::AuthPurgeEntry purge;
  purge.set_format_version(kFormatVersion);
  purge.set_type(e->type());
  const std::string purge_key = absl::StrCat(kAuthPurgePrefix, e->accessor());
  scratch.Put(purge_key, Encode(purge));
  COFFER_ASSIGN_OR_RETURN(Purged p, PurgeSome(&scratch, purge_key, limit));
  for (kv::Write& w : scratch.TakeWrites()) {
    if (w.value.has_value()) {
      txn->Put(w.key, *w.value);
    } else {
      txn->Delete(w.key);
    }
  }
  return !p.done;
}

absl::StatusOr<bool> ContinueMethodPurge(kv::Txn* txn, size_t limit) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(kAuthPurgePrefix));
  size_t left = limit;
  for (const std::string& k : keys) {
    COFFER_ASSIGN_OR_RETURN(Purged p, PurgeSome(txn, k, left));
    if (!p.done) return true;
    left = p.deletes >= left ? 0 : left - p.deletes;
    if (left == 0) return keys.size() > 1;
  }
  return false;
}

absl::StatusOr<std::vector<authpb::AuthMethodEntry>> ListMethods(
    kv::Reader* txn) {
  COFFER_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          txn->List(kMethodPrefix));
  std::vector<authpb::AuthMethodEntry> out;
  for (const std::string& k : keys) {
    COFFER_ASSIGN_OR_RETURN(
        std::optional<authpb::AuthMethodEntry> e,
        LoadMethod(txn, absl::string_view(k).substr(kMethodPrefix.size())));
    if (e.has_value()) out.push_back(*std::move(e));
  }
  return out;
}

absl::StatusOr<authpb::AuthMethodEntry> FindMethod(kv::Reader* txn,
                                                   absl::string_view path,
                                                   absl::string_view type) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AuthMethodEntry> e,
                          LoadMethod(txn, path));
  if (!e.has_value() || e->type() != type) {
    return absl::NotFoundError(
        absl::StrCat("auth: no ", type, " auth method at \"", path, "\""));
  }
  return *std::move(e);
}

absl::StatusOr<crypto::Digest> MethodHash(kv::Reader* txn,
                                          absl::string_view domain,
                                          absl::string_view value) {
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::TokenSalt> salt, LoadSalt(txn));
  if (!salt.has_value()) {
    return absl::FailedPreconditionError("auth: no token store yet");
  }
  return Hasher(salt->salt()).Other(domain, value);
}

absl::Status CheckTokenBindings(kv::Reader* txn, const Token& token,
                                absl::string_view remote_address) {
  const absl::Status denied =
      absl::PermissionDeniedError("auth: permission denied");
  if (!token.bound_cidrs.empty() &&
      !AddressInCidrs(remote_address, token.bound_cidrs)) {
    return denied;
  }
  if (token.mount_accessor.empty()) return absl::OkStatus();
  COFFER_ASSIGN_OR_RETURN(std::optional<authpb::AuthMethodEntry> e,
                          LoadMethod(txn, token.mount_path));
  if (!e.has_value() || e->accessor() != token.mount_accessor) return denied;
  return absl::OkStatus();
}

}  // namespace coffer::auth
