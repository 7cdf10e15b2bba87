# Finds BoringSSL as Debian packages it (android-libboringssl-dev): headers in
# /usr/include/android, libcrypto.so.0 in <multiarch libdir>/android. No package
# config ships with it.
#
# coffer does not link libcrypto at build time: lib/crypto loads it with dlopen
# at run time (RTLD_LOCAL | RTLD_DEEPBIND) so that BoringSSL's symbols cannot
# clash with an OpenSSL libcrypto that the host process also loads. See
# docs/design.md, "BoringSSL is loaded, not linked".
#
# Defines:
#   BoringSSL_FOUND, BoringSSL_INCLUDE_DIR, BoringSSL_CRYPTO_LIBRARY (full path)
#   BoringSSL::Headers  interface target: include path and the compile
#                       definition COFFER_BORINGSSL_CRYPTO_PATH.
include(FindPackageHandleStandardArgs)

set(_bssl_libdirs)
if(CMAKE_LIBRARY_ARCHITECTURE)
  list(APPEND _bssl_libdirs /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/android)
endif()
list(APPEND _bssl_libdirs /usr/lib/android /usr/lib64/android)

find_path(BoringSSL_INCLUDE_DIR NAMES openssl/aead.h
          HINTS /usr/include/android NO_DEFAULT_PATH)
find_file(BoringSSL_CRYPTO_LIBRARY NAMES libcrypto.so.0
          HINTS ${_bssl_libdirs} NO_DEFAULT_PATH)

find_package_handle_standard_args(BoringSSL
  REQUIRED_VARS BoringSSL_CRYPTO_LIBRARY BoringSSL_INCLUDE_DIR)

if(BoringSSL_FOUND AND NOT TARGET BoringSSL::Headers)
  add_library(BoringSSL::Headers INTERFACE IMPORTED)
  set_target_properties(BoringSSL::Headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${BoringSSL_INCLUDE_DIR}"
    INTERFACE_COMPILE_DEFINITIONS
      "COFFER_BORINGSSL_CRYPTO_PATH=\"${BoringSSL_CRYPTO_LIBRARY}\"")
endif()
mark_as_advanced(BoringSSL_INCLUDE_DIR BoringSSL_CRYPTO_LIBRARY)
