#include "snapshot/snapshot.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/escaping.h"
#include "crypto/hash.h"
#include "snapshot/inspect.h"
#include "support/catch.h"
#include "unit/storage/test_util.h"

namespace coffer::snapshot {
namespace {

using Records = std::map<std::string, std::string>;

SnapshotHeader Header() {
  SnapshotHeader h;
  h.cluster_id = "cluster-a";
  h.index = 1234;
  h.term = 7;
  h.conf_state.add_voters(1);
  h.conf_state.add_voters(2);
  h.conf_state.add_voters(3);
  h.conf_state.add_learners(4);
  return h;
}

Records SampleRecords(int n) {
  Records r;
  for (int i = 0; i < n; ++i) {
    std::string prefix = i % 3 == 0 ? "sys/" : (i % 3 == 1 ? "kv/" : "");
    r[prefix + "key" + std::to_string(100000 + i)] =
        std::string(40 + i % 50, static_cast<char>(i));
  }
  return r;
}

void Write(const std::string& path, const Records& records,
           const SnapshotHeader& header = Header(),
           absl::string_view key = "mac-key") {
  auto w = SnapshotWriter::Create(path, header, key);
  REQUIRE(w.ok());
  for (const auto& [k, v] : records) REQUIRE((*w)->Add(k, v).ok());
  REQUIRE((*w)->Finish().ok());
}

// Reads every record; the status of the first failure, or OK.
absl::Status ReadAll(const std::string& path, Records* out,
                     std::optional<std::string> key = "mac-key") {
  auto r = SnapshotReader::Open(path, key);
  if (!r.ok()) return r.status();
  absl::string_view k, v;
  for (;;) {
    auto more = (*r)->Next(&k, &v);
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    if (out != nullptr) out->emplace(std::string(k), std::string(v));
  }
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Spit(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

std::string Hex(const crypto::Digest& d) {
  return absl::BytesToHexString(crypto::DigestView(d));
}

TEST_CASE("sha-256 and hmac match published vectors", "[snapshot][crypto]") {
  CHECK(Hex(crypto::Sha256::Hash("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(Hex(crypto::Sha256::Hash("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string million(1000000, 'a');
  crypto::Sha256 streaming;
  for (size_t i = 0; i < million.size(); i += 997) {
    streaming.Update(absl::string_view(million).substr(i, 997));
  }
  CHECK(Hex(streaming.Finish()) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // RFC 4231 test cases 2 and 6 (a key longer than the block).
  CHECK(Hex(crypto::HmacSha256::Mac("Jefe", "what do ya want for nothing?")) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(Hex(crypto::HmacSha256::Mac(
            std::string(131, '\xaa'),
            "Test Using Larger Than Block-Size Key - Hash Key First")) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_CASE("records and header round trip in key order", "[snapshot]") {
  storage::test::ScratchDir dir;
  std::string path = dir.Sub("s.snap");
  Records records = SampleRecords(2000);
  Write(path, records);
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  auto r = SnapshotReader::Open(path, "mac-key");
  REQUIRE(r.ok());
  CHECK((*r)->header().cluster_id == "cluster-a");
  CHECK((*r)->header().index == 1234);
  CHECK((*r)->header().term == 7);
  CHECK((*r)->header().conf_state.voters_size() == 3);
  Records read;
  REQUIRE(ReadAll(path, &read).ok());
  CHECK(read == records);
}

TEST_CASE("an empty snapshot is valid", "[snapshot]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("e.snap"), {});
  Records read;
  REQUIRE(ReadAll(dir.Sub("e.snap"), &read).ok());
  CHECK(read.empty());
}

TEST_CASE("the same state gives a byte-identical snapshot", "[snapshot]") {
  storage::test::ScratchDir dir;
  Records records = SampleRecords(500);
  Write(dir.Sub("a.snap"), records);
  Write(dir.Sub("b.snap"), records);
  CHECK(Slurp(dir.Sub("a.snap")) == Slurp(dir.Sub("b.snap")));
}

TEST_CASE("the writer refuses keys out of order and oversized records",
          "[snapshot]") {
  storage::test::ScratchDir dir;
  auto w = SnapshotWriter::Create(dir.Sub("w.snap"), Header(), "k");
  REQUIRE(w.ok());
  REQUIRE((*w)->Add("b", "1").ok());
  CHECK((*w)->Add("a", "2").code() == absl::StatusCode::kInvalidArgument);
  CHECK((*w)->Add("b", "2").code() == absl::StatusCode::kInvalidArgument);
  CHECK((*w)->Add(std::string(format::kMaxKeySize + 1, 'z'), "").code() ==
        absl::StatusCode::kInvalidArgument);
  w->reset();  // abandoned: no file is left behind
  CHECK_FALSE(std::filesystem::exists(dir.Sub("w.snap")));
  CHECK_FALSE(std::filesystem::exists(dir.Sub("w.snap.tmp")));
}

TEST_CASE("a truncated snapshot is data loss at every length",
          "[snapshot][corruption]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("s.snap"), SampleRecords(20));
  std::string data = Slurp(dir.Sub("s.snap"));
  for (size_t len = 0; len < data.size(); ++len) {
    Spit(dir.Sub("t.snap"), data.substr(0, len));
    absl::Status s = ReadAll(dir.Sub("t.snap"), nullptr);
    INFO("length " << len << ": " << s.ToString());
    CHECK(s.code() == absl::StatusCode::kDataLoss);
  }
  Spit(dir.Sub("t.snap"), data + "x");
  CHECK(ReadAll(dir.Sub("t.snap"), nullptr).code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("a flipped byte anywhere is detected", "[snapshot][corruption]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("s.snap"), SampleRecords(20));
  std::string data = Slurp(dir.Sub("s.snap"));
  for (size_t pos = 0; pos < data.size(); ++pos) {
    std::string bad = data;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
    Spit(dir.Sub("f.snap"), bad);
    absl::Status s = ReadAll(dir.Sub("f.snap"), nullptr);
    INFO("byte " << pos << ": " << s.ToString());
    if (pos >= 8 && pos < 12) {  // the format version
      CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
    } else {
      CHECK(s.code() == absl::StatusCode::kDataLoss);
    }
  }
}

TEST_CASE("a record claiming a huge size is refused before it is read",
          "[snapshot][corruption]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("s.snap"), {{"k", "v"}});
  std::string data = Slurp(dir.Sub("s.snap"));
  // The record header follows the file header: find the 'k' record's tag.
  size_t tag = data.find(std::string("\x01\0\0\0\x01\0\0\0\x01k", 10));
  REQUIRE(tag != std::string::npos);
  std::string huge = data;
  huge.replace(tag + 5, 4, std::string("\x00\xff\xff\xff", 4));
  Spit(dir.Sub("h.snap"), huge);
  absl::Status s = ReadAll(dir.Sub("h.snap"), nullptr);
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(s.message().find("runs past the end") != absl::string_view::npos);
  huge.replace(tag + 5, 4, std::string("\x7f\xff\xff\xff", 4));
  Spit(dir.Sub("h.snap"), huge);
  s = ReadAll(dir.Sub("h.snap"), nullptr);
  CHECK(s.message().find("impossible sizes") != absl::string_view::npos);
}

TEST_CASE("a snapshot keyed by another key fails authentication",
          "[snapshot][corruption]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("s.snap"), SampleRecords(10), Header(), "their-key");
  absl::Status s = ReadAll(dir.Sub("s.snap"), nullptr, "our-key");
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(s.message().find("HMAC") != absl::string_view::npos);
  // Without a key (inspection) only the checksum is checked.
  CHECK(ReadAll(dir.Sub("s.snap"), nullptr, std::nullopt).ok());
}

TEST_CASE("a file that is not a snapshot is refused", "[snapshot]") {
  storage::test::ScratchDir dir;
  Spit(dir.Sub("x.snap"), std::string(200, 'x'));
  absl::Status s = ReadAll(dir.Sub("x.snap"), nullptr);
  CHECK(s.code() == absl::StatusCode::kDataLoss);
  CHECK(s.message().find("bad magic") != absl::string_view::npos);
  CHECK(ReadAll(dir.Sub("missing.snap"), nullptr).code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("inspection reports metadata and counts by prefix without a key",
          "[snapshot][inspect]") {
  storage::test::ScratchDir dir;
  Records records = SampleRecords(300);
  Write(dir.Sub("s.snap"), records);
  auto in = InspectSnapshot(dir.Sub("s.snap"));
  REQUIRE(in.ok());
  CHECK(in->format_version == 1);
  CHECK(in->records == 300);
  CHECK(in->file_bytes == std::filesystem::file_size(dir.Sub("s.snap")));
  REQUIRE(in->by_prefix.size() == 3);
  CHECK(in->by_prefix.at("sys").records == 100);
  CHECK(in->by_prefix.at("kv").records == 100);
  CHECK(in->by_prefix.at("").records == 100);
  uint64_t values = 0;
  for (const auto& [k, v] : records) values += v.size();
  CHECK(in->value_bytes == values);
  std::string text = InspectionText(*in);
  CHECK(text.find("index:          1234") != std::string::npos);
  CHECK(text.find("voters:         1,2,3") != std::string::npos);
  CHECK(text.find("  sys: 100 records") != std::string::npos);
  CHECK(text.find("  (no prefix): 100 records") != std::string::npos);
  std::string json = InspectionJson(*in);
  CHECK(json.find("\"index\":1234,\"term\":7") != std::string::npos);
  CHECK(json.find("\"voters\":[1,2,3],\"learners\":[4]") != std::string::npos);
  CHECK(json.find("\"kv\":{\"records\":100,") != std::string::npos);
  CHECK(json.front() == '{');
  CHECK(json.back() == '}');
}

TEST_CASE("inspection escapes odd cluster ids and keys in JSON",
          "[snapshot][inspect]") {
  storage::test::ScratchDir dir;
  SnapshotHeader h = Header();
  h.cluster_id = "a\"b\\c\n";
  Write(dir.Sub("s.snap"), {{std::string("\x01/x", 3), "v"}}, h);
  auto in = InspectSnapshot(dir.Sub("s.snap"));
  REQUIRE(in.ok());
  std::string json = InspectionJson(*in);
  CHECK(json.find(R"("cluster_id":"a\"b\\c\u000a")") != std::string::npos);
  CHECK(json.find(R"("\u0001":{"records":1)") != std::string::npos);
}

TEST_CASE("inspection of a corrupt snapshot is data loss",
          "[snapshot][inspect]") {
  storage::test::ScratchDir dir;
  Write(dir.Sub("s.snap"), SampleRecords(30));
  std::string data = Slurp(dir.Sub("s.snap"));
  data[data.size() / 2] ^= 0x10;
  Spit(dir.Sub("s.snap"), data);
  CHECK(InspectSnapshot(dir.Sub("s.snap")).status().code() ==
        absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace coffer::snapshot
