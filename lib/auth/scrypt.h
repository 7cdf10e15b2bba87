// The password hash of userpass users: scrypt with a per-user random salt,
// its parameters stored beside the hash (proto/auth_methods.proto,
// UserEntry), so that a method's cost can change without breaking the
// users hashed before.
//
// The defaults are Vault's cost for its own scrypt uses (N=32768, r=8,
// p=1: 32 MiB, tens of milliseconds); a method may be enabled with others
// (options scrypt_n, scrypt_r, scrypt_p), which tests use to stay fast.
//
// Thread-safety: stateless functions. DerivePasswordKey blocks for the
// hash's cost: callers run it on their own thread, never the node's loop.
#ifndef COFFER_LIB_AUTH_SCRYPT_H_
#define COFFER_LIB_AUTH_SCRYPT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/secure_buffer.h"

namespace coffer::auth {

inline constexpr size_t kPasswordSaltBytes = 16;
inline constexpr size_t kPasswordKeyBytes = 32;

struct ScryptParams {
  uint64_t n = 32768;  // a power of two, 2..2^20
  uint32_t r = 8;      // 1..32
  uint32_t p = 1;      // 1..16
};

// kInvalidArgument naming the parameter out of range (the ranges above,
// and at most 256 MiB of memory).
absl::Status ValidateScryptParams(const ScryptParams& params);

// The parameters a userpass method's options ask for ("scrypt_n",
// "scrypt_r", "scrypt_p"; absent ones are the defaults); kInvalidArgument
// for an unknown option or a bad value.
absl::StatusOr<ScryptParams> ScryptParamsFromOptions(
    const std::map<std::string, std::string>& options);

// kPasswordKeyBytes of scrypt(password, salt, params).
// REQUIRES: ValidateScryptParams(params).ok().
absl::StatusOr<crypto::SecureBuffer> DerivePasswordKey(
    absl::string_view password, absl::string_view salt,
    const ScryptParams& params);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_SCRYPT_H_
