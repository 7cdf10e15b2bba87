// seal_demo: what an operator sees when a coffer store is initialized,
// unsealed with a threshold of Shamir shares, used, and sealed again.
//
// It runs against an in-memory store, prints each step, and exits non-zero
// if any step does not behave as it should.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "seal/barrier.h"
#include "seal/physical.h"
#include "seal/seal_manager.h"

namespace {

using coffer::SealStatus;

int failures = 0;

void Expect(bool ok, const char* what) {
  std::printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
  if (!ok) ++failures;
}

void PrintStatus(const SealStatus& s) {
  std::printf(
      "  Key             Value\n"
      "  ---             -----\n"
      "  Seal Type       %s\n"
      "  Initialized     %s\n"
      "  Sealed          %s\n"
      "  Total Shares    %d\n"
      "  Threshold       %d\n"
      "  Unseal Progress %d/%d\n"
      "  Unseal Nonce    %s\n"
      "  Version         %s\n",
      s.type.c_str(), s.initialized ? "true" : "false",
      s.sealed ? "true" : "false", s.shares, s.threshold, s.progress,
      s.threshold, s.nonce.empty() ? "n/a" : s.nonce.c_str(),
      s.version.c_str());
}

}  // namespace

int main() {
  coffer::seal::MemoryPhysicalStore store;
  coffer::seal::Barrier barrier(&store);
  coffer::seal::SealManager seal(&store, &barrier, /*kms=*/nullptr);

  std::printf("$ coffer operator init -key-shares=5 -key-threshold=3\n");
  auto init = seal.Initialize({.secret_shares = 5, .secret_threshold = 3});
  if (!init.ok()) {
    std::fprintf(stderr, "init failed: %s\n", init.status().ToString().c_str());
    return 1;
  }
  for (size_t i = 0; i < init->keys.size(); ++i) {
    std::printf("  Unseal Key %zu: %s\n", i + 1,
                absl::Base64Escape(init->keys[i]).c_str());
  }
  std::printf(
      "\n  Initialized with 5 key shares and a key threshold of 3. Keep the\n"
      "  shares apart: any 3 of them reconstruct the unseal key.\n\n");

  std::printf("$ coffer status\n");
  PrintStatus(*seal.Status());
  Expect(seal.Status()->sealed, "a new store starts sealed");
  Expect(!barrier.Get("secret/data/demo").ok(),
         "a sealed store refuses to read");

  // Shares 5, 2 and 4: any three will do, in any order, as base64 or hex.
  const std::vector<std::string> chosen = {
      absl::Base64Escape(init->keys[4]), absl::BytesToHexString(init->keys[1]),
      absl::Base64Escape(init->keys[3])};
  for (const std::string& share : chosen) {
    std::printf("\n$ coffer operator unseal %s...\n",
                share.substr(0, 8).c_str());
    auto status = seal.SubmitUnsealKey(share);
    if (!status.ok()) {
      std::fprintf(stderr, "unseal failed: %s\n",
                   status.status().ToString().c_str());
      return 1;
    }
    PrintStatus(*status);
  }
  Expect(!seal.Status()->sealed, "three shares unseal the store");

  std::printf("\n$ coffer kv put secret/demo message=\"hello from coffer\"\n");
  Expect(barrier.Put("secret/data/demo", "message=hello from coffer").ok(),
         "the write is encrypted and stored");
  const std::string& stored = store.data().at("secret/data/demo");
  std::printf("  stored bytes: %zu, key term %d, nonce %s\n", stored.size(),
              static_cast<int>(stored[3]),
              absl::BytesToHexString(stored.substr(5, 12)).c_str());
  Expect(stored.find("hello") == std::string::npos,
         "the stored bytes hold no plaintext");
  std::printf("\n$ coffer kv get secret/demo\n");
  auto value = barrier.Get("secret/data/demo");
  Expect(value.ok() && value->has_value() &&
             **value == "message=hello from coffer",
         "the secret reads back");
  if (value.ok() && value->has_value())
    std::printf("  %s\n", (*value)->c_str());

  std::printf("\n$ coffer operator seal\n");
  seal.Seal();
  Expect(seal.Status()->sealed && !barrier.Get("secret/data/demo").ok(),
         "sealing drops every key: reads fail again");

  std::printf("\n$ coffer operator unseal (two shares of another store)\n");
  coffer::seal::MemoryPhysicalStore other_store;
  coffer::seal::Barrier other_barrier(&other_store);
  coffer::seal::SealManager other(&other_store, &other_barrier, nullptr);
  auto foreign = other.Initialize({.secret_shares = 3, .secret_threshold = 2});
  (void)seal.SubmitUnsealKey(init->keys[0]);
  (void)seal.SubmitUnsealKey(foreign->keys[0]);
  auto wrong = seal.SubmitUnsealKey(foreign->keys[1]);
  std::printf("  Error: %s\n", wrong.status().ToString().c_str());
  Expect(absl::IsPermissionDenied(wrong.status()) && seal.Status()->sealed,
         "a wrong set of shares is refused and nothing unseals");

  std::printf("\n%s\n", failures == 0 ? "demo: all steps behaved as expected"
                                      : "demo: some steps FAILED");
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
