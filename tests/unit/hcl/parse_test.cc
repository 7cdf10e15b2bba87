// The HCL syntax: bodies, values, comments, heredocs, positions.
#include "test_util.h"

namespace coffer::hcl {
namespace {

using testing::MustParse;

TEST_CASE(
    "attributes and labeled, unlabeled and nested blocks keep their "
    "order and positions",
    "[hcl][parse]") {
  const Body b = MustParse(
      "a = 1\n"
      "outer \"x\" \"y\" {\n"
      "  inner { k = \"v\" }\n"
      "}\n"
      "\"quoted key\" = true\n"
      "empty {}\n");
  REQUIRE(b.attributes.size() == 2);
  CHECK(b.attributes[0].key == "a");
  CHECK(b.attributes[0].pos.line == 1);
  CHECK(b.attributes[0].pos.column == 1);
  CHECK(b.attributes[0].value.pos.column == 5);
  CHECK(b.attributes[1].key == "quoted key");
  CHECK(b.attributes[1].pos.line == 5);
  REQUIRE(b.blocks.size() == 2);
  const Block& outer = b.blocks[0];
  CHECK(outer.type == "outer");
  CHECK(outer.labels == std::vector<std::string>{"x", "y"});
  CHECK(outer.pos.line == 2);
  REQUIRE(outer.body.blocks.size() == 1);
  const Block& inner = outer.body.blocks[0];
  CHECK(inner.type == "inner");
  CHECK(inner.labels.empty());
  CHECK(inner.pos.line == 3);
  CHECK(inner.pos.column == 3);
  REQUIRE(inner.body.Find("k") != nullptr);
  CHECK(inner.body.Find("k")->value.string == "v");
  CHECK(inner.body.Find("k")->pos.column == 11);
  CHECK(b.blocks[1].type == "empty");
  CHECK(b.blocks[1].body.attributes.empty());
  CHECK(b.BlocksOf("outer").size() == 1);
  CHECK(b.BlocksOf("none").empty());
}

TEST_CASE("numbers keep their text, a double and an int64 when integral",
          "[hcl][parse]") {
  const Body b = MustParse(
      "i = 42\nn = -7\nf = 1.5\ne = -2.5e3\nz = 0\nbig = 9223372036854775808\n"
      "max = 9223372036854775807\n");
  auto num = [&](const char* k) { return b.Find(k)->value; };
  CHECK(num("i").is_number());
  CHECK(num("i").is_integer);
  CHECK(num("i").integer == 42);
  CHECK(num("n").integer == -7);
  CHECK(num("n").string == "-7");
  CHECK_FALSE(num("f").is_integer);
  CHECK(num("f").number == 1.5);
  CHECK(num("e").number == -2500);
  CHECK(num("e").string == "-2.5e3");
  CHECK(num("z").is_integer);
  CHECK_FALSE(num("big").is_integer);
  CHECK(num("big").number == 9223372036854775808.0);
  CHECK(num("max").integer == INT64_MAX);
}

TEST_CASE("strings decode their escapes", "[hcl][parse]") {
  const Body b = MustParse(
      R"(s = "q\" b\\ n\n t\t r\r u\u00e9 U\U0001F600 ${not.interpolated}")");
  CHECK(b.Find("s")->value.string ==
        "q\" b\\ n\n t\t r\r u\xc3\xa9 U\xf0\x9f\x98\x80 ${not.interpolated}");
}

TEST_CASE("booleans, lists with a trailing comma, objects in lists",
          "[hcl][parse]") {
  const Body b = MustParse(
      "t = true\nf = false\n"
      "l = [\"a\", 1, [true], {x = 1, \"y\" = [\"z\"]},]\n"
      "e = []\n");
  CHECK(b.Find("t")->value.boolean);
  CHECK(b.Find("f")->value.is_bool());
  CHECK_FALSE(b.Find("f")->value.boolean);
  const Value& l = b.Find("l")->value;
  REQUIRE(l.list.size() == 4);
  CHECK(l.list[0].string == "a");
  CHECK(l.list[2].list[0].boolean);
  REQUIRE(l.list[3].is_object());
  CHECK(l.list[3].Find("x")->integer == 1);
  CHECK(l.list[3].Find("y")->list[0].string == "z");
  CHECK(l.list[3].Find("nope") == nullptr);
  CHECK(b.Find("e")->value.is_list());
  CHECK(b.Find("e")->value.list.empty());
}

TEST_CASE("an object-valued attribute is the block of the same name",
          "[hcl][parse]") {
  const Body a = MustParse("p = { a = 1, b = \"x\" }");
  const Body b = MustParse("p {\n a = 1\n b = \"x\"\n}");
  CHECK(a.attributes.empty());
  REQUIRE(a.blocks.size() == 1);
  CHECK(a.blocks[0].type == "p");
  CHECK(Format(a) == Format(b));
}

TEST_CASE("all three comment forms are skipped", "[hcl][parse]") {
  const Body b = MustParse(
      "# hash\n// slashes\n/* block\n comment */ a = /* inline */ 1 # tail\n"
      "b = \"# not a comment // nor this\"\n");
  CHECK(b.Find("a")->value.integer == 1);
  CHECK(b.Find("a")->pos.line == 4);
  CHECK(b.Find("a")->pos.column == 13);
  CHECK(b.Find("b")->value.string == "# not a comment // nor this");
}

TEST_CASE("heredocs keep their final newline; <<- strips the common indent",
          "[hcl][parse]") {
  const Body b = MustParse(
      "plain = <<EOF\n  line one\nline \"two\" \\n\nEOF\n"
      "indented = <<-EOT\n    four\n      six\n    EOT\n"
      "empty = <<E\nE\n"
      "after = 1\n");
  CHECK(b.Find("plain")->value.string == "  line one\nline \"two\" \\n\n");
  CHECK(b.Find("indented")->value.string == "four\n  six\n");
  CHECK(b.Find("empty")->value.string.empty());
  CHECK(b.Find("after")->pos.line == 11);
}

TEST_CASE("items may share a line and be separated by commas", "[hcl][parse]") {
  const Body b = MustParse("a = 1 b = 2, c { d = 3, e = 4 }, f = 5");
  CHECK(b.attributes.size() == 3);
  CHECK(b.blocks[0].body.attributes.size() == 2);
}

TEST_CASE("CRLF line ends are whitespace", "[hcl][parse]") {
  const Body b = MustParse("a = 1\r\nb = <<EOF\r\nx\r\nEOF\r\nc = 2\r\n");
  CHECK(b.Find("b")->value.string == "x\n");
  CHECK(b.Find("c")->pos.line == 5);
}

TEST_CASE("an empty or comment-only input is an empty body", "[hcl][parse]") {
  CHECK(MustParse("").attributes.empty());
  CHECK(MustParse("  # nothing\n").blocks.empty());
}

TEST_CASE("block_labels fixes a block type's label count", "[hcl][parse]") {
  Options o;
  o.block_labels = {{"path", 1}, {"telemetry", 0}};
  MustParse("path \"a\" {} telemetry {} other \"x\" \"y\" {}", o);
  CHECK(testing::HclError("path {}", o) ==
        "hcl: 1:1: block \"path\" takes 1 label, not 0");
  CHECK(testing::HclError("x {\n telemetry \"t\" {}\n}", o) ==
        "hcl: 2:2: block \"telemetry\" takes 0 labels, not 1");
}

TEST_CASE("Format gives text that parses back to the same tree",
          "[hcl][parse]") {
  const Body b = MustParse(
      "k = \"a\\\"b\\u0001\\n\"\nn = -1.5e3\nl = [{x = [1]}, true]\n"
      "blk \"l1\" \"l\\\\2\" { inner = {} }\n");
  const std::string text = Format(b);
  CHECK(Format(MustParse(text)) == text);
  CHECK(Format(b.Find("l")->value) == "[{ \"x\" = [1] }, true]");
  CHECK(KindName(Value::Kind::kList) == "list");
}

}  // namespace
}  // namespace coffer::hcl
