// Token ids, accessors and their keyed hashes.
//
// An id is "hvs." followed by the base62 form (alphabet 0-9A-Za-z, Vault's)
// of kIdRandomBytes random bytes read as one big-endian number, padded with
// leading '0' to a fixed 33 characters; an accessor is the same without the
// prefix. The conversion is exact: the 192 bits survive whole (62^33 >
// 2^192), so a first character is only ever '0', '1' or '2'.
//
// The store keys a token by HMAC-SHA256(salt, "token-id\0" + id) and an
// accessor by HMAC-SHA256(salt, "token-accessor\0" + accessor): the two
// domains cannot collide, and without the salt (kept behind the barrier) a
// stored key says nothing about the id.
//
// Thread-safety: stateless functions; a Hasher is immutable after
// construction and thread-safe.
#ifndef COFFER_LIB_AUTH_TOKEN_ID_H_
#define COFFER_LIB_AUTH_TOKEN_ID_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "auth/token.h"
#include "crypto/hash.h"

namespace coffer::auth {

inline constexpr absl::string_view kServiceTokenPrefix = "hvs.";
// Base62 characters of an id (after the prefix) and of an accessor.
inline constexpr size_t kEncodedChars = 33;

// `bytes` as a big-endian number in base62, at least `width` characters
// (leading '0'). REQUIRES: 62^width > 256^bytes.size() for an exact result.
std::string Base62(absl::Span<const uint8_t> bytes, size_t width);

// "hvs." + Base62(random.id, 33).
std::string FormatTokenId(const TokenRandom& random);
// Base62(random.accessor, 33).
std::string FormatAccessor(const TokenRandom& random);

// Keyed hashes under the store's salt. Copies the salt into locked memory.
class Hasher {
 public:
  explicit Hasher(absl::string_view salt);

  // HMAC-SHA256(salt, "token-id\0" + id): a token's hash.
  crypto::Digest TokenId(absl::string_view id) const;
  // HMAC-SHA256(salt, "token-accessor\0" + accessor).
  crypto::Digest Accessor(absl::string_view accessor) const;
  // HMAC-SHA256(salt, domain + "\0" + value), for the other credentials
  // kept as keyed hashes (AppRole's role-ids and secret-ids). REQUIRES:
  // `domain` holds no NUL and is neither "token-id" nor "token-accessor".
  crypto::Digest Other(absl::string_view domain, absl::string_view value) const;

 private:
  crypto::SecureBuffer salt_;
};

// 64 lower-case hex digits of a digest. ParseDigestHex is the inverse: it
// returns false, leaving `out` unspecified, unless `hex` is exactly that.
std::string DigestHex(const crypto::Digest& d);
bool ParseDigestHex(absl::string_view hex, crypto::Digest* out);

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_TOKEN_ID_H_
