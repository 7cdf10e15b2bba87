#include "crypto/boringssl.h"

#include <dlfcn.h>

#include <string>

#include "absl/base/call_once.h"
#include "base/check.h"

namespace coffer::crypto::internal {
namespace {

#ifndef COFFER_BORINGSSL_CRYPTO_PATH
#error "COFFER_BORINGSSL_CRYPTO_PATH must name BoringSSL's libcrypto.so"
#endif

// RTLD_DEEPBIND is refused by the sanitizer runtimes (they interpose malloc
// and friends); sanitizer builds load without it. Without it BoringSSL's
// calls into itself bind to OpenSSL's symbols of the same names when the
// process loaded OpenSSL first (cofferd does, through cpp-httplib), so a
// sanitizer build of such a program cannot run; the library and its tests
// load no OpenSSL.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL;
#else
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif
#else
constexpr int kDlopenFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#endif

struct Loaded {
  BoringSsl table;
  absl::Status status;
};

Loaded& State() {
  static Loaded* loaded = new Loaded;  // never destroyed: used until exit
  return *loaded;
}

absl::once_flag load_once;

void Load() {
  Loaded& state = State();
  const char* path = COFFER_BORINGSSL_CRYPTO_PATH;
  void* handle = dlopen(path, kDlopenFlags);
  if (handle == nullptr) {
    const char* why = dlerror();
    state.status = absl::FailedPreconditionError(
        std::string("crypto: cannot load BoringSSL from ") + path + ": " +
        (why ? why : "unknown error"));
    return;
  }
#define COFFER_BORINGSSL_RESOLVE(name)                                  \
  state.table.name =                                                    \
      reinterpret_cast<decltype(&::name)>(dlsym(handle, #name));        \
  if (state.table.name == nullptr) {                                    \
    state.status = absl::FailedPreconditionError(                       \
        std::string("crypto: BoringSSL at ") + path + " lacks " #name); \
    return;                                                             \
  }
  COFFER_BORINGSSL_FUNCTIONS(COFFER_BORINGSSL_RESOLVE)
#undef COFFER_BORINGSSL_RESOLVE
}

}  // namespace

absl::Status LoadBoringSsl() {
  absl::call_once(load_once, Load);
  return State().status;
}

const BoringSsl& Ssl() {
  absl::Status status = LoadBoringSsl();
  COFFER_CHECK_MSG(status.ok(), std::string(status.message()).c_str());
  return State().table;
}

}  // namespace coffer::crypto::internal
