// Shared helpers of the hcl tests.
#ifndef COFFER_TESTS_UNIT_HCL_TEST_UTIL_H_
#define COFFER_TESTS_UNIT_HCL_TEST_UTIL_H_

#include <string>

#include "hcl/hcl.h"
#include "support/catch.h"

namespace coffer::hcl::testing {

// Parses HCL text that must be valid; fails the test otherwise.
inline Body MustParse(absl::string_view text, const Options& options = {}) {
  absl::StatusOr<Body> body = Parse(text, options);
  INFO(std::string(text));
  REQUIRE(body.status().ToString() == "OK");
  return *std::move(body);
}

inline Body MustParseJson(absl::string_view text, const Options& options = {}) {
  absl::StatusOr<Body> body = ParseJson(text, options);
  INFO(std::string(text));
  REQUIRE(body.status().ToString() == "OK");
  return *std::move(body);
}

// The message of the error that `text` must give, checked to be
// kInvalidArgument.
inline std::string HclError(absl::string_view text,
                            const Options& options = {}) {
  absl::StatusOr<Body> body = Parse(text, options);
  INFO(std::string(text));
  REQUIRE_FALSE(body.ok());
  REQUIRE(absl::IsInvalidArgument(body.status()));
  return std::string(body.status().message());
}

inline std::string JsonError(absl::string_view text,
                             const Options& options = {}) {
  absl::StatusOr<Body> body = ParseJson(text, options);
  INFO(std::string(text));
  REQUIRE_FALSE(body.ok());
  REQUIRE(absl::IsInvalidArgument(body.status()));
  return std::string(body.status().message());
}

}  // namespace coffer::hcl::testing

#endif  // COFFER_TESTS_UNIT_HCL_TEST_UTIL_H_
