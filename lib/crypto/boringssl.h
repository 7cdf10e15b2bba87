// BoringSSL, loaded at run time into a private symbol scope.
//
// Hosts often load OpenSSL's libcrypto too. Both libraries export many of the
// same symbol names (HMAC_Init_ex, EVP_sha256, SHA256_Init, ...) with
// different struct layouts, and Debian's BoringSSL carries no symbol versions,
// so linking it directly lets whichever library loads first answer the other's
// calls: wrong results or memory corruption. lib/crypto therefore never links
// libcrypto; it dlopen()s it with RTLD_LOCAL (its symbols stay out of the
// host's global scope) and RTLD_DEEPBIND (its internal calls resolve to itself
// first), and calls it only through the function table below. Because the
// library is not linked, a direct call to a BoringSSL function anywhere in
// coffer fails to link: the table is the only way in.
//
// Only lib/crypto includes this header (and <openssl/...>).
#ifndef COFFER_LIB_CRYPTO_BORINGSSL_H_
#define COFFER_LIB_CRYPTO_BORINGSSL_H_

#include <openssl/aead.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hkdf.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "absl/status/status.h"

namespace coffer::crypto::internal {

#define COFFER_BORINGSSL_FUNCTIONS(X) \
  X(EVP_aead_aes_256_gcm)             \
  X(EVP_AEAD_CTX_init)                \
  X(EVP_AEAD_CTX_cleanup)             \
  X(EVP_AEAD_CTX_seal)                \
  X(EVP_AEAD_CTX_open)                \
  X(EVP_sha256)                       \
  X(SHA256_Init)                      \
  X(SHA256_Update)                    \
  X(SHA256_Final)                     \
  X(HMAC_CTX_init)                    \
  X(HMAC_CTX_cleanup)                 \
  X(HMAC_Init_ex)                     \
  X(HMAC_Update)                      \
  X(HMAC_Final)                       \
  X(HKDF)                             \
  X(EVP_PBE_scrypt)                   \
  X(RAND_bytes)                       \
  X(CRYPTO_memcmp)                    \
  X(OPENSSL_cleanse)                  \
  X(ERR_clear_error)

// The BoringSSL entry points coffer uses, resolved from the loaded library.
struct BoringSsl {
#define COFFER_BORINGSSL_MEMBER(name) decltype(&::name) name = nullptr;
  COFFER_BORINGSSL_FUNCTIONS(COFFER_BORINGSSL_MEMBER)
#undef COFFER_BORINGSSL_MEMBER
};

// Loads the library on first use (thread-safe, once per process). Fails with
// kFailedPrecondition naming the path and the loader's error when BoringSSL
// is missing or lacks a symbol. Later calls return the first call's result.
absl::Status LoadBoringSsl();

// The loaded table. Aborts with a clear message if loading failed: callers
// that can report an error call LoadBoringSsl() (through crypto::Init) first.
const BoringSsl& Ssl();

}  // namespace coffer::crypto::internal

#endif  // COFFER_LIB_CRYPTO_BORINGSSL_H_
