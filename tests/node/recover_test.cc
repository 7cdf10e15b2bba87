// Recovery when quorum is lost for good (node/recover.h): the survivors of
// a cluster start with the same <data_dir>/peers.json and form a cluster of
// their own with every committed entry.
#include "node/recover.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coffer/node.h"
#include "node/recording.h"
#include "node/test_cluster.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

std::string PeersPath(TestCluster& c, uint64_t id) {
  return c.Options(id).data_dir + "/peers.json";
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  REQUIRE(out.good());
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Vault's format, ids as strings and as numbers.
std::string PeersJson(const std::vector<uint64_t>& ids) {
  std::string out = "[\n";
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string id =
        i % 2 == 0 ? absl::StrCat("\"", ids[i], "\"") : absl::StrCat(ids[i]);
    absl::StrAppend(&out, "  {\"id\": ", id, ", \"address\": \"",
                    TestCluster::Address(ids[i]), "\", \"non_voter\": false}",
                    i + 1 < ids.size() ? ",\n" : "\n");
  }
  return out + "]\n";
}

// Every key of `keys` reads back as `value` through `n`, linearizably.
bool AllReadable(Node& n, const Caller& as,
                 const std::vector<std::string>& keys,
                 const std::string& value = "v") {
  for (const std::string& k : keys) {
    absl::StatusOr<std::string> v = Retry([&] { return n.GetRaw(as, k); });
    if (!v.ok() || *v != value) {
      UNSCOPED_INFO("key " << k << ": " << v.status());
      return false;
    }
  }
  return true;
}

std::vector<std::string> Keys(const std::string& prefix, int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back(absl::StrCat(prefix, i));
  return keys;
}

TEST_CASE(
    "two survivors of a five node cluster recover from peers.json with every "
    "committed write",
    "[node][recover]") {
  // Snapshots every 16 entries: the survivors recover over a compacted
  // log. Without trailing entries the lagging survivor is sent a snapshot
  // (whose configuration is the recovered one); with them, the entries.
  const uint64_t trailing_logs = GENERATE(uint64_t{0}, uint64_t{10240});
  CAPTURE(trailing_logs);
  RecordingLogger logger;
  RecordingMetrics metrics;
  TestCluster c(5);
  c.tweak = [&](NodeOptions& o) {
    o.snapshot_threshold = 16;
    o.trailing_logs = trailing_logs;
    o.logger = &logger;
    o.metrics = &metrics;
  };
  const InitializeResult init = StartUnsealed(c);
  const std::vector<std::string> shares(init.keys.end() - 2, init.keys.end());
  uint64_t leader = Leader(c);
  PutRawMany(c.node(leader), c.root(), "early/", 40);
  REQUIRE(AppliedEverywhere(c, "early/39", "v"));

  // Node 5 stops first and misses the next writes, which nodes 1..4
  // commit: after recovery only node 4 has them, and it must win.
  c.Stop(5);
  leader = Leader(c);
  // Large enough values that the state is snapshotted meanwhile (a
  // snapshot waits for as many applied bytes as the last one had).
  const std::string big(2000, 'x');
  PutRawMany(c.node(leader), c.root(), "late/", 30, big);
  REQUIRE(AppliedEverywhere(c, "late/29", big));
  for (uint64_t id : {1, 2, 3, 4}) c.Stop(id);

  // Nodes 1, 2 and 3 are gone for good.
  for (uint64_t id : {1, 2, 3}) {
    std::filesystem::remove_all(c.Options(id).data_dir);
  }
  for (uint64_t id : {4, 5}) WriteFile(PeersPath(c, id), PeersJson({4, 5}));
  const uint64_t installs = metrics.counter("raft.snapshot_installs");
  REQUIRE(c.Start(4).ok());
  REQUIRE(c.Start(5).ok());
  // The file is read once and deleted.
  CHECK_FALSE(Exists(PeersPath(c, 4)));
  CHECK_FALSE(Exists(PeersPath(c, 5)));
  CHECK(logger.Has("recovered the raft configuration from"));
  CHECK(logger.Has("voters 4, 5"));
  CHECK(metrics.counter("raft.peers_recovered") == 2);
  for (uint64_t id : {4, 5}) REQUIRE(c.Unseal(id, shares).ok());

  leader = c.WaitForLeader();
  REQUIRE((leader == 4 || leader == 5));
  // Node 5's log is behind node 4's, so node 4 alone can win: node 5
  // denies its vote to nothing, node 4 denies it to node 5 (Raft 5.4.1).
  CHECK(leader == 4);
  CHECK(Voters(c.node(leader), c.root()) == std::set<uint64_t>{4, 5});
  for (uint64_t id : {4, 5}) {
    CHECK(AllReadable(c.node(id), c.root(), Keys("early/", 40)));
    CHECK(AllReadable(c.node(id), c.root(), Keys("late/", 30), big));
  }
  if (trailing_logs == 0) {
    CHECK(metrics.counter("raft.snapshot_installs") > installs);
  }
  // New writes commit with two voters, through either node.
  PutRawMany(c.node(5), c.root(), "after/", 20);
  REQUIRE(AppliedEverywhere(c, "after/19", "v"));
  CHECK(AllReadable(c.node(4), c.root(), Keys("after/", 20)));

  // The recovered configuration is durable: a plain restart keeps it.
  c.Stop(4);
  c.Stop(5);
  REQUIRE(c.Start(4).ok());
  REQUIRE(c.Start(5).ok());
  for (uint64_t id : {4, 5}) REQUIRE(c.Unseal(id, shares).ok());
  leader = c.WaitForLeader();
  REQUIRE(leader != 0);
  for (uint64_t id : {4, 5}) {
    CHECK(Voters(c.node(id), c.root()) == std::set<uint64_t>{4, 5});
  }
  CHECK(AllReadable(c.node(leader), c.root(), Keys("late/", 30), big));
  CHECK(metrics.counter("raft.peers_recovered") == 2);
}

