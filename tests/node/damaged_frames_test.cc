// Frames a node must not take at face value. Damaged ones: every kind a
// cluster sends (raft, forwarding, joins, snapshot chunks), with fields
// changed to values at the edges, fed to the nodes while they serve writes.
// A node may refuse, drop or even halt on a frame (the host's transport
// owes it intact frames); it must never take the host's process down, and
// its API must keep answering. Misdirected ones: forwarding from a node
// that is no member, or an answer from a node that was not asked.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "coffer/node.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/reflection.h"
#include "node/recording.h"
#include "node/test_cluster.h"
#include "proto/node.pb.h"
#include "support/catch.h"
#include "support/cluster_fixture.h"

namespace coffer::testing {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

uint64_t EdgeValue(std::mt19937_64& rng) {
  const uint64_t edges[] = {0,
                            1,
                            2,
                            3,
                            1000,
                            uint64_t{1} << 32,
                            uint64_t{1} << 62,
                            std::numeric_limits<uint64_t>::max() - 1,
                            std::numeric_limits<uint64_t>::max()};
  if (rng() % 3 == 0) return rng() % 64;
  return edges[rng() % (sizeof(edges) / sizeof(edges[0]))];
}

// Changes one field somewhere in `m` (a set one, or in a set submessage),
// or clears or duplicates one element of a repeated field.
void MutateOnce(Message* m, std::mt19937_64& rng, int depth = 0) {
  const Reflection* r = m->GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(*m, &fields);
  if (fields.empty()) return;
  const FieldDescriptor* f = fields[rng() % fields.size()];
  if (f->is_repeated()) {
    const int n = r->FieldSize(*m, f);
    if (n == 0) return;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && rng() % 2 == 0 &&
        depth < 6) {
      return MutateOnce(r->MutableRepeatedMessage(m, f, rng() % n), rng,
                        depth + 1);
    }
    if (rng() % 2 == 0) {
      r->RemoveLast(m, f);
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      r->AddMessage(m, f)->CopyFrom(r->GetRepeatedMessage(*m, f, rng() % n));
    } else if (f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64) {
      r->SetRepeatedUInt64(m, f, rng() % n, EdgeValue(rng));
    }
    return;
  }
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_MESSAGE:
      if (depth < 6) MutateOnce(r->MutableMessage(m, f), rng, depth + 1);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      r->SetUInt64(m, f, EdgeValue(rng));
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      r->SetInt64(m, f, static_cast<int64_t>(EdgeValue(rng)));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      r->SetUInt32(m, f, static_cast<uint32_t>(EdgeValue(rng)));
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      r->SetInt32(m, f, static_cast<int32_t>(EdgeValue(rng)));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      r->SetBool(m, f, !r->GetBool(*m, f));
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      r->SetEnumValue(m, f, static_cast<int>(rng() % 16));
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = r->GetString(*m, f);
      if (s.empty() || rng() % 3 == 0) {
        s = std::string(rng() % 40, static_cast<char>(rng()));
      } else {
        s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
      }
      r->SetString(m, f, s);
      break;
    }
    default:
      break;
  }
}

