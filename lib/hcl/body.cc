// The tree's lookups and its canonical rendering (Format).
#include "absl/strings/str_cat.h"
#include "hcl/hcl.h"

namespace coffer::hcl {
namespace {

void AppendQuoted(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\r':
        out->append("\\r");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(
              out, "\\u00",
              absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendValue(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kString:
      AppendQuoted(v.string, out);
      return;
    case Value::Kind::kNumber:
      out->append(v.string);
      return;
    case Value::Kind::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case Value::Kind::kList:
      out->push_back('[');
      for (size_t i = 0; i < v.list.size(); ++i) {
        if (i > 0) out->append(", ");
        AppendValue(v.list[i], out);
      }
      out->push_back(']');
      return;
    case Value::Kind::kObject:
      out->push_back('{');
      for (size_t i = 0; i < v.object.size(); ++i) {
        out->append(i > 0 ? ", " : " ");
        AppendQuoted(v.object[i].key, out);
        out->append(" = ");
        AppendValue(v.object[i].value, out);
      }
      out->append(v.object.empty() ? "}" : " }");
      return;
  }
}

void AppendBody(const Body& body, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  for (const Attribute& a : body.attributes) {
    out->append(pad);
    AppendQuoted(a.key, out);
    out->append(" = ");
    AppendValue(a.value, out);
    out->push_back('\n');
  }
  for (const Block& b : body.blocks) {
    out->append(pad);
    AppendQuoted(b.type, out);
    for (const std::string& label : b.labels) {
      out->push_back(' ');
      AppendQuoted(label, out);
    }
    out->append(" {\n");
    AppendBody(b.body, indent + 1, out);
    out->append(pad);
    out->append("}\n");
  }
}

}  // namespace

const Value* Value::Find(absl::string_view key) const {
  for (const Attribute& a : object) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}

const Attribute* Body::Find(absl::string_view key) const {
  for (const Attribute& a : attributes) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

std::vector<const Block*> Body::BlocksOf(absl::string_view type) const {
  std::vector<const Block*> out;
  for (const Block& b : blocks) {
    if (b.type == type) out.push_back(&b);
  }
  return out;
}

std::string Format(const Body& body) {
  std::string out;
  AppendBody(body, 0, &out);
  return out;
}

std::string Format(const Value& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

absl::string_view KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kNumber:
      return "number";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kObject:
      return "object";
  }
  return "value";
}

}  // namespace coffer::hcl
