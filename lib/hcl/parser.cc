// The HCL grammar (hcl.h) by recursive descent over the Scanner's tokens,
// one token of lookahead. Every recursion counts depth against kMaxDepth.
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "hcl/internal.h"
#include "hcl/scanner.h"

namespace coffer::hcl {
namespace {

using internal::Error;
using internal::Token;
using K = Token::Kind;

// The keys seen so far in one body or object, and where.
using Seen = std::map<std::string, Pos, std::less<>>;

// Records `key` at `pos`; an error if it was seen before.
absl::Status Once(Seen* seen, const std::string& key, Pos pos,
                  absl::string_view what) {
  auto [it, fresh] = seen->emplace(key, pos);
  if (fresh) return absl::OkStatus();
  return Error(pos,
               absl::StrCat("duplicate ", what, " \"", key, "\" (first at ",
                            it->second.line, ":", it->second.column, ")"));
}

class Parser {
 public:
  Parser(absl::string_view text, const Options& options)
      : scanner_(text), options_(options) {}

  absl::StatusOr<Body> Run() {
    COFFER_RETURN_IF_ERROR(Shift());
    Body body;
    COFFER_RETURN_IF_ERROR(ParseBody(&body, /*depth=*/0, nullptr));
    return body;
  }

 private:
  // Moves to the next token.
  absl::Status Shift() {
    COFFER_ASSIGN_OR_RETURN(tok_, scanner_.Next());
    return absl::OkStatus();
  }

  absl::Status Deeper(int depth, Pos pos) {
    if (depth > kMaxDepth) {
      return Error(pos, absl::StrCat("nested deeper than ", kMaxDepth));
    }
    return absl::OkStatus();
  }

  // The current token must be a key: an identifier or a quoted string.
  absl::Status ExpectKey() const {
    if (tok_.heredoc) return Error(tok_.pos, "a heredoc cannot be a key");
    if (tok_.kind == K::kIdent || tok_.kind == K::kString) {
      return absl::OkStatus();
    }
    return Error(tok_.pos,
                 absl::StrCat("expected a key, found ", TokenName(tok_.kind)));
  }

  // Items up to `}` (consumed) or, at the top (open == nullptr), the end.
  absl::Status ParseBody(Body* body, int depth, const Block* open) {
    Seen seen;
    while (true) {
      if (tok_.kind == K::kEof) {
        if (open == nullptr) return absl::OkStatus();
        return Error(open->pos,
                     absl::StrCat("unterminated block \"", open->type,
                                  "\" (no closing '}')"));
      }
      if (tok_.kind == K::kRBrace && open != nullptr) return Shift();
      COFFER_RETURN_IF_ERROR(ExpectKey());
      COFFER_RETURN_IF_ERROR(ParseItem(body, depth, &seen));
      if (tok_.kind == K::kComma) COFFER_RETURN_IF_ERROR(Shift());
    }
  }

  // `key = value`, `key = { body }` or `key "label"... { body }`.
  absl::Status ParseItem(Body* body, int depth, Seen* seen) {
    std::string key = std::move(tok_.text);
    const Pos key_pos = tok_.pos;
    COFFER_RETURN_IF_ERROR(Shift());
    Block block;
    block.type = key;
    block.pos = key_pos;
    if (tok_.kind == K::kAssign) {
      COFFER_RETURN_IF_ERROR(Shift());
      if (tok_.kind != K::kLBrace) {
        Attribute attr{std::move(key), key_pos, Value{}};
        COFFER_RETURN_IF_ERROR(ParseValue(&attr.value, depth));
        COFFER_RETURN_IF_ERROR(Once(seen, attr.key, key_pos, "attribute"));
        body->attributes.push_back(std::move(attr));
        return absl::OkStatus();
      }
    } else {
      while (tok_.kind == K::kString) {
        if (tok_.heredoc) {
          return Error(tok_.pos, "a heredoc cannot be a block label");
        }
        block.labels.push_back(std::move(tok_.text));
        const Pos label_pos = tok_.pos;
        COFFER_RETURN_IF_ERROR(Shift());
        if (tok_.kind != K::kLBrace && tok_.kind != K::kString &&
            block.labels.size() == 1) {
          return Error(label_pos,
                       absl::StrCat("expected '=' after \"", key, "\""));
        }
      }
      if (tok_.kind != K::kLBrace) {
        return Error(tok_.pos,
                     absl::StrCat(block.labels.empty()
                                      ? "expected '=' or '{' after \""
                                      : "expected '{' after the labels of \"",
                                  key, "\", found ", TokenName(tok_.kind)));
      }
    }
    COFFER_RETURN_IF_ERROR(internal::CheckLabels(block, options_));
    COFFER_RETURN_IF_ERROR(Deeper(depth + 1, tok_.pos));
    COFFER_RETURN_IF_ERROR(Shift());  // '{'
    COFFER_RETURN_IF_ERROR(ParseBody(&block.body, depth + 1, &block));
    body->blocks.push_back(std::move(block));
    return absl::OkStatus();
  }

