// Status and StatusOr<T>: Keyward's error values.
//
// No exceptions cross module boundaries (STYLE.md). Bad input and I/O failures are a Status with a
// code from the one namespaced enum below and a message that says what was wrong and what to do.
// Broken invariants are not a Status: they are KW_CHECK failures (common/check.h) that abort.
// Crypto failures that an attacker could use as an oracle carry one uniform message; details go to
// logs only.
//
// Thread-safety: values; no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/check.h"

namespace keyward {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // malformed or out-of-range input; the message names the field
  kNotFound,            // unknown user, file, key, origin...
  kAlreadyExists,       // e.g. an active record that must be recovered before re-registering
  kPermissionDenied,    // bad credential or token
  kFailedPrecondition,  // the state does not allow the operation (pending, locked...)
  kAuthenticationFailed,  // uniform crypto failure: MAC, signature, AEAD, OPAQUE login
  kResourceExhausted,   // size limits, rate limits, attempts used up
  kUnavailable,         // peer or daemon not reachable; retry later
  kDeadlineExceeded,    // a bounded wait ran out
  kIoError,             // filesystem or device failure
  kInternal,            // a dependency failed in a way we do not expect
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {
    KW_CHECK(code != ErrorCode::kOk);
  }
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid-argument: KE1 must be 96 bytes, got 95"
  std::string ToString() const;

  // Returns this status with `context` prepended to the message ("parsing KE2: ...").
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(ErrorCode::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(ErrorCode::kNotFound, std::move(m)); }
inline Status PermissionDenied(std::string m) { return Status(ErrorCode::kPermissionDenied, std::move(m)); }
inline Status FailedPrecondition(std::string m) { return Status(ErrorCode::kFailedPrecondition, std::move(m)); }
inline Status AuthenticationFailed(std::string m) { return Status(ErrorCode::kAuthenticationFailed, std::move(m)); }
inline Status ResourceExhausted(std::string m) { return Status(ErrorCode::kResourceExhausted, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(ErrorCode::kUnavailable, std::move(m)); }
inline Status IoError(std::string m) { return Status(ErrorCode::kIoError, std::move(m)); }
inline Status Internal(std::string m) { return Status(ErrorCode::kInternal, std::move(m)); }

// A value or an error. Accessing value() of an error is a broken invariant (aborts).
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { KW_CHECK(!status_.ok()); }  // NOLINT
  StatusOr(T value) : value_(std::move(value)) {}                                    // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { KW_CHECK(ok()); return *value_; }
  const T& value() const& { KW_CHECK(ok()); return *value_; }
  T&& value() && { KW_CHECK(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace keyward

#define KW_STATUS_CONCAT_INNER(a, b) a##b
#define KW_STATUS_CONCAT(a, b) KW_STATUS_CONCAT_INNER(a, b)

// Returns early from the enclosing function if `expr` (a Status) is an error.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::keyward::Status kw_status_ = (expr);             \
    if (!kw_status_.ok()) return kw_status_;           \
  } while (0)

// ASSIGN_OR_RETURN(auto x, F()) — binds the value of a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  KW_ASSIGN_OR_RETURN_IMPL(KW_STATUS_CONCAT(kw_statusor_, __LINE__), lhs, expr)
#define KW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
