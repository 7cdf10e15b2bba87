#include "crypto/secure_buffer.h"

#include <cstdio>
#include <sstream>

#include "crypto/random.h"
#include "support/catch.h"

namespace coffer::crypto {
namespace {

TEST_CASE("a secure buffer starts zeroed and moves and prints redacted",
          "[crypto][secure]") {
  SecureBuffer b(40);
  REQUIRE(b.size() == 40);
  CHECK(b.view() == std::string(40, '\0'));
  b.data()[0] = 'Q';
  SecureBuffer moved = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move): documented state
  CHECK(moved.data()[0] == 'Q');
  std::ostringstream out;
  out << moved;
  CHECK(out.str() == "<redacted 40 bytes>");
  CHECK(out.str().find('Q') == std::string::npos);
}

TEST_CASE("secure buffers compare by content", "[crypto][secure]") {
  SecureBuffer a = SecureBuffer::CopyOf("key-1");
  SecureBuffer b = SecureBuffer::CopyOf("key-1");
  SecureBuffer c = SecureBuffer::CopyOf("key-2");
  CHECK(a.Equals(b));
  CHECK_FALSE(a.Equals(c));
  CHECK_FALSE(a.Equals(SecureBuffer::CopyOf("key-10")));
  a.Clear();
  CHECK(a.empty());
}

TEST_CASE("random secrets differ and have the asked size", "[crypto][random]") {
  auto a = RandomSecret(32);
  auto b = RandomSecret(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK_FALSE(a->Equals(*b));
  auto s = RandomString(12);
  REQUIRE(s.ok());
  CHECK(s->size() == 12);
}

TEST_CASE("mlock can be probed and disabled", "[crypto][secure]") {
  // Root in CI can lock memory; elsewhere the probe must explain itself.
  absl::Status s = CheckMlock();
  if (!s.ok()) {
    CHECK(absl::IsFailedPrecondition(s));
    CHECK(s.message().find("disable_mlock") != absl::string_view::npos);
  }
  SetMlockEnabled(false);
  CHECK_FALSE(MlockEnabled());
  SecureBuffer unlocked(16);
  CHECK(unlocked.size() == 16);
  SetMlockEnabled(true);
}

}  // namespace
}  // namespace coffer::crypto

namespace coffer::crypto {
namespace {

// Kilobytes of locked memory, from /proc/self/status.
long LockedKb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb;
}

TEST_CASE("key material is held in locked pages", "[crypto][secure]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  WARN("sanitizer runtimes turn mlock into a no-op; skipping");
  return;
#endif
  if (!CheckMlock().ok()) {
    WARN("this process cannot mlock; skipping the locked-pages check");
    return;
  }
  const long before = LockedKb();
  REQUIRE(before >= 0);
  SecureBuffer key(32);
  CHECK(LockedKb() >= before + 4);
  key.Clear();
  CHECK(LockedKb() == before);
}

}  // namespace
}  // namespace coffer::crypto
