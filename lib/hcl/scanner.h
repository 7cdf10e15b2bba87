// The HCL tokenizer: comments and whitespace (newlines included: HCL 1 does
// not need them) are skipped; strings and heredocs arrive decoded.
#ifndef COFFER_LIB_HCL_SCANNER_H_
#define COFFER_LIB_HCL_SCANNER_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hcl/hcl.h"

namespace coffer::hcl::internal {

struct Token {
  enum class Kind {
    kEof,
    kIdent,
    kString,  // a quoted string or a heredoc; `text` is decoded
    kNumber,  // `text` is the source text
    kAssign,
    kComma,
    kLBrace,
    kRBrace,
    kLBracket,
    kRBracket,
  };
  Kind kind = Kind::kEof;
  Pos pos;
  std::string text;
  bool heredoc = false;  // kString from <<EOF: a value, never a key or label
};

// "'{'", "a string", ...: for error messages.
absl::string_view TokenName(Token::Kind kind);

// Thread-compatible; borrows `text`, which must outlive the scanner.
class Scanner {
 public:
  explicit Scanner(absl::string_view text) : text_(text) {}

  // The next token; kInvalidArgument for a malformed one (unterminated
  // string, heredoc or comment, bad escape, bad number, stray character).
  absl::StatusOr<Token> Next();

 private:
  Pos Here() const {
    return Pos{line_, static_cast<int>(i_ - line_start_) + 1};
  }
  // Moves past text_[i_], counting lines.
  void Advance();
  absl::Status SkipSpaceAndComments();
  absl::Status QuotedString(Token* token);
  absl::Status Heredoc(Token* token);

  absl::string_view text_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;  // index of the current line's first byte
};

}  // namespace coffer::hcl::internal

#endif  // COFFER_LIB_HCL_SCANNER_H_
