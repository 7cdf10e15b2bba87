// COFFER_CHECK: invariants that, when broken, mean a bug in coffer. A broken
// invariant aborts with a message naming the file, line and condition; it is
// never turned into a Status (STYLE.md, "Errors"). Never put secret values in
// the message.
#ifndef COFFER_LIB_BASE_CHECK_H_
#define COFFER_LIB_BASE_CHECK_H_

namespace coffer::base {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const char* message);
}  // namespace coffer::base

#define COFFER_CHECK(cond)                                             \
  do {                                                                 \
    if (!(cond)) [[unlikely]]                                          \
      ::coffer::base::CheckFailed(__FILE__, __LINE__, #cond, nullptr); \
  } while (0)

#define COFFER_CHECK_MSG(cond, msg)                                  \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::coffer::base::CheckFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)

#ifdef NDEBUG
#define COFFER_DCHECK(cond) \
  do {                      \
  } while (false && (cond))
#else
#define COFFER_DCHECK(cond) COFFER_CHECK(cond)
#endif

#endif  // COFFER_LIB_BASE_CHECK_H_
