// Shared machinery of the C ABI (include/coffer/c.h): the one wrapper every
// entry point runs through, coffer's allocator for returned buffers, the
// wiping of secret copies, and argument checks.
//
// The wrapper. An entry point is `noexcept` and hands its body to Run (or to
// RunOnNode, capi/node.h, for a call on a node handle), with its outputs:
//
//   int coffer_x(coffer_node_t* node, coffer_y_t** out, const char* path) {
//     return RunOnNode(node, Result(out, coffer_y_free),
//                      [&](Node& n, Result<coffer_y_t>& r) -> absl::Status {
//                        ...fill r->field...
//                      });
//   }
//
// Constructing the output (Result, Bytes) clears the caller's pointers, so
// that they are NULL (lengths 0) after every failure, also for a NULL
// handle. Inside the exception boundary the wrapper then checks the handle
// ("capi: node is NULL"), then the output pointers ("capi: out is NULL"),
// runs the body, and hands the result to the caller only when the body
// returned OK. Any absl::Status becomes the returned code and this thread's
// last error message; std::bad_alloc becomes kResourceExhausted and any
// other exception kInternal, with whatever the body built released.
//
// Returned buffers come from Alloc(): a zeroed block preceded by a header
// holding its size, so that coffer_free can wipe every buffer it frees
// without the caller telling it the length. Compound results are built in
// place; their free functions tolerate partly built (zeroed) structs.
#ifndef COFFER_LIB_CAPI_INTERNAL_H_
#define COFFER_LIB_CAPI_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/status_macros.h"
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

// The exception boundary: runs `body` (returning absl::Status).
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

// --- Allocation -------------------------------------------------------------

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

// Frees an array of `n` pointers from Alloc, each with `free_item` (which
// accepts NULL), then the array. A NULL array is a no-op: the free
// functions release partly built results.
template <typename T>
void FreeArray(T** items, size_t n, void (*free_item)(T*)) {
  if (items == nullptr) return;
  for (size_t i = 0; i < n; ++i) free_item(items[i]);
  coffer_free(items);
}
inline void FreeBytes(char* p) { coffer_free(p); }

// --- Secrets ----------------------------------------------------------------

// Overwrites `n` bytes at `p` with zeros through a volatile pointer, which
// the compiler may not elide. The C ABI's own: only lib/crypto may use
// OpenSSL's OPENSSL_cleanse, and the C ABI uses the public API only.
void SecureWipe(void* p, size_t n) noexcept;

// Wipe the bytes of copies of secrets made at the boundary.
void Wipe(std::string& s) noexcept;
void Wipe(std::vector<std::string>& v) noexcept;
void Wipe(SecretData& data) noexcept;

// Wipes `value` when the scope ends, however it ends.
template <typename T>
class WipeOnExit {
 public:
  explicit WipeOnExit(T& value) : value_(value) {}
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;
  ~WipeOnExit() { Wipe(value_); }

 private:
  T& value_;
};

// --- Outputs ----------------------------------------------------------------

// kInvalidArgument "capi: <what> is NULL" when `p` is NULL.
absl::Status NotNull(const void* p, const char* what);
// The same for a callback.
template <typename R, typename... Args>
absl::Status NotNull(R (*fn)(Args...), const char* what) {
  return NotNull(fn == nullptr ? nullptr : "", what);
}

// An output of type T* (a result struct freed by `free`). The constructor
// clears *out. Start checks `out` (kInvalidArgument when NULL and required)
// and allocates a zeroed T for the body to fill; Finish hands it to the
// caller. Until then it is released with `free` (which tolerates a partly
// built struct) when the call fails or throws.
template <typename T>
class Result {
 public:
  enum Need { kRequired, kOptional };
  Result(T** out, void (*free)(T*), Need need = kRequired) noexcept
      : out_(out), built_(nullptr, free), need_(need) {
    if (out_ != nullptr) *out_ = nullptr;
  }

  absl::Status Start() {
    if (out_ == nullptr) {
      return need_ == kRequired ? NotNull(out_, "out") : absl::OkStatus();
    }
    built_.reset(New<T>());
    return absl::OkStatus();
  }
  // False for an optional output the caller passed as NULL: the body then
  // only runs the operation.
  bool wanted() const { return built_ != nullptr; }
  T* get() const { return built_.get(); }
  T* operator->() const { return built_.get(); }
  void Finish() {
    if (out_ != nullptr) *out_ = built_.release();
  }

 private:
  T** out_;
  std::unique_ptr<T, void (*)(T*)> built_;
  Need need_;
};

// The output pair `out`/`out_len` of a byte string freed with coffer_free;
// both are required. The constructor clears them.
class Bytes {
 public:
  Bytes(char** out, size_t* out_len) noexcept;
  Bytes(const Bytes&) = delete;
  Bytes& operator=(const Bytes&) = delete;
  ~Bytes();

  absl::Status Start();
  // Copies `value` (a secret) for the caller and wipes it, also when the
  // copy fails.
  void Set(std::string& value);
  void Finish();

 private:
  char** out_;
  size_t* out_len_;
  char* copy_ = nullptr;
  size_t len_ = 0;
};

// Checks the output `out` (a Result or Bytes), runs `body(out)`, and hands
// the output to the caller when it returned OK.
template <typename Out, typename Body>
absl::Status Produce(Out& out, Body&& body) {
  COFFER_RETURN_IF_ERROR(out.Start());
  COFFER_RETURN_IF_ERROR(body(out));
  out.Finish();
  return absl::OkStatus();
}

// Run for an entry point that returns `out`.
template <typename Out, typename Body>
int Run(Out out, Body&& body) noexcept {
  return Run([&]() -> absl::Status { return Produce(out, body); });
}

// --- Arguments --------------------------------------------------------------

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
// The same for an optional struct: NULL leaves *out at `defaults`.
template <typename T>
absl::Status ReadOptional(const T* in, T* out, const T& defaults,
                          const char* what) {
  *out = defaults;
  return in == nullptr ? absl::OkStatus() : ReadSized(in, out, sizeof(T), what);
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
// A versioned struct's defaults: zero, with struct_size set.
template <typename T>
T ZeroDefaults() {
  T t{};
  t.struct_size = sizeof(T);
  return t;
}

// Copies of `num` NUL-terminated strings (shares: wiped on failure, and by
// the caller after use).
absl::StatusOr<std::vector<std::string>> CopyStrings(const char* const* items,
                                                     size_t num,
                                                     const char* what);
// A coffer-allocated array of copies of `items` (for a result struct's
// char** field; freed with FreeArray(..., FreeBytes)).
char** NewStringArray(const std::vector<std::string>& items);
// Fills a returned list with copies of `items`.
void FillStringList(coffer_string_list_t& list,
                    const std::vector<std::string>& items);

// The status for a host callback's non-OK return code `rc`: that code
// (kUnknown outside 1..16), "capi: the <what> callback failed with code N".
absl::Status CallbackError(int rc, const char* what);

// C fields -> SecretData (names non-NULL and unique; a value may be NULL
// only when empty). Wiped on failure; the caller wipes the result.
absl::StatusOr<SecretData> ToSecretData(const coffer_kv_field_t* fields,
                                        size_t num_fields, const char* what);
// SecretData -> a coffer-allocated array of fields (for a result struct).
coffer_kv_field_t* FromSecretData(const SecretData& data);
void FreeFields(coffer_kv_field_t* fields, size_t num_fields);

}  // namespace coffer::capi

#endif  // COFFER_LIB_CAPI_INTERNAL_H_
