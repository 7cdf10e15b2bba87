// The state view: request writes and in-flight writes over applied state.
#include "node/state_view.h"

#include "node/codec.h"
#include "storage/memory_state_store.h"
#include "support/catch.h"

namespace coffer::node {
namespace {

TEST_CASE("reads outside a request see the applied state alone",
          "[node][view]") {
  storage::MemoryStateStore state;
  storage::WriteSet base;
  base.Put("a", "1");
  base.Put("b", "2");
  REQUIRE(state.Apply(base, 1).ok());
  StateView view(&state);

  storage::WriteSet flight;
  flight.Put("a", "10");
  flight.Delete("b");
  flight.Put("c", "3");
  view.AddInFlight(2, flight);
  CHECK(**view.Get("a") == "1");
  CHECK(view.List("")->size() == 2);
  CHECK(view.Put("x", "y").code() == absl::StatusCode::kFailedPrecondition);

  view.BeginRequest();
  CHECK(**view.Get("a") == "10");
  CHECK(!view.Get("b")->has_value());
  CHECK(*view.List("") == std::vector<std::string>{"a", "c"});
  REQUIRE(view.Put("d", "4").ok());
  REQUIRE(view.Delete("c").ok());
  REQUIRE(view.Put("a", "11").ok());
  CHECK(**view.Get("a") == "11");
  CHECK(*view.List("") == std::vector<std::string>{"a", "d"});
  storage::WriteSet out = view.EndRequest();
  REQUIRE(out.ops().size() == 3);
  CHECK(out.ops()[0].key == "a");
  CHECK(*out.ops()[0].value == "11");
  CHECK(out.ops()[1].key == "c");
  CHECK(!out.ops()[1].value.has_value());
  CHECK(out.ops()[2].key == "d");

  view.AddInFlight(3, out);
  CHECK(view.in_flight() == 2);
  view.ReleaseInFlight(2);
  CHECK(view.in_flight() == 1);
  view.ClearInFlight();
  CHECK(view.in_flight() == 0);
}

TEST_CASE("commands round-trip and corrupt ones are data loss",
          "[node][codec]") {
  storage::WriteSet w;
  w.Put("k", "v");
  w.Delete("gone");
  std::string data = EncodeCommand(1, 7, w);
  storage::WriteSet back;
  REQUIRE(DecodeCommand(data, 5, &back).ok());
  REQUIRE(back.ops().size() == 2);
  CHECK(back.ops()[0].key == "k");
  CHECK(*back.ops()[0].value == "v");
  CHECK(!back.ops()[1].value.has_value());
  absl::Status bad = DecodeCommand("\xff\xff\xff", 5, &back);
  CHECK(bad.code() == absl::StatusCode::kDataLoss);
  CHECK(bad.message().find("entry 5") != absl::string_view::npos);

  CHECK(!DecodeFrame("junk", 1).has_value());
  nodepb::Frame f;
  f.set_version(kFrameVersion + 1);
  f.set_from(2);
  f.set_to(1);
  f.mutable_forward_response()->set_id(1);
  CHECK(!DecodeFrame(f.SerializeAsString(), 1).has_value());
  f.set_version(kFrameVersion);
  CHECK(DecodeFrame(f.SerializeAsString(), 1).has_value());
  CHECK(!DecodeFrame(f.SerializeAsString(), 3).has_value());  // not for us
}

}  // namespace
}  // namespace coffer::node
