// HCL's JSON form: the mapping onto bodies, and strict JSON's errors.
#include "test_util.h"

namespace coffer::hcl {
namespace {

using testing::JsonError;
using testing::MustParse;
using testing::MustParseJson;

TEST_CASE("JSON values map onto HCL values with their positions",
          "[hcl][json]") {
  const Body b = MustParseJson(
      "{\"s\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\n"
      " \"n\": -1.5e3, \"i\": 7, \"t\": true, \"f\": false,\n"
      " \"l\": [1, \"x\", [true], {\"k\": {\"deep\": 1}}], \"e\": []}");
  CHECK(b.Find("s")->value.string ==
        "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(b.Find("s")->pos.line == 1);
  CHECK(b.Find("s")->pos.column == 2);
  CHECK(b.Find("n")->pos.line == 2);
  CHECK(b.Find("n")->value.pos.column == 7);
  CHECK(b.Find("n")->value.number == -1500);
  CHECK(b.Find("i")->value.integer == 7);
  CHECK(b.Find("t")->value.boolean);
  CHECK_FALSE(b.Find("f")->value.boolean);
  const Value& l = b.Find("l")->value;
  REQUIRE(l.list.size() == 4);
  // Inside a list, objects stay values, also when nested.
  CHECK(l.list[3].is_object());
  CHECK(l.list[3].Find("k")->Find("deep")->integer == 1);
  CHECK(b.Find("e")->value.list.empty());
  CHECK(Format(b) ==
        Format(MustParse("s = \"a\\\"\\\\/\\u0008\\u000c\\n\\r\\t\\u00e9"
                         "\\U0001F600\"\n"
                         "n = -1.5e3\ni = 7\nt = true\nf = false\n"
                         "l = [1, \"x\", [true], {k = {deep = 1}}]\n"
                         "e = []\n")));
}

TEST_CASE("nested objects become labels while every member is an object",
          "[hcl][json]") {
  const Body b = MustParseJson(R"({
    "a": {"l1": {"l2": {"x": 1}}, "m1": {"y": 2}},
    "empty": {},
    "mixed": {"x": 1, "sub": {"y": 2}},
    "repeated": [{"x": 1}, {"x": 2}]
  })");
  CHECK(Format(b) == Format(MustParse(R"(
    a "l1" "l2" { x = 1 }
    a "m1" { y = 2 }
    empty {}
    mixed {
      x = 1
      sub { y = 2 }
    }
    repeated { x = 1 }
    repeated { x = 2 }
  )")));
  CHECK(b.blocks[0].pos.line == 2);
  CHECK(b.blocks[0].pos.column == 18);  // the key of its last label
  CHECK(b.blocks[4].pos.line == 5);     // an array element: where it starts
  CHECK(b.blocks[4].pos.column == 18);
}

TEST_CASE("block_labels takes exactly that many labels, or says why not",
          "[hcl][json]") {
  Options o;
  o.block_labels = {{"path", 1}, {"telemetry", 0}};
  const Body b = MustParseJson(
      R"({"path": {"a": {"sub": {"x": 1}}, "b": [{"y": 1}, {"y": 2}]},
          "telemetry": {"t": {"u": 1}}})",
      o);
  CHECK(Format(b) == Format(MustParse(R"(
    path "a" { sub { x = 1 } }
    path "b" { y = 1 }
    path "b" { y = 2 }
    telemetry { t { u = 1 } }
  )")));
  CHECK(JsonError(R"({"path": {"a": 1}})", o) ==
        "hcl: 1:11: block \"path\" takes 1 label(s): expected an object here");
  CHECK(JsonError(R"({"path": {}})", o) ==
        "hcl: 1:10: block \"path\" takes 1 label(s)");
}

TEST_CASE("malformed JSON is reported at the exact position", "[hcl][json]") {
  CHECK(JsonError("") == "hcl: 1:1: expected a JSON value");
  CHECK(JsonError("[1]") ==
        "hcl: 1:1: a JSON document for HCL must be an object");
  CHECK(JsonError("{\"a\": 1} x") ==
        "hcl: 1:10: unexpected text after the JSON document");
  CHECK(JsonError("{\n  \"a\": \"open") == "hcl: 2:8: unterminated string");
  CHECK(JsonError("{\"a\": \"x\ny\"}") == "hcl: 1:7: unterminated string");
  CHECK(JsonError("{\"a\": \"x\x01\"}") ==
        "hcl: 1:9: control character in a string (escape it)");
  CHECK(JsonError(R"({"a": "\x"})") == "hcl: 1:8: unknown escape \\x");
  CHECK(JsonError(R"({"a": "\ud800"})") == "hcl: 1:8: bad \\u escape");
  CHECK(JsonError(R"({"a": "\udc00"})") == "hcl: 1:8: bad \\u escape");
  CHECK(JsonError(R"({"a": "\u12"})") == "hcl: 1:8: bad \\u escape");
  CHECK(JsonError("{\"a\": 1,\n \"b\": [1, 2") ==
        "hcl: 2:7: unterminated array (no closing ']')");
  CHECK(JsonError("{\"a\": {\"b\": 1}") ==
        "hcl: 1:1: unterminated object (no closing '}')");
  CHECK(JsonError("{\"a\" 1}") == "hcl: 1:6: expected ':' after the key");
  CHECK(JsonError("{a: 1}") == "hcl: 1:2: expected a quoted key");
  CHECK(JsonError("{\"a\": 1,}") == "hcl: 1:9: expected a quoted key");
  CHECK(JsonError("{\"a\": [1,]}") == "hcl: 1:10: expected a JSON value");
  CHECK(JsonError("{\"a\": 1 \"b\": 2}") ==
        "hcl: 1:9: expected ',' or '}' in an object");
  CHECK(JsonError("{\"a\": [1 2]}") ==
        "hcl: 1:10: expected ',' or ']' in an array");
  CHECK(JsonError("{\"a\": 012}") == "hcl: 1:7: bad number \"012\"");
  CHECK(JsonError("{\"a\": 1.}") == "hcl: 1:7: bad number \"1.\"");
  CHECK(JsonError("{\"a\": +1}") == "hcl: 1:7: unexpected \"+1\"");
  CHECK(JsonError("{\"a\": tru}") == "hcl: 1:7: unexpected \"tru\"");
  CHECK(JsonError("{\"a\": 1e999}") ==
        "hcl: 1:7: number out of range \"1e999\"");
  CHECK(JsonError("{\"a\": null}") == "hcl: 1:7: null is not a value in HCL");
  CHECK(JsonError("{\"a\": [1, null]}") ==
        "hcl: 1:11: null is not a value in HCL");
  CHECK(JsonError("// comment\n{}") == "hcl: 1:1: expected a JSON value");
}

TEST_CASE("a JSON key twice in one object is an error", "[hcl][json]") {
  CHECK(JsonError("{\"ui\": true,\n \"ui\": false}") ==
        "hcl: 2:2: duplicate key \"ui\" (first at 1:2)");
  MustParseJson(R"({"a": {"x": 1}, "b": {"x": 1}})");
}

TEST_CASE("JSON nesting and size are bounded like HCL's", "[hcl][json]") {
  std::string ok = "{\"a\": ";
  for (int i = 0; i < kMaxDepth - 1; ++i) ok += "[";
  for (int i = 0; i < kMaxDepth - 1; ++i) ok += "]";
  ok += "}";
  MustParseJson(ok);
  CHECK(JsonError("{\"a\": " + std::string(100000, '[')) ==
        "hcl: 1:" + std::to_string(7 + kMaxDepth) + ": nested deeper than " +
            std::to_string(kMaxDepth));
  CHECK(JsonError(std::string(kMaxInputBytes + 1, ' ')) ==
        "hcl: 1:1: input larger than 1048576 bytes");
}

}  // namespace
}  // namespace coffer::hcl
