// HCL 1 as HashiCorp Vault uses it (policies and server configuration files)
// and its JSON form, read into one small tree.
//
// The HCL subset, complete as Vault's policy and configuration docs use it:
//   - A body is a sequence of attributes `key = value` and blocks
//     `type "label" ... { body }` (zero or more quoted labels), separated by
//     newlines or optional commas. Keys are identifiers
//     ([A-Za-z_][A-Za-z0-9_.-]*) or quoted strings. Labels are quoted.
//   - Values: quoted strings with the escapes \" \\ \n \t \r \uXXXX
//     \UXXXXXXXX (one line; "${...}" is plain text, nothing interpolates);
//     heredocs `<<EOF` ... `EOF` (the text keeps its final newline) and
//     `<<-EOF`, whose closing anchor may be indented and whose lines lose
//     their common leading whitespace; numbers in JSON's grammar
//     (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: no leading zeros, no
//     octal or hex); true and false; lists `[a, b,]` (a trailing comma is
//     allowed); objects `{ a = 1, b = "x" }`.
//   - Comments: `#` and `//` to the end of the line, `/* ... */` (not
//     nested).
//
// The tree. An attribute whose value is an object, `key = { ... }`, is the
// block `key { ... }`: HCL 1 does not tell them apart, and so Vault's
// `allowed_parameters = { "bar" = [] }` and its JSON form give the same
// tree. Objects remain Values only inside lists (and inside those objects).
// Each Body keeps its attributes and its blocks, each in source order; every
// node carries the line and column (1-based, in bytes) where it starts, so a
// caller can report "file:line:col: key: what is wrong".
//
// Decisions:
//   - An attribute defined twice in one body, or a key twice in one object,
//     is an error: Vault deprecated duplicates in 1.19.6/1.20 (the last
//     one won, with a warning) and has since moved to refusing them; a
//     silently ignored line in a policy is worse than a refused file.
//     Blocks repeat freely (`path` ... `path`, `listener` ... `listener`).
//   - Input over kMaxInputBytes and nesting deeper than kMaxDepth (bodies,
//     lists and objects together) are refused, so hostile input cannot
//     exhaust the stack or the memory.
//
// The JSON form (ParseJson, RFC 8259 strictly: no comments, no trailing
// commas) maps onto the same tree with HCL 1's rule:
//   - The document is an object: a body.
//   - In a body, a member whose value is an object is a block of that type;
//     one whose value is a non-empty array of objects is one block of that
//     type per element; any other member is an attribute.
//   - A block takes labels from nested objects: while every member of its
//     object is itself an object (and there is at least one), each member is
//     a block with its key appended to the labels:
//       {"path": {"secret/*": {"capabilities": ["read"]}}}
//     is `path "secret/*" { capabilities = ["read"] }`, and
//       {"path": {"a": {...}, "b": {...}}} is two path blocks.
//     Where that rule guesses wrong (a block with only blocks inside, such
//     as storage "raft" holding only retry_join), Options::block_labels
//     names how many labels a block type takes, and exactly that many are
//     taken.
//   - null is refused: HCL has no null.
//
// Errors: every malformed input is absl::InvalidArgumentError("hcl:
// <line>:<col>: <what>"), with the position of the offending token (of the
// opening quote, `<<`, `/*`, `{` or `[` for an unterminated one). The
// parsers never crash and never abort on any input.
//
// Thread-safety: the functions are pure and may run concurrently; the tree
// is plain values (thread-compatible), owned by the caller, with no pointers
// into the input text.
#ifndef COFFER_LIB_HCL_HCL_H_
#define COFFER_LIB_HCL_HCL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace coffer::hcl {

// Refused above these: the input's size, and the nesting of bodies, lists
// and objects.
inline constexpr size_t kMaxInputBytes = 1 << 20;
inline constexpr int kMaxDepth = 64;

// A position in the input: 1-based line and column (the column counts
// bytes, a tab is one).
struct Pos {
  int line = 0;
  int column = 0;
};

struct Attribute;

struct Value {
  enum class Kind { kString, kNumber, kBool, kList, kObject };

  Kind kind = Kind::kString;
  Pos pos;  // where the value starts
  // kString: the decoded text. kNumber: the source text, e.g. "-1.5e3".
  std::string string;
  // kNumber: the value as a double; and, when the source text is an integer
  // that fits (no fraction, no exponent), is_integer and the int64.
  double number = 0;
  bool is_integer = false;
  int64_t integer = 0;
  bool boolean = false;           // kBool
  std::vector<Value> list;        // kList, in source order
  std::vector<Attribute> object;  // kObject, in source order; keys distinct

  bool is_string() const { return kind == Kind::kString; }
  bool is_number() const { return kind == Kind::kNumber; }
  bool is_bool() const { return kind == Kind::kBool; }
  bool is_list() const { return kind == Kind::kList; }
  bool is_object() const { return kind == Kind::kObject; }
  // kObject: the value of `key`, or nullptr. Borrowed from *this.
  const Value* Find(absl::string_view key) const;
};

struct Attribute {
  std::string key;
  Pos pos;  // of the key
  Value value;
};

struct Block;

struct Body {
  std::vector<Attribute> attributes;  // source order; keys distinct
  std::vector<Block> blocks;          // source order

  // The attribute `key`, or nullptr. Borrowed from *this.
  const Attribute* Find(absl::string_view key) const;
  // The blocks of type `type`, in source order. Borrowed from *this.
  std::vector<const Block*> BlocksOf(absl::string_view type) const;
};

struct Block {
  std::string type;
  std::vector<std::string> labels;
  Pos pos;  // of the type; from JSON, of the key that gave its last label
            // (or of its array element)
  Body body;
};

struct Options {
  // Block types whose number of labels is fixed (e.g. {"path", 1},
  // {"telemetry", 0}), at any depth. Parse refuses a block of such a type
  // with another number of labels; ParseJson takes exactly that many from
  // nested objects instead of guessing. Other types take any number.
  std::map<std::string, int, std::less<>> block_labels;
};

// Parses HCL text into a body. kInvalidArgument ("hcl: line:col: what")
// when the text is malformed or over the limits. `text` is only read during
// the call.
absl::StatusOr<Body> Parse(absl::string_view text, const Options& options = {});

// Parses HCL's JSON form (the mapping above) into a body. kInvalidArgument
// as Parse. `json` is only read during the call.
absl::StatusOr<Body> ParseJson(absl::string_view json,
                               const Options& options = {});

// A canonical HCL rendering without positions: attributes first, then
// blocks, each in source order; strings quoted with escapes; numbers as
// their source text; objects inline. Parse(Format(b)) gives back b's tree,
// so two trees are equal exactly when their Format()s are. For tests and
// diagnostics.
std::string Format(const Body& body);
std::string Format(const Value& value);

// "bool", "number", ...: for callers' error messages.
absl::string_view KindName(Value::Kind kind);

}  // namespace coffer::hcl

#endif  // COFFER_LIB_HCL_HCL_H_
