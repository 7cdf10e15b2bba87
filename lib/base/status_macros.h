// Early-return helpers for absl::Status and absl::StatusOr.
#ifndef COFFER_LIB_BASE_STATUS_MACROS_H_
#define COFFER_LIB_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function if `expr` yields a non-OK status.
#define COFFER_RETURN_IF_ERROR(expr)                                  \
  do {                                                                \
    if (absl::Status _coffer_status = (expr); !_coffer_status.ok()) { \
      return _coffer_status;                                          \
    }                                                                 \
  } while (0)

#define COFFER_STATUS_CONCAT_INNER_(a, b) a##b
#define COFFER_STATUS_CONCAT_(a, b) COFFER_STATUS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, else
// moves the value into `lhs` (a declaration such as `auto x` or an lvalue).
#define COFFER_ASSIGN_OR_RETURN(lhs, rexpr) \
  COFFER_ASSIGN_OR_RETURN_IMPL_(            \
      COFFER_STATUS_CONCAT_(_coffer_statusor_, __LINE__), lhs, rexpr)
#define COFFER_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return std::move(tmp).status();       \
  lhs = *std::move(tmp)

#endif  // COFFER_LIB_BASE_STATUS_MACROS_H_
