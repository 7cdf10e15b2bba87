// Parsing HCL and HCL's JSON form: kInvalidArgument, or a tree whose
// canonical rendering parses back to the same tree.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "hcl/hcl.h"

namespace {

void Check(const absl::StatusOr<coffer::hcl::Body>& body) {
  if (!body.ok()) {
    if (!absl::IsInvalidArgument(body.status())) std::abort();
    return;
  }
  const std::string text = coffer::hcl::Format(*body);
  absl::StatusOr<coffer::hcl::Body> again = coffer::hcl::Parse(text);
  if (!again.ok() || coffer::hcl::Format(*again) != text) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  coffer::hcl::Options options;
  options.block_labels = {{"path", 1}, {"storage", 1}, {"retry_join", 0}};
  Check(coffer::hcl::Parse(text));
  Check(coffer::hcl::Parse(text, options));
  Check(coffer::hcl::ParseJson(text));
  Check(coffer::hcl::ParseJson(text, options));
  return 0;
}
