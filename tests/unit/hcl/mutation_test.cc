// Randomly mutated policies and configurations: the parsers never crash,
// and either parse (and then Format round-trips) or return
// kInvalidArgument. The seed is printed; COFFER_HCL_SEED=<n> replays it.
#include <cstdio>
#include <cstdlib>
#include <random>

#include "test_util.h"

namespace coffer::hcl {
namespace {

constexpr const char* kHclInputs[] = {
    R"(path "secret/data/*" {
  capabilities = ["create", "update"]
  allowed_parameters = { "bar" = ["zip", "zap"], "*" = [] }
  min_wrapping_ttl = "1s" # comment
}
/* block */ path "sys/health" { capabilities = ["read", "sudo"] }
)",
    R"(storage "raft" {
  path = "/opt/vault/data"
  node_id = "n1"
  retry_join { leader_api_addr = "https://a:8200" }
}
listener "tcp" { address = "127.0.0.1:8200", tls_disable = true }
telemetry { prometheus_retention_time = "30s" }
ui = true
n = -1.5e3
l = [1, [2], {a = "\u00e9\n"},]
doc = <<-EOT
    indented
  EOT
)",
};

constexpr const char* kJsonInputs[] = {
    R"({"path": {"secret/*": {"capabilities": ["read", "list"],
  "allowed_parameters": {"bar": ["zip"]}}}})",
    R"({"storage": {"raft": {"path": "/d", "node_id": "1",
  "retry_join": [{"leader_api_addr": "http://a:8200"}]}},
  "listener": [{"tcp": {"address": "127.0.0.1:8200", "tls_disable": true}}],
  "ui": true, "n": -1.5e3, "s": "\u00e9\ud83d\ude00", "l": [1, [2], {"a": 1}]})",
};

constexpr char kSyntax[] = "{}[]\"=,:#/*<-\n\\ 0e.tu";

std::string Mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t at = s.empty() ? 0 : rng() % s.size();
    switch (rng() % 6) {
      case 0:
        if (!s.empty()) s[at] = static_cast<char>(rng());
        break;
      case 1:
        s.insert(at, 1, kSyntax[rng() % (sizeof(kSyntax) - 1)]);
        break;
      case 2:
        s.erase(at, rng() % 8);
        break;
      case 3:
        s.insert(at, s.substr(rng() % (s.size() + 1), rng() % 16));
        break;
      case 4:
        s.resize(at);
        break;
      default:
        if (!s.empty()) s[at] = kSyntax[rng() % (sizeof(kSyntax) - 1)];
    }
  }
  return s;
}

uint64_t Seed() {
  const char* env = std::getenv("COFFER_HCL_SEED");
  const uint64_t seed =
      env != nullptr ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::printf("hcl mutation test: seed %llu (replay: COFFER_HCL_SEED=%llu)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  return seed;
}

// Parse(Format(b)) gives b's tree again.
void CheckRoundTrip(const Body& b) {
  const std::string text = Format(b);
  absl::StatusOr<Body> again = Parse(text);
  INFO(text);
  REQUIRE(again.ok());
  REQUIRE(Format(*again) == text);
}

TEST_CASE("mutated inputs parse or fail with kInvalidArgument, never crash",
          "[hcl][mutation]") {
  const uint64_t seed = Seed();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  int parsed = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    const bool json = i % 2 == 1;
    const std::string input = json ? Mutate(kJsonInputs[rng() % 2], rng)
                                   : Mutate(kHclInputs[rng() % 2], rng);
    INFO("input " << i << ": " << input);
    absl::StatusOr<Body> b = json ? ParseJson(input) : Parse(input);
    if (b.ok()) {
      ++parsed;
      CheckRoundTrip(*b);
    } else {
      ++refused;
      REQUIRE(absl::IsInvalidArgument(b.status()));
      REQUIRE(b.status().message().substr(0, 5) == "hcl: ");
    }
  }
  // Both outcomes happen, or the mutations test nothing.
  CHECK(parsed > 0);
  CHECK(refused > 0);
}

}  // namespace
}  // namespace coffer::hcl
