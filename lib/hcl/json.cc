// HCL's JSON form: a strict RFC 8259 reader into a small positioned JSON
// tree, then HCL 1's mapping of that tree onto a Body (hcl.h).
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "hcl/internal.h"

namespace coffer::hcl {
namespace {

using internal::Error;

struct JNode {
  enum class Kind { kObject, kArray, kString, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  Pos pos;
  std::string text;               // kString: decoded; kNumber: source text
  bool boolean = false;           // kBool
  std::vector<JNode> items;       // kArray elements, or kObject values
  std::vector<std::string> keys;  // kObject: the key of each item
  std::vector<Pos> key_pos;       // kObject: where each key starts
};

class Reader {
 public:
  explicit Reader(absl::string_view text) : text_(text) {}

  absl::StatusOr<JNode> Document() {
    SkipSpace();
    JNode root;
    COFFER_RETURN_IF_ERROR(ParseValue(&root, 0));
    SkipSpace();
    if (i_ < text_.size()) {
      return Error(Here(), "unexpected text after the JSON document");
    }
    return root;
  }

 private:
  Pos Here() const {
    return Pos{line_, static_cast<int>(i_ - line_start_) + 1};
  }
  void Advance() {
    if (text_[i_] == '\n') {
      ++line_;
      line_start_ = i_ + 1;
    }
    ++i_;
  }
  void SkipSpace() {
    while (i_ < text_.size() && (text_[i_] == ' ' || text_[i_] == '\t' ||
                                 text_[i_] == '\n' || text_[i_] == '\r')) {
      Advance();
    }
  }
  char Peek() const { return i_ < text_.size() ? text_[i_] : '\0'; }

  absl::Status ParseValue(JNode* n, int depth) {
    n->pos = Here();
    if (i_ == text_.size()) return Error(n->pos, "expected a JSON value");
    const char c = text_[i_];
    if (c == '{' || c == '[') {
      if (depth > kMaxDepth) {
        return Error(n->pos, absl::StrCat("nested deeper than ", kMaxDepth));
      }
      return c == '{' ? ParseObject(n, depth) : ParseArray(n, depth);
    }
    if (c == '"') {
      n->kind = JNode::Kind::kString;
      return ParseString(&n->text);
    }
    // A number or a literal: the run of characters that could belong to
    // one, so "1x" or "tru" is one bad token.
    size_t end = i_;
    while (end < text_.size() &&
           (absl::ascii_isalnum(static_cast<unsigned char>(text_[end])) ||
            text_[end] == '.' || text_[end] == '+' || text_[end] == '-')) {
      ++end;
    }
    const absl::string_view run = text_.substr(i_, end - i_);
    if (run == "true" || run == "false") {
      n->kind = JNode::Kind::kBool;
      n->boolean = run == "true";
    } else if (run == "null") {
      n->kind = JNode::Kind::kNull;
    } else if (!run.empty() &&
               (run[0] == '-' ||
                absl::ascii_isdigit(static_cast<unsigned char>(run[0])))) {
      if (internal::NumberPrefix(run) != run.size()) {
        return Error(n->pos, absl::StrCat("bad number \"", run, "\""));
      }
      n->kind = JNode::Kind::kNumber;
      n->text = std::string(run);
    } else if (!run.empty()) {
      return Error(n->pos, absl::StrCat("unexpected \"", run, "\""));
    } else {
      return Error(n->pos, "expected a JSON value");
    }
    i_ = end;
    return absl::OkStatus();
  }

  absl::Status ParseObject(JNode* n, int depth) {
    const Pos open = Here();
    n->kind = JNode::Kind::kObject;
    Advance();
    SkipSpace();
    if (Peek() == '}') {
      Advance();
      return absl::OkStatus();
    }
    std::map<std::string, Pos, std::less<>> seen;
    while (true) {
      if (i_ == text_.size()) {
        return Error(open, "unterminated object (no closing '}')");
      }
      const Pos key_pos = Here();
      if (Peek() != '"') return Error(key_pos, "expected a quoted key");
      std::string key;
      COFFER_RETURN_IF_ERROR(ParseString(&key));
      if (auto [it, fresh] = seen.emplace(key, key_pos); !fresh) {
        return Error(key_pos, absl::StrCat("duplicate key \"", key,
                                           "\" (first at ", it->second.line,
                                           ":", it->second.column, ")"));
      }
      SkipSpace();
      if (Peek() != ':') return Error(Here(), "expected ':' after the key");
      Advance();
      SkipSpace();
      n->keys.push_back(std::move(key));
      n->key_pos.push_back(key_pos);
      n->items.emplace_back();
      COFFER_RETURN_IF_ERROR(ParseValue(&n->items.back(), depth + 1));
      COFFER_ASSIGN_OR_RETURN(bool closed, EndOfItem('}', open, "object"));
      if (closed) return absl::OkStatus();
    }
  }