// A damaged copy of `frame`: one to three field changes, or (one time in
// eight) flipped or cut bytes.
std::string Damage(const std::string& frame, std::mt19937_64& rng) {
  std::string out = frame;
  if (rng() % 8 == 0 && !out.empty()) {
    if (rng() % 2 == 0) {
      out.resize(rng() % out.size());
    } else {
      out[rng() % out.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    return out;
  }
  nodepb::Frame f;
  if (!f.ParseFromString(frame)) return out;
  const int changes = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < changes; ++i) {
    // Keep the addressing most of the time, so the damage gets past it.
    const uint64_t from = f.from(), to = f.to();
    const int version = f.version();
    MutateOnce(&f, rng);
    if (rng() % 4 != 0) {
      f.set_from(from);
      f.set_to(to);
      f.set_version(version);
    }
  }
  return f.SerializeAsString();
}

TEST_CASE("damaged frames never take the process down",
          "[node][cluster][faults]") {
  const char* seed_env = std::getenv("COFFER_DAMAGE_SEED");
  const uint64_t seed =
      seed_env != nullptr ? std::strtoull(seed_env, nullptr, 10) : 20261130;
  std::printf("damaged frames: seed %llu\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);

  // A copy of every frame the nodes send, to damage and feed back.
  absl::Mutex mu;
  std::vector<std::pair<uint64_t, std::string>> seen;  // (to, frame)
  Recorders rec;
  TestCluster c(3, seed);
  c.tweak = [&](NodeOptions& o) { rec.Attach(o); };
  // Damaged sender ids and addresses get answers sent to nowhere.
  c.network().DropUnroutable(true);
  c.network().DropIf([&](uint64_t, uint64_t to, const std::string& frame) {
    absl::MutexLock lock(&mu);
    if (seen.size() < 4000) seen.emplace_back(to, frame);
    return false;
  });
  const std::vector<std::string> keys =
      StartUnsealed(c, Setup().Kv("secret/")).keys;
  uint64_t leader = c.WaitForLeader();
  // Traffic of every kind: writes on the leader and through followers,
  // reads, a snapshot streamed from a follower, a node joining (challenge,
  // answer, catching up as a learner, promotion).
  for (int i = 0; i < 30; ++i) {
    const uint64_t via = c.ids()[i % 3];
    (void)Retry([&] {
      return c.node(via)
          .KvPut(c.root(), "secret/", "k" + std::to_string(i), {{"v", "x"}})
          .status();
    });
    (void)c.node(via).KvGet(c.root(), "secret/", "k" + std::to_string(i), 0,
                            ReadConsistency::kLinearizable);
  }
  const uint64_t follower = c.AFollower(leader);
  REQUIRE(c.node(follower)
              .SnapshotSaveTo(
                  c.root(), [](absl::string_view) { return absl::OkStatus(); })
              .ok());
  c.AddId(4);
  c.tweak = [&](NodeOptions& o) {
    rec.Attach(o);
    if (o.id != 4) return;
    o.retry_join = PeersOf({1, 2, 3});
    o.retry_join_interval = absl::Milliseconds(20);
  };
  REQUIRE(c.Start(4).ok());
  REQUIRE(Eventually([&] {
    absl::StatusOr<SealStatus> s = c.node(4).GetSealStatus();
    return s.ok() && s->initialized && s->threshold == 2;
  }));
  REQUIRE(c.node(4).SubmitUnsealKey(keys[0]).ok());
  REQUIRE(c.node(4).SubmitUnsealKey(keys[1]).ok());
  REQUIRE(Eventually([&] { return Unsealed(c.node(4)); }));
  std::vector<std::pair<uint64_t, std::string>> frames;
  {
    absl::MutexLock lock(&mu);
    frames = seen;
  }
  REQUIRE(frames.size() > 100);

  // Damaged copies while the cluster keeps writing.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      (void)c.node(c.ids()[i % 4])
          .KvPut(c.root(), "secret/", "w" + std::to_string(i % 50),
                 {{"v", "y"}});
    }
  });
  // Paced, so that the loops take them in between real traffic rather than
  // dropping a burst over their backlog bound.
  for (int i = 0; i < 3000; ++i) {
    const auto& [to, frame] = frames[rng() % frames.size()];
    c.node(to).Receive(Damage(frame, rng));
    if (i % 10 == 9) absl::SleepFor(absl::Milliseconds(1));
  }
  stop = true;
  writer.join();

  // Some damage got past the frame decoding to the raft core, which
  // refused it.
  uint64_t refused = 0;
  for (uint64_t id : c.ids()) {
    refused += rec.metrics.at(id).counter("raft.messages_refused");
  }
  CHECK(refused > 0);
  // Every node still answers its API (whatever state the damage left).
  for (uint64_t id : c.ids()) {
    INFO("node " << id);
    CHECK(c.node(id).GetSealStatus().status().code() != Code::kInternal);
    CHECK(c.node(id).Leader().status().code() != Code::kInternal);
  }
}

TEST_CASE("only members forward requests", "[node][cluster][faults]") {
  TestCluster c(3);
  StartUnsealed(c);
  const uint64_t leader = c.WaitForLeader();
  nodepb::Frame frame;
  frame.set_version(1);
  frame.set_from(99);  // no member
  frame.set_from_address("elsewhere:1");
  frame.set_to(leader);
  nodepb::ForwardRequest* req = frame.mutable_forward_request();
  req->set_id(1);
  req->set_session(7);
  req->set_timeout_ms(5000);
  req->mutable_op()->mutable_put_raw()->set_path("forged");
  req->mutable_op()->mutable_put_raw()->set_value("x");
  c.node(leader).Receive(frame.SerializeAsString());
  // The same in a batch.
  nodepb::Frame batch = frame;
  *batch.mutable_forward_batch()->add_requests() = *req;
  c.node(leader).Receive(batch.SerializeAsString());
  // A write made after them is applied after anything they could cause.
  REQUIRE(Retry([&] {
            return c.node(leader).PutRaw(c.root(), "marker", "m");
          }).ok());
  CHECK(c.node(leader).GetRaw(c.root(), "forged").status().code() ==
        Code::kNotFound);
}

