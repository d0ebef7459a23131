// Internal helpers for propagating Status and Result values. Not installed.
#pragma once

#include "omni/status.h"

#define OMNI_CONCAT_INNER(a, b) a##b
#define OMNI_CONCAT(a, b) OMNI_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define OMNI_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::omni::Status omni_status_ = (expr);        \
    if (!omni_status_.ok()) return omni_status_; \
  } while (false)

// `OMNI_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result, or returns its Status.
#define OMNI_ASSIGN_OR_RETURN(lhs, expr) \
  OMNI_ASSIGN_OR_RETURN_IMPL(OMNI_CONCAT(omni_result_, __LINE__), lhs, expr)
#define OMNI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