  // After an item of the object or array opened at `open`: takes a ','
  // (false: another item follows) or `close` (true: the value ends).
  absl::StatusOr<bool> EndOfItem(char close, Pos open, absl::string_view what) {
    SkipSpace();
    if (Peek() == ',') {
      Advance();
      SkipSpace();
      return false;
    }
    if (Peek() == close) {
      Advance();
      return true;
    }
    const std::string closer(1, close);
    if (i_ == text_.size()) {
      return Error(open, absl::StrCat("unterminated ", what, " (no closing '",
                                      closer, "')"));
    }
    return Error(Here(),
                 absl::StrCat("expected ',' or '", closer, "' in an ", what));
  }

  absl::Status ParseArray(JNode* n, int depth) {
    const Pos open = Here();
    n->kind = JNode::Kind::kArray;
    Advance();
    SkipSpace();
    if (Peek() == ']') {
      Advance();
      return absl::OkStatus();
    }
    while (true) {
      if (i_ == text_.size()) {
        return Error(open, "unterminated array (no closing ']')");
      }
      n->items.emplace_back();
      COFFER_RETURN_IF_ERROR(ParseValue(&n->items.back(), depth + 1));
      COFFER_ASSIGN_OR_RETURN(bool closed, EndOfItem(']', open, "array"));
      if (closed) return absl::OkStatus();
    }
  }

  // A string at text_[i_] == '"'.
  absl::Status ParseString(std::string* out) {
    const Pos start = Here();
    Advance();
    while (true) {
      if (i_ == text_.size()) return Error(start, "unterminated string");
      const char c = text_[i_];
      if (c == '"') {
        Advance();
        return absl::OkStatus();
      }
      if (static_cast<unsigned char>(c) < 0x20) {
        if (c == '\n') return Error(start, "unterminated string");
        return Error(Here(), "control character in a string (escape it)");
      }
      if (c != '\\') {
        out->push_back(c);
        Advance();
        continue;
      }
      const Pos esc = Here();
      const char e = i_ + 1 < text_.size() ? text_[i_ + 1] : '\0';
      static constexpr absl::string_view kFrom = "\"\\/bfnrt";
      static constexpr absl::string_view kTo = "\"\\/\b\f\n\r\t";
      if (const size_t k = kFrom.find(e);
          e != '\0' && k != absl::string_view::npos) {
        out->push_back(kTo[k]);
        Advance();
        Advance();
        continue;
      }
      if (e != 'u') {
        if (e == '\0') return Error(start, "unterminated string");
        return Error(esc, absl::StrCat("unknown escape \\", std::string(1, e)));
      }
      uint32_t code = 0;
      size_t len = 6;
      bool ok = internal::ParseHex(text_.substr(i_ + 2), 4, &code);
      if (ok && code >= 0xD800 && code <= 0xDBFF) {
        // A high surrogate: a low one must follow.
        uint32_t low = 0;
        ok = text_.substr(i_ + 6, 2) == "\\u" &&
             internal::ParseHex(text_.substr(i_ + 8), 4, &low) &&
             low >= 0xDC00 && low <= 0xDFFF;
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        len = 12;
      }
      if (!ok || !internal::AppendUtf8(code, out)) {
        return Error(esc, "bad \\u escape");
      }
      for (size_t k = 0; k < len; ++k) Advance();
    }
  }

  absl::string_view text_;
  size_t i_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
};

bool AllObjects(const JNode& n) {
  if (n.items.empty()) return false;
  for (const JNode& item : n.items) {
    if (item.kind != JNode::Kind::kObject) return false;
  }
  return true;
}

class Mapper {
 public:
  explicit Mapper(const Options& options) : options_(options) {}

