#pragma once

// Early-return helpers for absl::Status and absl::StatusOr<T>. Abseil 20220623 ships neither, so
// vpvm defines them once here.
//
//   VPVM_RETURN_IF_ERROR(store.Migrate());
//   VPVM_ASSIGN_OR_RETURN(TokenRecord token, store.Get(id));

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define VPVM_STATUS_CONCAT_INNER_(a, b) a##b
#define VPVM_STATUS_CONCAT_(a, b) VPVM_STATUS_CONCAT_INNER_(a, b)

#define VPVM_RETURN_IF_ERROR(expr)                                  \
  do {                                                              \
    if (::absl::Status vpvm_status_ = (expr); !vpvm_status_.ok()) { \
      return vpvm_status_;                                          \
    }                                                               \
  } while (false)

#define VPVM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                \
  if (!statusor.ok()) {                                   \
    return std::move(statusor).status();                  \
  }                                                       \
  lhs = std::move(statusor).value()

#define VPVM_ASSIGN_OR_RETURN(lhs, rexpr) \
  VPVM_ASSIGN_OR_RETURN_IMPL_(VPVM_STATUS_CONCAT_(vpvm_statusor_, __LINE__), lhs, rexpr)
