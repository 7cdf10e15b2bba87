// The hello frame peers send first, and the book of API URLs it feeds.
#include "api_addrs.h"

#include <catch2/catch.hpp>
#include <string>

namespace cofferd {
namespace {

TEST_CASE("a hello names the sender's id and API URL", "[hello]") {
  const std::string frame = EncodeHello({7, "https://10.0.0.7:8200"});
  std::optional<Hello> hello = DecodeHello(frame);
  REQUIRE(hello.has_value());
  CHECK(hello->node_id == 7);
  CHECK(hello->api_addr == "https://10.0.0.7:8200");
  CHECK(DecodeHello(EncodeHello({1, "http://[::1]:8200"})).has_value());
}

TEST_CASE("anything but a well-formed hello is not one", "[hello]") {
  const std::string good = EncodeHello({7, "https://h:1"});
  // Every truncation that cuts into the prefix, the id or the scheme (a
  // cut URL may still be a URL).
  for (size_t n = 0; n < good.find("//") + 2; ++n) {
    INFO(n);
    CHECK_FALSE(DecodeHello(good.substr(0, n)).has_value());
  }
  for (const char* bad : {
           "cofferd-hello/2\n7\nhttps://h:1",  // another version
           "cofferd-hello/1\n0\nhttps://h:1",  // node ids start at 1
           "cofferd-hello/1\n-7\nhttps://h:1",
           "cofferd-hello/1\n+7\nhttps://h:1",
           "cofferd-hello/1\n 7\nhttps://h:1",
           "cofferd-hello/1\n18446744073709551616\nhttps://h:1",  // 2^64
           "cofferd-hello/1\n7\nftp://h:1",
           "cofferd-hello/1\n7\nhttps://h:1\n",  // a control character
           "cofferd-hello/1\n7\nhttps://h:1 x", "cofferd-hello/1\n7\n",
           "\n\x08\x01\x10\x02",  // what a raft frame might start with
       }) {
    INFO(bad);
    CHECK_FALSE(DecodeHello(bad).has_value());
  }
  CHECK_FALSE(
      DecodeHello("cofferd-hello/1\n7\nhttps://" + std::string(2048, 'a'))
          .has_value());
  const std::string nul("cofferd-hello/1\n7\nhttps://h\0:1", 30);
  CHECK_FALSE(DecodeHello(nul).has_value());
}

TEST_CASE("configured API URLs win over learned ones", "[hello]") {
  ApiAddrs book;
  CHECK(book.Of(1).empty());
  book.Learn(2, "http://b:2");
  CHECK(book.Of(2) == "http://b:2");
  book.Learn(2, "http://b2:2");  // the peer moved
  CHECK(book.Of(2) == "http://b2:2");
  book.Configure(1, "http://a:1");
  book.Learn(1, "http://evil:1");
  CHECK(book.Of(1) == "http://a:1");
  book.Configure(2, "http://c:2");
  CHECK(book.Of(2) == "http://c:2");
}

}  // namespace
}  // namespace cofferd
