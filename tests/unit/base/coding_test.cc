#include "base/coding.h"

#include <limits>

#include "support/catch.h"

namespace coffer::base {
namespace {

TEST_CASE("big-endian encoding orders bytes as numbers", "[base][coding]") {
  std::string a, b;
  PutBigEndian64(&a, 255);
  PutBigEndian64(&b, 256);
  CHECK(a < b);
  CHECK(a == std::string("\0\0\0\0\0\0\0\xff", 8));
}

TEST_CASE("big-endian values round trip", "[base][coding]") {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x0102030405060708},
                     std::numeric_limits<uint64_t>::max()}) {
    std::string s;
    PutBigEndian64(&s, v);
    REQUIRE(s.size() == 8);
    CHECK(GetBigEndian64(s) == v);
  }
  std::string s;
  PutBigEndian32(&s, 0xdeadbeef);
  CHECK(s == "\xde\xad\xbe\xef");
  CHECK(GetBigEndian32(s) == 0xdeadbeef);
}

}  // namespace
}  // namespace coffer::base
