// A stand-in for libFuzzer's main, for builds without it: runs the target on
// `iterations` inputs drawn from a seeded generator (random bytes, and
// mutations of earlier inputs), printing the seed so that a failure replays
// with COFFER_FUZZ_SEED=<seed>. Files named after the count are run first.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long iterations = 10000;
  if (argc > 1) iterations = std::strtol(argv[1], nullptr, 10);
  for (int i = 2; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  const char* env = std::getenv("COFFER_FUZZ_SEED");
  const uint64_t seed =
      env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  std::printf("fuzz driver: seed %llu (replay: COFFER_FUZZ_SEED=%llu %s)\n",
              static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed), argv[0]);
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> input;
  for (long i = 0; i < iterations; ++i) {
    if (input.empty() || rng() % 4 == 0) {
      input.resize(rng() % 300);
      for (uint8_t& b : input) b = static_cast<uint8_t>(rng());
    } else {
      // Mutate: flip bytes, truncate or extend.
      switch (rng() % 3) {
        case 0:
          input[rng() % input.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
          break;
        case 1:
          input.resize(rng() % (input.size() + 1));
          break;
        default:
          input.push_back(static_cast<uint8_t>(rng()));
      }
    }
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  std::printf("fuzz driver: %ld inputs, no failure\n", iterations);
  return 0;
}
