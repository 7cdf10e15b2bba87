// Shamir's secret sharing over GF(2^8), compatible with HashiCorp Vault.
//
// A secret of any length is split into `shares` parts such that any
// `threshold` of them recover it and fewer reveal nothing about it. Each byte
// of the secret is the constant term of its own random polynomial of degree
// threshold-1 over GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1. A part
// is the polynomial values at one x coordinate followed by that coordinate as
// one byte: len(part) == len(secret) + 1. The x coordinates are a random
// permutation of 1..255. This is Vault's share format: parts made by Vault
// combine here and the reverse.
//
// The field arithmetic has no secret-dependent branches or table look-ups.
// Randomness comes from the operating system's CSPRNG through BoringSSL.
//
// Thread-safety: both functions are thread-safe.
// Secrets: the returned strings hold secret material; wipe them when done.
#ifndef COFFER_SHAMIR_H_
#define COFFER_SHAMIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "coffer/export.h"

namespace coffer {

// Splits `secret` into `shares` parts, any `threshold` of which recover it.
// Errors (kInvalidArgument, "shamir: ..."): an empty secret; shares outside
// 1..255; threshold outside 1..shares; threshold 1 with more than one share
// (every part would be the secret itself). kInternal if the random number
// generator fails.
COFFER_EXPORT absl::StatusOr<std::vector<std::string>> ShamirSplit(
    absl::string_view secret, int shares, int threshold);

// Recovers the secret from `parts` (at least `threshold` of one split, in any
// order). Errors (kInvalidArgument): no parts, more than 255, a part shorter
// than 2 bytes, parts of different lengths, two parts with the same x
// coordinate, an x coordinate of 0. Fewer parts than the threshold, or parts
// of different splits, give a wrong secret rather than an error: the scheme
// cannot tell; callers verify the result (coffer's seal does, with AES-GCM).
COFFER_EXPORT absl::StatusOr<std::string> ShamirCombine(
    absl::Span<const std::string> parts);

}  // namespace coffer

#endif  // COFFER_SHAMIR_H_
