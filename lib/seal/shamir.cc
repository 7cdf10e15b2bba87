#include "seal/shamir.h"

#include <array>
#include <cstdint>

#include "coffer/shamir.h"
#include "crypto/random.h"
#include "seal/gf256.h"

namespace coffer::seal {
namespace {

// A uniformly random value in [0, bound) from the CSPRNG, by rejection.
absl::StatusOr<uint8_t> RandomBelow(int bound) {
  const int limit = 256 - 256 % bound;  // largest multiple of bound <= 256
  for (;;) {
    uint8_t b;
    if (absl::Status s = crypto::RandomBytes(absl::MakeSpan(&b, 1)); !s.ok()) {
      return s;
    }
    if (b < limit) return static_cast<uint8_t>(b % bound);
  }
}

// A random permutation of 1..255 (Fisher-Yates): the parts' x coordinates.
absl::StatusOr<std::array<uint8_t, 255>> RandomXCoordinates() {
  std::array<uint8_t, 255> xs;
  for (int i = 0; i < 255; ++i) xs[i] = static_cast<uint8_t>(i + 1);
  for (int i = 254; i > 0; --i) {
    absl::StatusOr<uint8_t> j = RandomBelow(i + 1);
    if (!j.ok()) return j.status();
    std::swap(xs[i], xs[*j]);
  }
  return xs;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitSecret(absl::string_view secret,
                                                     int shares,
                                                     int threshold) {
  if (secret.empty()) {
    return absl::InvalidArgumentError("shamir: cannot split an empty secret");
  }
  if (shares < 1 || shares > kMaxShares) {
    return absl::InvalidArgumentError("shamir: shares must be 1..255");
  }
  if (threshold < 1 || threshold > shares) {
    return absl::InvalidArgumentError("shamir: threshold must be 1..shares");
  }
  if (threshold == 1 && shares > 1) {
    return absl::InvalidArgumentError(
        "shamir: threshold must be at least 2 when there is more than one "
        "share");
  }
  absl::StatusOr<std::array<uint8_t, 255>> xs = RandomXCoordinates();
  if (!xs.ok()) return xs.status();

  std::vector<std::string> parts(shares, std::string(secret.size() + 1, '\0'));
  for (int i = 0; i < shares; ++i)
    parts[i].back() = static_cast<char>((*xs)[i]);

  // coefficients[1..threshold-1] of the current byte's polynomial.
  crypto::SecureBuffer coefficients(threshold);
  for (size_t byte = 0; byte < secret.size(); ++byte) {
    coefficients.data()[0] = static_cast<uint8_t>(secret[byte]);
    if (absl::Status s =
            crypto::RandomBytes(coefficients.span().subspan(1, threshold - 1));
        !s.ok()) {
      return s;
    }
    for (int i = 0; i < shares; ++i) {
      // Horner's rule, highest degree first.
      const uint8_t x = (*xs)[i];
      uint8_t y = 0;
      for (int c = threshold - 1; c >= 0; --c) {
        y = gf256::Add(gf256::Mul(y, x), coefficients.data()[c]);
      }
      parts[i][byte] = static_cast<char>(y);
    }
  }
  return parts;
}

absl::StatusOr<crypto::SecureBuffer> CombineParts(
    absl::Span<const absl::string_view> parts) {
  if (parts.empty()) {
    return absl::InvalidArgumentError("shamir: no parts to combine");
  }
  if (parts.size() > kMaxShares) {
    return absl::InvalidArgumentError("shamir: more than 255 parts");
  }
  const size_t length = parts[0].size();
  if (length < 2) {
    return absl::InvalidArgumentError(
        "shamir: a part must be at least 2 bytes");
  }
  std::array<bool, 256> seen{};
  for (absl::string_view part : parts) {
    if (part.size() != length) {
      return absl::InvalidArgumentError(
          "shamir: all parts must have the same length");
    }
    const uint8_t x = static_cast<uint8_t>(part.back());
    if (x == 0) {
      return absl::InvalidArgumentError("shamir: a part has x coordinate 0");
    }
    if (seen[x]) {
      return absl::InvalidArgumentError("shamir: duplicate part");
    }
    seen[x] = true;
  }

  // Lagrange interpolation at x = 0: secret = sum_i y_i * l_i(0) with
  // l_i(0) = prod_{j != i} x_j / (x_i - x_j); subtraction is XOR here.
  crypto::SecureBuffer secret(length - 1);
  for (size_t i = 0; i < parts.size(); ++i) {
    const uint8_t xi = static_cast<uint8_t>(parts[i].back());
    uint8_t basis = 1;
    for (size_t j = 0; j < parts.size(); ++j) {
      if (j == i) continue;
      const uint8_t xj = static_cast<uint8_t>(parts[j].back());
      basis = gf256::Mul(basis, gf256::Div(xj, gf256::Add(xi, xj)));
    }
    for (size_t byte = 0; byte + 1 < length; ++byte) {
      secret.data()[byte] =
          gf256::Add(secret.data()[byte],
                     gf256::Mul(static_cast<uint8_t>(parts[i][byte]), basis));
    }
  }
  return secret;
}

}  // namespace coffer::seal

namespace coffer {

absl::StatusOr<std::vector<std::string>> ShamirSplit(absl::string_view secret,
                                                     int shares,
                                                     int threshold) {
  return seal::SplitSecret(secret, shares, threshold);
}

absl::StatusOr<std::string> ShamirCombine(absl::Span<const std::string> parts) {
  std::vector<absl::string_view> views(parts.begin(), parts.end());
  absl::StatusOr<crypto::SecureBuffer> secret = seal::CombineParts(views);
  if (!secret.ok()) return secret.status();
  return std::string(secret->view());
}

}  // namespace coffer
