#include "sim/linearizability.h"

#include "support/catch.h"

namespace coffer::sim {
namespace {

Operation Op(OpKind kind, const char* key, uint64_t inv, uint64_t resp) {
  Operation op;
  op.key = key;
  op.kind = kind;
  op.invoke = inv;
  op.response = resp;
  return op;
}

Operation Put(const char* key, const char* v, uint64_t inv, uint64_t resp) {
  Operation op = Op(OpKind::kPut, key, inv, resp);
  op.value = v;
  return op;
}

Operation Get(const char* key, const char* out, uint64_t inv, uint64_t resp) {
  Operation op = Op(OpKind::kGet, key, inv, resp);
  op.output = out;
  return op;
}

TEST_CASE("a sequential history is linearizable", "[sim][linearizability]") {
  REQUIRE(CheckLinearizable({Put("a", "1", 1, 2), Get("a", "1", 3, 4)}) == "");
}

TEST_CASE("a stale read after a completed write is not linearizable",
          "[sim][linearizability]") {
  REQUIRE(CheckLinearizable({Put("a", "1", 1, 2), Get("a", "", 3, 4)}) != "");
}

TEST_CASE("concurrent operations may take effect in either order",
          "[sim][linearizability]") {
  REQUIRE(CheckLinearizable({Put("a", "1", 1, 5), Get("a", "1", 2, 3),
                             Get("a", "", 2, 3)}) == "");
  // A read that starts after another read saw the write must see it too.
  REQUIRE(CheckLinearizable({Put("a", "1", 1, 5), Get("a", "1", 2, 3),
                             Get("a", "", 4, 6)}) != "");
  REQUIRE(CheckLinearizable({Put("a", "1", 1, 5), Get("a", "", 2, 3),
                             Get("a", "1", 4, 6)}) == "");
}

TEST_CASE("a write with an unknown outcome may or may not have happened",
          "[sim][linearizability]") {
  Operation lost = Put("a", "1", 1, Operation::kPending);
  REQUIRE(CheckLinearizable({lost, Get("a", "", 2, 3)}) == "");
  REQUIRE(CheckLinearizable({lost, Get("a", "1", 2, 3)}) == "");
  // But once observed it cannot be unobserved.
  REQUIRE(CheckLinearizable({lost, Get("a", "1", 2, 3), Get("a", "", 4, 5)}) !=
          "");
}

TEST_CASE("a compare-and-set must agree with the value it saw",
          "[sim][linearizability]") {
  Operation cas;
  cas.key = "k";
  cas.kind = OpKind::kCas;
  cas.expected = "1";
  cas.value = "2";
  cas.invoke = 3;
  cas.response = 4;
  cas.ok = true;
  REQUIRE(CheckLinearizable({Put("k", "1", 1, 2), cas, Get("k", "2", 5, 6)}) ==
          "");
  cas.ok = false;
  REQUIRE(CheckLinearizable({Put("k", "1", 1, 2), cas}) != "");
}

}  // namespace
}  // namespace coffer::sim
