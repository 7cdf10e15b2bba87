// Shamir secret sharing for the seal (see include/coffer/shamir.h for the
// scheme and share format). These versions keep secrets in SecureBuffers.
#ifndef COFFER_LIB_SEAL_SHAMIR_H_
#define COFFER_LIB_SEAL_SHAMIR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/secure_buffer.h"

namespace coffer::seal {

inline constexpr int kMaxShares = 255;

// As coffer::ShamirSplit. The parts are handed to operators, so they are
// plain strings; the polynomial coefficients never leave locked memory.
absl::StatusOr<std::vector<std::string>> SplitSecret(absl::string_view secret,
                                                     int shares, int threshold);

// As coffer::ShamirCombine, into locked memory.
absl::StatusOr<crypto::SecureBuffer> CombineParts(
    absl::Span<const absl::string_view> parts);

}  // namespace coffer::seal

#endif  // COFFER_LIB_SEAL_SHAMIR_H_
