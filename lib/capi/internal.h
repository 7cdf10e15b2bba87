// Shared machinery of the C ABI (include/coffer/c.h): the exception
// boundary, the per-thread last error, coffer's allocator for returned
// buffers, and argument checks.
//
// Every entry point is `noexcept` and runs its body through Run(), which
// turns the body's absl::Status, or any exception (std::bad_alloc from a
// copy, anything unexpected), into a code and the thread's last message.
//
// Returned buffers come from Alloc(): a zeroed block preceded by a header
// holding its size, so that coffer_free can zeroize every buffer it frees
// without the caller telling it the length. Compound results are built in
// place and released on failure by their own free function, which tolerates
// partly built (zeroed) structs.
#ifndef COFFER_LIB_CAPI_INTERNAL_H_
#define COFFER_LIB_CAPI_INTERNAL_H_

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "coffer/c.h"
#include "coffer/kv.h"

// The bytes a host callback writes (coffer_sink_write).
struct coffer_sink {
  std::string data;
};

namespace coffer::capi {

// Records `status` as this thread's last error ("" when OK); returns its
// code. Never throws (the message is truncated to a fixed buffer).
int SetError(const absl::Status& status) noexcept;

// Runs `body` (returning absl::Status) at the C boundary.
template <typename Body>
int Run(Body&& body) noexcept {
  try {
    return SetError(body());
  } catch (const std::bad_alloc&) {
    return SetError(absl::ResourceExhaustedError("capi: out of memory"));
  } catch (...) {
    return SetError(absl::InternalError("capi: unexpected exception"));
  }
}

// A zeroed block of `n` bytes for a result; throws std::bad_alloc.
void* Alloc(size_t n);
// A zero-initialised T (a C struct) from Alloc.
template <typename T>
T* New() {
  return static_cast<T*>(Alloc(sizeof(T)));
}
// A zeroed array of `n` T.
template <typename T>
T* NewArray(size_t n) {
  if (n > SIZE_MAX / sizeof(T) - 1) throw std::bad_alloc();
  return static_cast<T*>(Alloc(n * sizeof(T) + (n == 0 ? 1 : 0)));
}
// A copy of `s` from Alloc, NUL-terminated beyond its length.
char* CopyBytes(absl::string_view s);

// Owns a compound result until it is handed to the caller; on failure the
// struct's free function releases whatever was built.
template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

// Zeroizes the bytes of `s` (a copy of a secret made at the boundary).
void WipeString(std::string& s);
void WipeSecretData(SecretData& data);

// kInvalidArgument "capi: <what> is NULL" when `p` is NULL.
absl::Status NotNull(const void* p, const char* what);
// The same for a callback.
template <typename R, typename... Args>
absl::Status NotNull(R (*fn)(Args...), const char* what) {
  return NotNull(fn == nullptr ? nullptr : "", what);
}
// kInvalidArgument unless `consistency` is a COFFER_READ_ value.
absl::Status CheckConsistency(int consistency);

// Reads a caller-supplied versioned struct: *out starts as `defaults`, then
// the caller's first in->struct_size bytes are copied over it. A caller
// built against a newer header may pass a larger struct only if the fields
// this library does not know are zero (as the Linux kernel's
// copy_struct_from_user).
absl::Status ReadSized(const void* in, void* out, size_t out_size,
                       const char* what);
template <typename T>
absl::Status ReadVersioned(const T* in, T* out, const T& defaults,
                           const char* what) {
  *out = defaults;
  return ReadSized(in, out, sizeof(T), what);
}

// The _init functions: writes `defaults` into the caller's struct of
// `size` bytes (a caller built against an older header has a smaller one;
// a newer one's unknown tail is zeroed) and sets its struct_size.
template <typename T>
void InitSized(T* out, size_t size, const T& defaults) {
  if (out == nullptr || size < sizeof(size_t)) return;
  size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(static_cast<void*>(out), &defaults, n);
  if (size > n) std::memset(reinterpret_cast<char*>(out) + n, 0, size - n);
  std::memcpy(static_cast<void*>(out), &size, sizeof(size));
}

// C fields -> SecretData (names non-NULL and unique; a value may be NULL
// only when empty).
absl::StatusOr<SecretData> ToSecretData(const coffer_kv_field_t* fields,
                                        size_t num_fields, const char* what);
// SecretData -> a coffer-allocated array of fields (for a result struct).
coffer_kv_field_t* FromSecretData(const SecretData& data);
void FreeFields(coffer_kv_field_t* fields, size_t num_fields);

}  // namespace coffer::capi

#endif  // COFFER_LIB_CAPI_INTERNAL_H_
