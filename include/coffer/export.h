// COFFER_EXPORT marks the public API. The library builds with hidden
// visibility by default, so only marked declarations are exported from the
// shared library.
#ifndef COFFER_EXPORT_H_
#define COFFER_EXPORT_H_

#if defined(_WIN32)
#define COFFER_EXPORT
#else
#define COFFER_EXPORT __attribute__((visibility("default")))
#endif

#endif  // COFFER_EXPORT_H_
