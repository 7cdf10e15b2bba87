// Draws a creation's random bytes from the CSPRNG (lib/crypto). The one
// place the token store meets real randomness; everything else takes the
// bytes as an argument, so tests can drive it.
//
// Thread-safe.
#ifndef COFFER_LIB_AUTH_RANDOM_H_
#define COFFER_LIB_AUTH_RANDOM_H_

#include "absl/status/statusor.h"
#include "auth/token.h"

namespace coffer::auth {

// Fresh TokenRandom bytes; kInternal if the generator fails.
absl::StatusOr<TokenRandom> DrawTokenRandom();

}  // namespace coffer::auth

#endif  // COFFER_LIB_AUTH_RANDOM_H_
