// Every kind of malformed HCL gives kInvalidArgument at the exact position.
#include "test_util.h"

namespace coffer::hcl {
namespace {

using testing::HclError;

TEST_CASE("an unterminated string is reported at its opening quote",
          "[hcl][errors]") {
  CHECK(HclError("a = 1\nb = \"open") == "hcl: 2:5: unterminated string");
  CHECK(HclError("b = \"line\nbreak\"") == "hcl: 1:5: unterminated string");
  CHECK(HclError("b = \"ends in \\") == "hcl: 1:5: unterminated string");
}

TEST_CASE("bad escapes and raw control characters in a string",
          "[hcl][errors]") {
  CHECK(HclError(R"(a = "x\qy")") == "hcl: 1:7: unknown escape \\q");
  CHECK(HclError(R"(a = "\u12G4")") ==
        "hcl: 1:6: bad escape \\u: needs 4 hex digits of a Unicode scalar "
        "value");
  CHECK(HclError(R"(a = "\uD800")") ==
        "hcl: 1:6: bad escape \\u: needs 4 hex digits of a Unicode scalar "
        "value");
  CHECK(HclError(R"(a = "\U00110000")") ==
        "hcl: 1:6: bad escape \\U: needs 8 hex digits of a Unicode scalar "
        "value");
  CHECK(HclError("a = \"x\x01\"") ==
        "hcl: 1:7: control character byte 0x01 in a string (escape it)");
}

TEST_CASE("an unterminated heredoc is reported at its <<", "[hcl][errors]") {
  CHECK(HclError("a = 1\nb = <<EOF\ntext\nEOF \n") ==
        "hcl: 2:5: unterminated heredoc (no line \"EOF\")");
  // Without '-', the closing anchor must not be indented.
  CHECK(HclError("b = <<EOF\ntext\n  EOF\n") ==
        "hcl: 1:5: unterminated heredoc (no line \"EOF\")");
  CHECK(HclError("b = <<EOF text\nEOF\n") ==
        "hcl: 1:5: a heredoc's anchor must end its line");
  CHECK(HclError("b = << EOF\nEOF\n") ==
        "hcl: 1:5: a heredoc needs an identifier after << or <<-");
}

TEST_CASE("a heredoc is a value, never a key or a label", "[hcl][errors]") {
  CHECK(HclError("<<EOF\nk\nEOF\n= 1") ==
        "hcl: 1:1: a heredoc cannot be a key");
  CHECK(HclError("b <<EOF\nl\nEOF\n{}") ==
        "hcl: 1:3: a heredoc cannot be a block label");
  CHECK(HclError("a = [{ <<EOF\nk\nEOF\n= 1 }]") ==
        "hcl: 1:8: a heredoc cannot be a key");
}

TEST_CASE("an unterminated comment is reported at its /*", "[hcl][errors]") {
  CHECK(HclError("a = 1\n  /* never\nclosed") ==
        "hcl: 2:3: unterminated comment (no closing */)");
}

TEST_CASE("an unterminated block, list or object is reported where it opens",
          "[hcl][errors]") {
  CHECK(HclError("storage \"raft\" {\n  path = \"/x\"\n") ==
        "hcl: 1:1: unterminated block \"storage\" (no closing '}')");
  CHECK(HclError("a {\n  b {\n  }\n") ==
        "hcl: 1:1: unterminated block \"a\" (no closing '}')");
  CHECK(HclError("a = [1,\n 2") ==
        "hcl: 1:5: unterminated list (no closing "
        "']')");
  CHECK(HclError("a = [") == "hcl: 1:5: unterminated list (no closing ']')");
  CHECK(HclError("a = [{ b = 1 ") ==
        "hcl: 1:6: unterminated object (no closing '}')");
}

TEST_CASE("a missing '=' is reported where the '=' should be",
          "[hcl][errors]") {
  CHECK(HclError("ui true") ==
        "hcl: 1:4: expected '=' or '{' after \"ui\", found an identifier");
  CHECK(HclError("api_addr \"http://x\"\ncluster_addr = \"y\"") ==
        "hcl: 1:10: expected '=' after \"api_addr\"");
  CHECK(HclError("n 5") ==
        "hcl: 1:3: expected '=' or '{' after \"n\", found a number");
  CHECK(HclError("key") ==
        "hcl: 1:4: expected '=' or '{' after \"key\", found the end of the "
        "input");
  CHECK(HclError("b \"l1\" \"l2\" = 1") ==
        "hcl: 1:13: expected '{' after the labels of \"b\", found '='");
  CHECK(HclError("a = [{ b 1 }]") == "hcl: 1:10: expected '=' after \"b\"");
}

TEST_CASE("bad numbers are reported at their start", "[hcl][errors]") {
  CHECK(HclError("a = 10s") == "hcl: 1:5: bad number \"10s\"");
  CHECK(HclError("a = 0755") == "hcl: 1:5: bad number \"0755\"");
  CHECK(HclError("a = 1.2.3") == "hcl: 1:5: bad number \"1.2.3\"");
  CHECK(HclError("a = -") == "hcl: 1:5: bad number \"-\"");
  CHECK(HclError("a = 1.") == "hcl: 1:5: bad number \"1.\"");
  CHECK(HclError("a = 1e") == "hcl: 1:5: bad number \"1e\"");
  CHECK(HclError("a = 1e999") == "hcl: 1:5: number out of range \"1e999\"");
}

TEST_CASE("values that HCL does not have", "[hcl][errors]") {
  CHECK(HclError("a = raft") ==
        "hcl: 1:5: unexpected identifier raft (a string value needs quotes)");
  CHECK(HclError("a = ]") == "hcl: 1:5: expected a value, found ']'");
  CHECK(HclError("a =") ==
        "hcl: 1:4: expected a value, found the end of the input");
  CHECK(HclError("a = [1 2]") ==
        "hcl: 1:8: expected ',' or ']' in a list, found a number");
  CHECK(HclError("a = 1 ;") == "hcl: 1:7: unexpected ';'");
  CHECK(HclError("a = \xff") == "hcl: 1:5: unexpected byte 0xff");
  CHECK(HclError("= 1") == "hcl: 1:1: expected a key, found '='");
  CHECK(HclError("a = 1\n}") == "hcl: 2:1: expected a key, found '}'");
  CHECK(HclError("a = [{ 1 = 2 }]") ==
        "hcl: 1:8: expected a key, found a "
        "number");
}

TEST_CASE(
    "an attribute twice in one body, or a key twice in one object, is "
    "an error; blocks repeat",
    "[hcl][errors]") {
  CHECK(HclError("ui = true\nui = false") ==
        "hcl: 2:1: duplicate attribute \"ui\" (first at 1:1)");
  CHECK(HclError("p \"a\" {\n  x = 1\n  \"x\" = 2\n}") ==
        "hcl: 3:3: duplicate attribute \"x\" (first at 2:3)");
  CHECK(HclError("l = [{ k = 1, k = 2 }]") ==
        "hcl: 1:15: duplicate key \"k\" (first at 1:8)");
  // The same key in different bodies, and repeated blocks, are fine.
  const Body b =
      testing::MustParse("x = 1\npath \"a\" { x = 1 }\npath \"a\" { x = 2 }");
  CHECK(b.BlocksOf("path").size() == 2);
}

TEST_CASE("nesting deeper than kMaxDepth is refused, not recursed into",
          "[hcl][errors]") {
  std::string ok;
  for (int i = 0; i < kMaxDepth - 1; ++i) ok += "a {";  // + the list
  ok += "x = [1]";
  for (int i = 0; i < kMaxDepth - 1; ++i) ok += "}";
  testing::MustParse(ok);
  CHECK(HclError("x = " + std::string(100000, '[')) ==
        "hcl: 1:" + std::to_string(4 + kMaxDepth + 1) +
            ": nested deeper than " + std::to_string(kMaxDepth));
  std::string blocks;
  for (int i = 0; i < 100000; ++i) blocks += "a {";
  CHECK(HclError(blocks) == "hcl: 1:" + std::to_string(3 * (kMaxDepth + 1)) +
                                ": nested deeper than " +
                                std::to_string(kMaxDepth));
}

TEST_CASE("input larger than kMaxInputBytes is refused", "[hcl][errors]") {
  CHECK(HclError(std::string(kMaxInputBytes + 1, ' ')) ==
        "hcl: 1:1: input larger than 1048576 bytes");
  testing::MustParse(std::string(kMaxInputBytes, ' '));
}

}  // namespace
}  // namespace coffer::hcl
