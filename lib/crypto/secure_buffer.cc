#include "crypto/secure_buffer.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "base/check.h"
#include "crypto/hash.h"

namespace coffer::crypto {
namespace {

std::atomic<bool> mlock_enabled{true};
std::atomic<bool> mlock_warned{false};

size_t PageRound(size_t n) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

void WarnMlockFailedOnce(int err) {
  if (mlock_warned.exchange(true)) return;
  std::fprintf(stderr,
               "coffer: warning: mlock failed (%s); key material may be "
               "swapped to disk. Raise RLIMIT_MEMLOCK or grant CAP_IPC_LOCK, "
               "or set disable_mlock to run without it.\n",
               std::strerror(err));
}

}  // namespace

void Wipe(void* p, size_t n) {
  if (n != 0) explicit_bzero(p, n);
}

SecureBuffer::SecureBuffer(size_t size) : size_(size) {
  if (size == 0) return;
  mapped_ = PageRound(size);
  void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  COFFER_CHECK_MSG(p != MAP_FAILED, "out of memory for a secure buffer");
  data_ = static_cast<uint8_t*>(p);
  // Best effort: older kernels lack these; neither failure exposes the key
  // more than an ordinary allocation would.
  (void)madvise(p, mapped_, MADV_DONTDUMP);
#ifdef MADV_WIPEONFORK
  (void)madvise(p, mapped_, MADV_WIPEONFORK);
#endif
  if (mlock_enabled.load(std::memory_order_relaxed) && mlock(p, mapped_) != 0) {
    WarnMlockFailedOnce(errno);
  }
}

SecureBuffer SecureBuffer::CopyOf(absl::string_view bytes) {
  SecureBuffer b(bytes.size());
  if (!bytes.empty()) std::memcpy(b.data_, bytes.data(), bytes.size());
  return b;
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, 0)) {}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
  if (this != &other) {
    Clear();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

SecureBuffer::~SecureBuffer() { Clear(); }

void SecureBuffer::Clear() {
  if (data_ == nullptr) return;
  Wipe(data_, mapped_);
  (void)munlock(data_, mapped_);  // harmless when the pages were never locked
  munmap(data_, mapped_);
  data_ = nullptr;
  size_ = 0;
  mapped_ = 0;
}

bool SecureBuffer::Equals(const SecureBuffer& other) const {
  return ConstantTimeEquals(view(), other.view());
}

void SetMlockEnabled(bool enabled) { mlock_enabled.store(enabled); }
bool MlockEnabled() { return mlock_enabled.load(); }

absl::Status CheckMlock() {
  const size_t len = PageRound(1);
  void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    return absl::ResourceExhaustedError("crypto: cannot map a page to lock");
  }
  const int rc = mlock(p, len);
  const int err = errno;
  if (rc == 0) munlock(p, len);
  munmap(p, len);
  if (rc != 0) {
    return absl::FailedPreconditionError(
        std::string("crypto: this process cannot lock memory (") +
        std::strerror(err) +
        "); raise RLIMIT_MEMLOCK, grant CAP_IPC_LOCK, or set disable_mlock");
  }
  return absl::OkStatus();
}

}  // namespace coffer::crypto
