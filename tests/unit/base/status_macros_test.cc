#include "base/status_macros.h"

#include "support/catch.h"

namespace coffer::base {
namespace {

absl::StatusOr<int> Half(int v) {
  if (v % 2 != 0) return absl::InvalidArgumentError("odd");
  return v / 2;
}

absl::StatusOr<int> Quarter(int v) {
  COFFER_ASSIGN_OR_RETURN(int half, Half(v));
  COFFER_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status Check(int v) {
  COFFER_RETURN_IF_ERROR(Half(v).status());
  return absl::OkStatus();
}

TEST_CASE("status macros pass values and return errors", "[base]") {
  CHECK(*Quarter(8) == 2);
  CHECK(Quarter(6).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(Check(2).ok());
  CHECK(absl::IsInvalidArgument(Check(3)));
}

}  // namespace
}  // namespace coffer::base