TEST_CASE("a forwarded request takes its answer only from the node asked",
          "[node][cluster][faults]") {
  // The network's hook holds the leader's answers to the follower back and
  // keeps a copy of the follower's forwarded request (its id and session).
  // Declared before the cluster: its nodes send until closed.
  absl::Mutex mu;
  uint64_t leader = 0, follower = 0;
  nodepb::ForwardRequest asked;
  bool seen = false, hold = true;
  TestCluster c(3);
  StartUnsealed(c);
  {
    absl::MutexLock lock(&mu);
    leader = c.WaitForLeader();
    follower = c.AFollower(leader);
  }
  const uint64_t other = Followers(c, leader).at(1);
  c.network().DropIf([&](uint64_t from, uint64_t to, const std::string& f) {
    nodepb::Frame frame;
    if (!frame.ParseFromString(f) || !frame.has_forward_batch()) return false;
    absl::MutexLock lock(&mu);
    if (from == follower && to == leader &&
        frame.forward_batch().requests_size() > 0 && !seen) {
      asked = frame.forward_batch().requests(0);
      seen = true;
    }
    return hold && from == leader && to == follower &&
           frame.forward_batch().responses_size() > 0;
  });
  absl::StatusOr<VersionMetadata> put;
  REQUIRE(
      c.node(leader).EnableKvMount(c.root(), "secret/", MountConfig()).ok());
  std::thread caller([&] {
    put = c.node(follower).KvPut(c.root(), "secret/", "k", {{"v", "real"}});
  });
  // CHECK, not REQUIRE: the caller's thread must be joined either way.
  CHECK(Eventually([&] {
    absl::MutexLock lock(&mu);
    return seen;
  }));
  // Another member answers it first, with a made-up result.
  nodepb::Frame forged;
  forged.set_version(1);
  forged.set_from(other);
  forged.set_to(follower);
  nodepb::ForwardResponse* resp = forged.mutable_forward_response();
  {
    absl::MutexLock lock(&mu);
    resp->set_id(asked.id());
    resp->set_session(asked.session());
  }
  resp->set_code(0);
  resp->mutable_result()->mutable_kv()->mutable_version()->set_version(99);
  c.node(follower).Receive(forged.SerializeAsString());
  absl::SleepFor(absl::Milliseconds(50));
  {
    absl::MutexLock lock(&mu);
    hold = false;  // the follower's resend now gets the real answer
  }
  caller.join();
  REQUIRE(put.ok());
  CHECK(put->version == 1);
}

TEST_CASE("a follower that loses touch with its leader keeps its forwards",
          "[node][cluster][faults]") {
  // Everything the leader sends the follower is dropped until `cut` ends:
  // the follower's election timer fires, it becomes a pre-candidate (no
  // leader known) and the other nodes refuse it. When the leader is heard
  // again its answer to the forwarded write completes the write; the
  // request was never lost. `cut` is declared before the cluster, whose
  // nodes send through the hook until closed.
  std::atomic<bool> cut{false};
  TestCluster c(3);
  StartUnsealed(c, Setup().Kv("secret/"));
  const auto [leader, follower] = LeaderAndFollower(c);
  c.network().DropIf(
      [&cut, leader, follower](uint64_t from, uint64_t to, const std::string&) {
        return cut && from == leader && to == follower;
      });
  cut = true;
  absl::StatusOr<VersionMetadata> put;
  std::thread caller([&] {
    put = c.node(follower).KvPut(c.root(), "secret/", "k", {{"v", "kept"}});
  });
  // CHECK, not REQUIRE: the caller's thread must be joined either way.
  CHECK(Eventually([&] {
    absl::StatusOr<LeaderInfo> info = c.node(follower).Leader();
    return info.ok() && info->leader_id == 0;
  }));
  cut = false;
  caller.join();
  INFO(put.status());
  REQUIRE(put.ok());
  CHECK(put->version == 1);
  CHECK(c.node(follower).Leader()->leader_id == leader);
}

}  // namespace
}  // namespace coffer::testing
