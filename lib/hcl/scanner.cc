#include "hcl/scanner.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "hcl/internal.h"

namespace coffer::hcl::internal {
namespace {

bool IsIdentStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool IsIdentChar(char c) {
  return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

// A printable rendering of one byte for messages.
std::string Show(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return absl::StrCat("'", std::string(1, c), "'");
  return absl::StrCat("byte 0x", absl::Hex(u, absl::kZeroPad2));
}

}  // namespace

absl::string_view TokenName(Token::Kind kind) {
  switch (kind) {
    case Token::Kind::kEof:
      return "the end of the input";
    case Token::Kind::kIdent:
      return "an identifier";
    case Token::Kind::kString:
      return "a string";
    case Token::Kind::kNumber:
      return "a number";
    case Token::Kind::kAssign:
      return "'='";
    case Token::Kind::kComma:
      return "','";
    case Token::Kind::kLBrace:
      return "'{'";
    case Token::Kind::kRBrace:
      return "'}'";
    case Token::Kind::kLBracket:
      return "'['";
    case Token::Kind::kRBracket:
      return "']'";
  }
  return "a token";
}

void Scanner::Advance() {
  if (text_[i_] == '\n') {
    ++line_;
    line_start_ = i_ + 1;
  }
  ++i_;
}

absl::Status Scanner::SkipSpaceAndComments() {
  while (i_ < text_.size()) {
    const char c = text_[i_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      Advance();
    } else if (c == '#' || (c == '/' && text_.substr(i_, 2) == "//")) {
      while (i_ < text_.size() && text_[i_] != '\n') Advance();
    } else if (c == '/' && text_.substr(i_, 2) == "/*") {
      const Pos start = Here();
      const size_t end = text_.find("*/", i_ + 2);
      if (end == absl::string_view::npos) {
        return Error(start, "unterminated comment (no closing */)");
      }
      while (i_ < end + 2) Advance();
    } else {
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Token> Scanner::Next() {
  if (absl::Status s = SkipSpaceAndComments(); !s.ok()) return s;
  Token t;
  t.pos = Here();
  if (i_ == text_.size()) return t;  // kEof
  const char c = text_[i_];
  using K = Token::Kind;
  auto punct = [&](K kind) {
    t.kind = kind;
    Advance();
    return t;
  };
  switch (c) {
    case '=':
      return punct(K::kAssign);
    case ',':
      return punct(K::kComma);
    case '{':
      return punct(K::kLBrace);
    case '}':
      return punct(K::kRBrace);
    case '[':
      return punct(K::kLBracket);
    case ']':
      return punct(K::kRBracket);
    case '"':
      if (absl::Status s = QuotedString(&t); !s.ok()) return s;
      return t;
    default:
      break;
  }
  if (c == '<' && text_.substr(i_, 2) == "<<") {
    if (absl::Status s = Heredoc(&t); !s.ok()) return s;
    return t;
  }
  if (IsIdentStart(c)) {
    const size_t start = i_;
    while (i_ < text_.size() && IsIdentChar(text_[i_])) Advance();
    t.kind = K::kIdent;
    t.text = std::string(text_.substr(start, i_ - start));
    return t;
  }
  if (c == '-' || (c >= '0' && c <= '9')) {
    // The longest run that could be meant as one number, so "10s", "1.2.3"
    // and "0755" are one bad number rather than a number and a surprise.
    size_t end = i_ + 1;
    while (end < text_.size() &&
           (IsIdentChar(text_[end]) ||
            ((text_[end] == '+' || text_[end] == '-') &&
             (text_[end - 1] == 'e' || text_[end - 1] == 'E')))) {
      ++end;
    }
    const absl::string_view run = text_.substr(i_, end - i_);
    if (NumberPrefix(run) != run.size()) {
      return Error(t.pos, absl::StrCat("bad number \"", run, "\""));
    }
    t.kind = K::kNumber;
    t.text = std::string(run);
    i_ = end;
    return t;
  }
  return Error(t.pos, absl::StrCat("unexpected ", Show(c)));
}

absl::Status Scanner::QuotedString(Token* token) {
  const Pos start = Here();
  Advance();  // the opening quote
  std::string out;
  while (true) {
    if (i_ == text_.size() || text_[i_] == '\n') {
      return Error(start, "unterminated string");
    }
    const char c = text_[i_];
    if (c == '"') {
      Advance();
      break;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return Error(Here(), absl::StrCat("control character ", Show(c),
                                        " in a string (escape it)"));
    }
    if (c != '\\') {
      out.push_back(c);
      Advance();
      continue;
    }
    const Pos esc = Here();
    const char e = i_ + 1 < text_.size() ? text_[i_ + 1] : '\0';
    size_t hex = 0;
    switch (e) {
      case '"':
      case '\\':
        out.push_back(e);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'u':
        hex = 4;
        break;
      case 'U':
        hex = 8;
        break;
      default:
        if (e == '\n' || e == '\0') return Error(start, "unterminated string");
        return Error(esc, absl::StrCat("unknown escape \\", std::string(1, e)));
    }
    uint32_t code = 0;
    if (hex != 0 && (!ParseHex(text_.substr(i_ + 2), hex, &code) ||
                     !AppendUtf8(code, &out))) {
      return Error(
          esc, absl::StrCat("bad escape \\", std::string(1, e), ": needs ", hex,
                            " hex digits of a Unicode scalar value"));
    }
    for (size_t n = 0; n < 2 + hex; ++n) Advance();
  }
  token->kind = Token::Kind::kString;
  token->text = std::move(out);
  return absl::OkStatus();
}

absl::Status Scanner::Heredoc(Token* token) {
  const Pos start = Here();
  size_t j = i_ + 2;
  const bool indented = j < text_.size() && text_[j] == '-';
  if (indented) ++j;
  const size_t anchor_start = j;
  while (j < text_.size() && IsIdentChar(text_[j])) ++j;
  const absl::string_view anchor = text_.substr(anchor_start, j - anchor_start);
  if (anchor.empty() || !IsIdentStart(anchor[0])) {
    return Error(start, "a heredoc needs an identifier after << or <<-");
  }
  if (j < text_.size() && text_[j] == '\r') ++j;
  if (j >= text_.size() || text_[j] != '\n') {
    return Error(start, "a heredoc's anchor must end its line");
  }
  // Lines after the anchor's, up to the closing one.
  std::vector<absl::string_view> lines;
  size_t line_begin = j + 1;
  bool closed = false;
  size_t end = text_.size();
  while (line_begin < text_.size()) {
    size_t nl = text_.find('\n', line_begin);
    const size_t next = nl == absl::string_view::npos ? text_.size() : nl + 1;
    if (nl == absl::string_view::npos) nl = text_.size();
    absl::string_view line = text_.substr(line_begin, nl - line_begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    absl::string_view trimmed = line;
    if (indented) {
      while (!trimmed.empty() && (trimmed[0] == ' ' || trimmed[0] == '\t')) {
        trimmed.remove_prefix(1);
      }
    }
    if (trimmed == anchor) {
      closed = true;
      end = nl;
      break;
    }
    lines.push_back(line);
    line_begin = next;
  }
  if (!closed) {
    return Error(
        start, absl::StrCat("unterminated heredoc (no line \"", anchor, "\")"));
  }
  size_t strip = 0;
  if (indented) {
    strip = std::string::npos;
    for (absl::string_view line : lines) {
      const size_t n = line.find_first_not_of(" \t");
      if (n != absl::string_view::npos) strip = std::min(strip, n);
    }
    if (strip == std::string::npos) strip = 0;
  }
  std::string out;
  for (absl::string_view line : lines) {
    absl::StrAppend(&out, line.substr(std::min(strip, line.size())), "\n");
  }
  while (i_ < end) Advance();
  token->kind = Token::Kind::kString;
  token->text = std::move(out);
  token->heredoc = true;
  return absl::OkStatus();
}

}  // namespace coffer::hcl::internal