TEST_CASE(
    "peers.json that leaves this node out, or is malformed, keeps the node "
    "from starting and changes nothing",
    "[node][recover]") {
  TestCluster c(3);
  const InitializeResult init = StartUnsealed(c);
  const std::vector<std::string> shares(init.keys.end() - 2, init.keys.end());
  const uint64_t leader = Leader(c);
  PutRawMany(c.node(leader), c.root(), "k/", 10);
  REQUIRE(AppliedEverywhere(c, "k/9", "v"));

  // A running node never reads the file: it keeps its configuration and
  // the file stays for its next start.
  WriteFile(PeersPath(c, 1), PeersJson({1}));
  PutRawMany(c.node(leader), c.root(), "k2/", 3);
  REQUIRE(AppliedEverywhere(c, "k2/2", "v"));
  CHECK(Voters(c.node(1), c.root()) == std::set<uint64_t>{1, 2, 3});
  CHECK(Exists(PeersPath(c, 1)));
  for (uint64_t id : c.ids()) c.Stop(id);

  SECTION("a node the file does not list") {
    WriteFile(PeersPath(c, 1), PeersJson({2, 3}));
    absl::Status s = c.Start(1);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find("does not list this node (id 1)") !=
          std::string::npos);
    CHECK(Exists(PeersPath(c, 1)));
  }
  SECTION("malformed JSON, named by file, line and column") {
    WriteFile(PeersPath(c, 1),
              "[\n  {\"id\": \"1\", \"address\": \"node-1\"},\n"
              "  {\"id\": \"2\" \"address\": \"node-2\"}\n]\n");
    absl::Status s = c.Start(1);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(PeersPath(c, 1) + ":3:") != std::string::npos);
    CHECK(Exists(PeersPath(c, 1)));
  }
  SECTION("a misspelt key") {
    WriteFile(PeersPath(c, 1),
              "[{\"id\": 1, \"address\": \"node-1\", \"nonvoter\": true}]");
    absl::Status s = c.Start(1);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(":1:33: unknown key \"nonvoter\"") !=
          std::string::npos);
  }
  SECTION("Vault's string ids that are not numbers") {
    WriteFile(PeersPath(c, 1), "[{\"id\": \"node1\", \"address\": \"n\"}]");
    absl::Status s = c.Start(1);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(s.message().find(":1:9: id: must be a coffer node id") !=
          std::string::npos);
  }
  CAPTURE(PeersPath(c, 1));
  // Refused: the storage is as it was. Without the file the old cluster
  // starts again, with its members and its data.
  std::filesystem::remove(PeersPath(c, 1));
  for (uint64_t id : c.ids()) REQUIRE(c.Start(id).ok());
  UnsealAll(c, shares);
  const uint64_t again = Leader(c);
  CHECK(Voters(c.node(again), c.root()) == std::set<uint64_t>{1, 2, 3});
  for (uint64_t id : c.ids()) {
    CHECK(AllReadable(c.node(id), c.root(), Keys("k/", 10)));
  }
}