  absl::Status ParseValue(Value* v, int depth) {
    v->pos = tok_.pos;
    switch (tok_.kind) {
      case K::kString:
        v->kind = Value::Kind::kString;
        v->string = std::move(tok_.text);
        return Shift();
      case K::kNumber:
        COFFER_RETURN_IF_ERROR(internal::ParseNumber(tok_.text, tok_.pos, v));
        return Shift();
      case K::kIdent:
        if (tok_.text != "true" && tok_.text != "false") {
          return Error(tok_.pos,
                       absl::StrCat("unexpected identifier ", tok_.text,
                                    " (a string value needs quotes)"));
        }
        v->kind = Value::Kind::kBool;
        v->boolean = tok_.text == "true";
        return Shift();
      case K::kLBracket:
        return ParseList(v, depth + 1);
      case K::kLBrace:
        return ParseObject(v, depth + 1);
      default:
        return Error(tok_.pos, absl::StrCat("expected a value, found ",
                                            TokenName(tok_.kind)));
    }
  }

  // '[' (value (',' value)* ','?)? ']'
  absl::Status ParseList(Value* v, int depth) {
    const Pos open = tok_.pos;
    COFFER_RETURN_IF_ERROR(Deeper(depth, open));
    v->kind = Value::Kind::kList;
    COFFER_RETURN_IF_ERROR(Shift());
    while (tok_.kind != K::kRBracket) {
      if (tok_.kind == K::kEof) {
        return Error(open, "unterminated list (no closing ']')");
      }
      v->list.emplace_back();
      COFFER_RETURN_IF_ERROR(ParseValue(&v->list.back(), depth));
      if (tok_.kind == K::kComma) {
        COFFER_RETURN_IF_ERROR(Shift());
      } else if (tok_.kind != K::kRBracket) {
        if (tok_.kind == K::kEof) {
          return Error(open, "unterminated list (no closing ']')");
        }
        return Error(tok_.pos, absl::StrCat("expected ',' or ']' in a list, "
                                            "found ",
                                            TokenName(tok_.kind)));
      }
    }
    return Shift();
  }

  // '{' (key '=' value ','?)* '}', inside a list.
  absl::Status ParseObject(Value* v, int depth) {
    const Pos open = tok_.pos;
    COFFER_RETURN_IF_ERROR(Deeper(depth, open));
    v->kind = Value::Kind::kObject;
    Seen seen;
    COFFER_RETURN_IF_ERROR(Shift());
    while (tok_.kind != K::kRBrace) {
      if (tok_.kind == K::kEof) {
        return Error(open, "unterminated object (no closing '}')");
      }
      COFFER_RETURN_IF_ERROR(ExpectKey());
      Attribute attr{std::move(tok_.text), tok_.pos, Value{}};
      COFFER_RETURN_IF_ERROR(Shift());
      if (tok_.kind != K::kAssign) {
        return Error(tok_.pos,
                     absl::StrCat("expected '=' after \"", attr.key, "\""));
      }
      COFFER_RETURN_IF_ERROR(Shift());
      COFFER_RETURN_IF_ERROR(ParseValue(&attr.value, depth));
      COFFER_RETURN_IF_ERROR(Once(&seen, attr.key, attr.pos, "key"));
      v->object.push_back(std::move(attr));
      if (tok_.kind == K::kComma) COFFER_RETURN_IF_ERROR(Shift());
    }
    return Shift();
  }

  internal::Scanner scanner_;
  const Options& options_;
  Token tok_;
};

}  // namespace

absl::StatusOr<Body> Parse(absl::string_view text, const Options& options) {
  if (text.size() > kMaxInputBytes) {
    return Error(Pos{1, 1},
                 absl::StrCat("input larger than ", kMaxInputBytes, " bytes"));
  }
  return Parser(text, options).Run();
}

}  // namespace coffer::hcl
