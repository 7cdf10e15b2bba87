// The transaction view: reads see earlier writes; write sets are ordered.
#include "kv/txn.h"

#include "support/catch.h"

namespace coffer::kv {
namespace {

using Keys = std::vector<std::string>;

MemoryStore StoreWith(std::initializer_list<const char*> keys) {
  MemoryStore store;
  for (const char* key : keys) store.data()[key] = std::string("v:") + key;
  return store;
}

TEST_CASE("a txn reads its own puts and deletes", "[kv][txn]") {
  MemoryStore store = StoreWith({"a", "b"});
  MemoryTxn txn(&store);
  CHECK(**txn.Get("a") == "v:a");
  txn.Put("a", "new");
  txn.Delete("b");
  txn.Put("c", "");
  CHECK(**txn.Get("a") == "new");
  CHECK_FALSE(txn.Get("b")->has_value());
  CHECK(**txn.Get("c") == "");
  CHECK_FALSE(txn.Get("d")->has_value());
  // The store is untouched until commit.
  CHECK(store.data().at("b") == "v:b");
  CHECK_FALSE(store.data().contains("c"));
}

TEST_CASE("a txn lists the merge of the store and its writes", "[kv][txn]") {
  MemoryStore store = StoreWith({"p/a", "p/c", "p/e", "q/x"});
  MemoryTxn txn(&store);
  txn.Put("p/b", "1");
  txn.Delete("p/c");
  txn.Put("p/e", "2");  // overwrite: listed once
  txn.Put("p/f", "3");
  txn.Delete("p/zz");   // deleting what is not there
  txn.Put("q/y", "4");  // outside the prefix
  txn.Put("o", "5");    // before the prefix
  CHECK(*txn.List("p/") == Keys{"p/a", "p/b", "p/e", "p/f"});
  CHECK(*txn.List("") == Keys{"o", "p/a", "p/b", "p/e", "p/f", "q/x", "q/y"});
  CHECK(txn.List("r/")->empty());
  txn.Delete("p/a");
  txn.Delete("p/f");
  CHECK(*txn.List("p/") == Keys{"p/b", "p/e"});
}

TEST_CASE("a write set has one entry per key in key order", "[kv][txn]") {
  MemoryStore store = StoreWith({"b"});
  MemoryTxn txn(&store);
  txn.Put("z", "1");
  txn.Put("a", "1");
  txn.Put("a", "2");
  txn.Delete("b");
  txn.Put("m", "x");
  txn.Delete("m");
  CHECK(txn.size() == 4);
  WriteSet expected = {
      {"a", "2"}, {"b", std::nullopt}, {"m", std::nullopt}, {"z", "1"}};
  CHECK(txn.writes() == expected);
  CHECK(txn.Commit() == expected);
  CHECK(txn.size() == 0);
  CHECK(store.data() == std::map<std::string, std::string, std::less<>>{
                            {"a", "2"}, {"z", "1"}});
  // Committing again applies nothing new.
  CHECK(txn.Commit().empty());
}

TEST_CASE("applying a write set replays it on another store", "[kv][txn]") {
  MemoryStore leader = StoreWith({"x", "y"});
  MemoryStore follower = StoreWith({"x", "y"});
  MemoryTxn txn(&leader);
  txn.Put("x", "changed");
  txn.Delete("y");
  txn.Put("w", "added");
  follower.Apply(txn.Commit());
  CHECK(follower.data() == leader.data());
}

TEST_CASE("take-writes forgets the buffered writes", "[kv][txn]") {
  MemoryStore store = StoreWith({"a"});
  BufferedTxn txn(&store);
  txn.Delete("a");
  WriteSet taken = txn.TakeWrites();
  CHECK(taken == WriteSet{{"a", std::nullopt}});
  CHECK(**txn.Get("a") == "v:a");
  CHECK(txn.writes().empty());
}

}  // namespace
}  // namespace coffer::kv