TEST_CASE(
    "one survivor recovers alone; an id its log never named is accepted and "
    "logged",
    "[node][recover]") {
  RecordingLogger logger;
  TestCluster c(3);
  c.tweak = [&](NodeOptions& o) { o.logger = &logger; };
  const InitializeResult init = StartUnsealed(c);
  const std::vector<std::string> shares(init.keys.end() - 2, init.keys.end());
  PutRawMany(c.node(Leader(c)), c.root(), "k/", 10);
  REQUIRE(AppliedEverywhere(c, "k/9", "v"));
  for (uint64_t id : c.ids()) c.Stop(id);

  // Node 9 never existed: a learner the leader will look for in vain.
  WriteFile(PeersPath(c, 1),
            "[{\"id\": 1, \"address\": \"node-1\"},\n"
            " {\"id\": 9, \"address\": \"node-9\", \"non_voter\": true}]");
  c.network().DropUnroutable(true);
  REQUIRE(c.Start(1).ok());
  CHECK(logger.Has("voters 1; non-voters 9"));
  CHECK(logger.Has("ids this node's log never named: 9"));
  REQUIRE(c.Unseal(1, shares).ok());
  REQUIRE(c.WaitForLeader() == 1);
  CHECK(Voters(c.node(1), c.root()) == std::set<uint64_t>{1});
  CHECK(AllReadable(c.node(1), c.root(), Keys("k/", 10)));
  PutRawMany(c.node(1), c.root(), "after/", 5);
  CHECK(AllReadable(c.node(1), c.root(), Keys("after/", 5)));
}

TEST_CASE("a new node with peers.json is refused: it has nothing to recover",
          "[node][recover]") {
  TestCluster c(1);
  std::filesystem::create_directories(c.Options(1).data_dir);
  WriteFile(PeersPath(c, 1), PeersJson({1, 2}));
  absl::Status s = c.Start(1);
  CHECK(s.code() == Code::kFailedPrecondition);
  CHECK(s.message().find("no raft state") != std::string::npos);
  CHECK(Exists(PeersPath(c, 1)));
}

TEST_CASE("peers.json is parsed strictly, with the position of each error",
          "[node][recover]") {
  using node::ParsePeersFile;
  absl::StatusOr<std::vector<node::RecoveryPeer>> ok = ParsePeersFile(
      "[{\"id\": \"7\", \"address\": \"a:1\"},\n"
      " {\"id\": 9, \"address\": \"b:2\", \"non_voter\": true}]",
      "p");
  REQUIRE(ok.ok());
  REQUIRE(ok->size() == 2);
  CHECK((*ok)[0].id == 7);
  CHECK((*ok)[0].address == "a:1");
  CHECK_FALSE((*ok)[0].non_voter);
  CHECK((*ok)[1].id == 9);
  CHECK((*ok)[1].non_voter);

  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "node: p:1:1: expected a JSON array"},
      {"  {\"id\": 1}", "node: p:1:3: expected a JSON array"},
      {"[]", "node: p:1:1: the file lists no peers"},
      {"[1]", "node: p:1:2: each peer must be a JSON object"},
      {"[{\"address\": \"a\"}]", "node: p:1:2: a peer without \"id\""},
      {"[{\"id\": 1}]", "node: p:1:2: a peer without \"address\""},
      {"[{\"id\": 0, \"address\": \"a\"}]", "node: p:1:9: id: must be"},
      {"[{\"id\": -3, \"address\": \"a\"}]", "node: p:1:9: id: must be"},
      {"[{\"id\": 1.5, \"address\": \"a\"}]", "node: p:1:9: id: must be"},
      {"[{\"id\": \"+1\", \"address\": \"a\"}]", "node: p:1:9: id: must be"},
      {"[{\"id\": 1, \"address\": \"\"}]", "node: p:1:23: address: must be"},
      {"[{\"id\": 1, \"address\": 5}]", "node: p:1:23: address: must be"},
      {"[{\"id\": 1, \"address\": \"a\", \"non_voter\": \"no\"}]",
       "node: p:1:41: non_voter: must be true or false"},
      {"[{\"id\": 1, \"address\": \"a\"},\n {\"id\": 1, \"address\": \"b\"}]",
       "node: p:2:2: id 1 is listed twice"},
      {"[{\"id\": 1, \"address\": \"a\", \"non_voter\": true}]",
       "node: p:1:1: no voter"},
      {"[{\"id\": 1, \"address\": \"a\"}], \"x\": 1", "node: p:1:"},
      {"[{\"id\": 1, \"address\": \"a\"}\n", "node: p:2:"},
      {"[{\"id\": {\"n\": 1}, \"address\": \"a\"}]", "node: p:1:"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.text);
    absl::StatusOr<std::vector<node::RecoveryPeer>> r =
        ParsePeersFile(k.text, "p");
    REQUIRE_FALSE(r.ok());
    INFO(r.status().message());
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(std::string(r.status().message()).rfind(k.message, 0) == 0);
  }
}

}  // namespace
}  // namespace coffer::testing
