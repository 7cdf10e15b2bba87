// SecureBuffer: memory for key material.
//
// Each buffer owns whole pages of its own, mapped privately, locked into RAM
// with mlock (so keys are not written to swap), excluded from core dumps
// (MADV_DONTDUMP) and wiped in a forked child (MADV_WIPEONFORK). The bytes are
// zeroized before the pages are released. Buffers are move-only, so key
// material is never copied by accident, and print as "<redacted>".
//
// When mlock fails (RLIMIT_MEMLOCK too small, no CAP_IPC_LOCK) coffer warns
// once on stderr and keeps going with unlocked pages, as Vault does when told
// disable_mlock; SetMlockEnabled(false) is that setting and silences the
// warning. CheckMlock() lets a host refuse to start instead.
//
// Thread-safety: a SecureBuffer is thread-compatible. SetMlockEnabled and
// CheckMlock are thread-safe.
#ifndef COFFER_LIB_CRYPTO_SECURE_BUFFER_H_
#define COFFER_LIB_CRYPTO_SECURE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <ostream>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace coffer::crypto {

class SecureBuffer {
 public:
  // An empty buffer; owns no memory.
  SecureBuffer() = default;
  // `size` zero bytes in locked memory. Aborts only if the process is out of
  // address space, as operator new would.
  explicit SecureBuffer(size_t size);
  // A locked copy of `bytes`. The caller remains responsible for wiping its
  // own copy.
  static SecureBuffer CopyOf(absl::string_view bytes);

  SecureBuffer(SecureBuffer&& other) noexcept;
  SecureBuffer& operator=(SecureBuffer&& other) noexcept;
  SecureBuffer(const SecureBuffer&) = delete;
  SecureBuffer& operator=(const SecureBuffer&) = delete;
  // Zeroizes, unlocks and unmaps.
  ~SecureBuffer();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Borrowed views; valid while this buffer lives and is not moved from.
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(data_), size_);
  }
  absl::Span<uint8_t> span() { return absl::MakeSpan(data_, size_); }

  // Constant-time comparison of contents (the lengths are not secret).
  bool Equals(const SecureBuffer& other) const;

  // Zeroizes and releases the memory now; the buffer becomes empty.
  void Clear();

  friend std::ostream& operator<<(std::ostream& os, const SecureBuffer& b) {
    return os << "<redacted " << b.size_ << " bytes>";
  }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // page-rounded length of the mapping
};

// Whether new buffers are mlock'ed (default true). false = Vault's
// disable_mlock: no locking and no warning.
void SetMlockEnabled(bool enabled);
bool MlockEnabled();

// Tries to lock one page. kFailedPrecondition, with the reason and the
// remedy, when this process cannot lock memory.
absl::Status CheckMlock();

// Zeroizes `n` bytes at `p` in a way the compiler cannot remove.
void Wipe(void* p, size_t n);

}  // namespace coffer::crypto

#endif  // COFFER_LIB_CRYPTO_SECURE_BUFFER_H_
