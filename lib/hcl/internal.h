// Helpers shared by the HCL and JSON readers (not part of hcl.h's API).
#ifndef COFFER_LIB_HCL_INTERNAL_H_
#define COFFER_LIB_HCL_INTERNAL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hcl/hcl.h"

namespace coffer::hcl::internal {

// absl::InvalidArgumentError("hcl: <line>:<col>: <what>").
absl::Status Error(Pos pos, absl::string_view what);

// Fills a kNumber value from `text`, which must match JSON's number grammar
// in full. kInvalidArgument at `pos` otherwise, or when it overflows a
// double.
absl::Status ParseNumber(absl::string_view text, Pos pos, Value* out);

// The length of the longest prefix of `text` in JSON's number grammar
// (0 when there is none).
size_t NumberPrefix(absl::string_view text);

// Reads 4 (or 8) hex digits at text[0..n); false if they are not.
bool ParseHex(absl::string_view text, size_t n, uint32_t* out);

// Appends code point `c` as UTF-8; false for a surrogate or c > 0x10FFFF.
bool AppendUtf8(uint32_t c, std::string* out);

// Checks a block's label count against options.block_labels.
absl::Status CheckLabels(const Block& block, const Options& options);

}  // namespace coffer::hcl::internal

#endif  // COFFER_LIB_HCL_INTERNAL_H_