  absl::Status ToBody(const JNode& obj, Body* body) {
    for (size_t i = 0; i < obj.items.size(); ++i) {
      const JNode& v = obj.items[i];
      if (v.kind == JNode::Kind::kObject) {
        COFFER_RETURN_IF_ERROR(
            AddBlock(obj.keys[i], obj.key_pos[i], {}, v, body));
      } else if (v.kind == JNode::Kind::kArray && AllObjects(v)) {
        for (const JNode& e : v.items) {
          COFFER_RETURN_IF_ERROR(AddBlock(obj.keys[i], e.pos, {}, e, body));
        }
      } else {
        Attribute a{obj.keys[i], obj.key_pos[i], Value{}};
        COFFER_RETURN_IF_ERROR(ToValue(v, &a.value));
        body->attributes.push_back(std::move(a));
      }
    }
    return absl::OkStatus();
  }

 private:
  // A block of `type` whose labels so far are `labels`, from object `obj`.
  absl::Status AddBlock(const std::string& type, Pos pos,
                        std::vector<std::string> labels, const JNode& obj,
                        Body* body) {
    auto want = options_.block_labels.find(type);
    const bool known = want != options_.block_labels.end();
    if (known ? labels.size() < static_cast<size_t>(want->second)
              : AllObjects(obj)) {
      if (obj.items.empty()) {
        return Error(obj.pos, absl::StrCat("block \"", type, "\" takes ",
                                           want->second, " label(s)"));
      }
      for (size_t i = 0; i < obj.items.size(); ++i) {
        std::vector<std::string> more = labels;
        more.push_back(obj.keys[i]);
        const JNode& v = obj.items[i];
        if (v.kind == JNode::Kind::kObject) {
          COFFER_RETURN_IF_ERROR(AddBlock(type, obj.key_pos[i], more, v, body));
        } else if (v.kind == JNode::Kind::kArray && AllObjects(v)) {
          for (const JNode& e : v.items) {
            COFFER_RETURN_IF_ERROR(AddBlock(type, e.pos, more, e, body));
          }
        } else {
          return Error(obj.key_pos[i],
                       absl::StrCat("block \"", type, "\" takes ", want->second,
                                    " label(s): expected an object here"));
        }
      }
      return absl::OkStatus();
    }
    Block b;
    b.type = type;
    b.labels = std::move(labels);
    b.pos = pos;
    COFFER_RETURN_IF_ERROR(ToBody(obj, &b.body));
    body->blocks.push_back(std::move(b));
    return absl::OkStatus();
  }

  absl::Status ToValue(const JNode& n, Value* v) {
    v->pos = n.pos;
    switch (n.kind) {
      case JNode::Kind::kString:
        v->kind = Value::Kind::kString;
        v->string = n.text;
        return absl::OkStatus();
      case JNode::Kind::kNumber:
        return internal::ParseNumber(n.text, n.pos, v);
      case JNode::Kind::kBool:
        v->kind = Value::Kind::kBool;
        v->boolean = n.boolean;
        return absl::OkStatus();
      case JNode::Kind::kNull:
        return Error(n.pos, "null is not a value in HCL");
      case JNode::Kind::kArray:
        v->kind = Value::Kind::kList;
        v->list.resize(n.items.size());
        for (size_t i = 0; i < n.items.size(); ++i) {
          COFFER_RETURN_IF_ERROR(ToValue(n.items[i], &v->list[i]));
        }
        return absl::OkStatus();
      case JNode::Kind::kObject:
        v->kind = Value::Kind::kObject;
        v->object.resize(n.items.size());
        for (size_t i = 0; i < n.items.size(); ++i) {
          v->object[i].key = n.keys[i];
          v->object[i].pos = n.key_pos[i];
          COFFER_RETURN_IF_ERROR(ToValue(n.items[i], &v->object[i].value));
        }
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  const Options& options_;
};

}  // namespace

absl::StatusOr<Body> ParseJson(absl::string_view json, const Options& options) {
  if (json.size() > kMaxInputBytes) {
    return Error(Pos{1, 1},
                 absl::StrCat("input larger than ", kMaxInputBytes, " bytes"));
  }
  COFFER_ASSIGN_OR_RETURN(JNode root, Reader(json).Document());
  if (root.kind != JNode::Kind::kObject) {
    return Error(root.pos, "a JSON document for HCL must be an object");
  }
  Body body;
  COFFER_RETURN_IF_ERROR(Mapper(options).ToBody(root, &body));
  return body;
}

}  // namespace coffer::hcl
