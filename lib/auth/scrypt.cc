#include "auth/scrypt.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "crypto/scrypt.h"

namespace coffer::auth {
namespace {

constexpr uint64_t kMaxN = uint64_t{1} << 20;
constexpr uint64_t kMaxMemory = uint64_t{256} << 20;

uint64_t MemoryOf(const ScryptParams& p) {
  return uint64_t{128} * p.r * (p.n + p.p + 2);
}

}  // namespace

absl::Status ValidateScryptParams(const ScryptParams& params) {
  if (params.n < 2 || params.n > kMaxN || (params.n & (params.n - 1)) != 0) {
    return absl::InvalidArgumentError(
        "auth: scrypt_n must be a power of two from 2 to 1048576");
  }
  if (params.r < 1 || params.r > 32) {
    return absl::InvalidArgumentError("auth: scrypt_r must be 1..32");
  }
  if (params.p < 1 || params.p > 16) {
    return absl::InvalidArgumentError("auth: scrypt_p must be 1..16");
  }
  if (MemoryOf(params) > kMaxMemory) {
    return absl::InvalidArgumentError(
        "auth: scrypt_n * scrypt_r needs more than 256 MiB");
  }
  return absl::OkStatus();
}

absl::StatusOr<ScryptParams> ScryptParamsFromOptions(
    const std::map<std::string, std::string>& options) {
  ScryptParams p;
  for (const auto& [name, value] : options) {
    uint64_t v = 0;
    if (!absl::SimpleAtoi(value, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth: option ", name, " is not a number"));
    }
    if (name == "scrypt_n") {
      p.n = v;
    } else if (name == "scrypt_r" && v <= 32) {
      p.r = static_cast<uint32_t>(v);
    } else if (name == "scrypt_p" && v <= 16) {
      p.p = static_cast<uint32_t>(v);
    } else if (name == "scrypt_r" || name == "scrypt_p") {
      return absl::InvalidArgumentError(
          absl::StrCat("auth: option ", name, " is out of range"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("auth: unknown userpass option ", name));
    }
  }
  if (absl::Status s = ValidateScryptParams(p); !s.ok()) return s;
  return p;
}

absl::StatusOr<crypto::SecureBuffer> DerivePasswordKey(
    absl::string_view password, absl::string_view salt,
    const ScryptParams& params) {
  return crypto::Scrypt(password, salt, params.n, params.r, params.p,
                        kPasswordKeyBytes, MemoryOf(params) + (1 << 20));
}

}  // namespace coffer::auth
