#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "hcl/internal.h"

namespace coffer::hcl::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Digits from text[i]; returns the index after them.
size_t Digits(absl::string_view text, size_t i) {
  while (i < text.size() && IsDigit(text[i])) ++i;
  return i;
}

}  // namespace

absl::Status Error(Pos pos, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("hcl: ", pos.line, ":", pos.column, ": ", what));
}

size_t NumberPrefix(absl::string_view text) {
  size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  if (i >= text.size() || !IsDigit(text[i])) return 0;
  i = text[i] == '0' ? i + 1 : Digits(text, i);
  if (i + 1 < text.size() && text[i] == '.' && IsDigit(text[i + 1])) {
    i = Digits(text, i + 1);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    if (j < text.size() && IsDigit(text[j])) i = Digits(text, j);
  }
  return i;
}

absl::Status ParseNumber(absl::string_view text, Pos pos, Value* out) {
  if (text.empty() || NumberPrefix(text) != text.size()) {
    return Error(pos, absl::StrCat("bad number \"", text, "\""));
  }
  double d = 0;
  if (!absl::SimpleAtod(text, &d) || !std::isfinite(d)) {
    return Error(pos, absl::StrCat("number out of range \"", text, "\""));
  }
  out->kind = Value::Kind::kNumber;
  out->pos = pos;
  out->string = std::string(text);
  out->number = d;
  out->is_integer = text.find_first_of(".eE") == absl::string_view::npos &&
                    absl::SimpleAtoi(text, &out->integer);
  if (!out->is_integer) out->integer = 0;
  return absl::OkStatus();
}

bool ParseHex(absl::string_view text, size_t n, uint32_t* out) {
  if (text.size() < n) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = text[i];
    int d = 0;
    if (IsDigit(c)) {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return false;
    }
    v = v * 16 + static_cast<uint32_t>(d);
  }
  *out = v;
  return true;
}

bool AppendUtf8(uint32_t c, std::string* out) {
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return false;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
  return true;
}

absl::Status CheckLabels(const Block& block, const Options& options) {
  auto it = options.block_labels.find(block.type);
  if (it == options.block_labels.end() ||
      static_cast<size_t>(it->second) == block.labels.size()) {
    return absl::OkStatus();
  }
  return Error(block.pos,
               absl::StrCat("block \"", block.type, "\" takes ", it->second,
                            it->second == 1 ? " label" : " labels", ", not ",
                            block.labels.size()));
}

}  // namespace coffer::hcl::internal
