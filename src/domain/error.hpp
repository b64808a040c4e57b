// Domain errors: expected failures as values. Any layer may return them;
// api/problem.cpp is the one place that maps them to HTTP.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sd {

using Id = std::int64_t;

enum class ErrorCode {
  invalid_input,
  not_found,
  conflict,
  precondition_failed,  // If-Match names a version that is no longer the record's
  unauthorized,
  forbidden,
  too_many_requests,
  payload_too_large,
  headers_too_large,
  upgrade_required,
  unsupported_media_type,
  method_not_allowed,
  unavailable,
  internal,
};

// One problem with one field of the input, for validation errors. `code`
// is stable for clients to translate: required, too_long, invalid_text,
// too_short, invalid_type, unknown_value, invalid_format, out_of_range,
// not_found, not_staff, cycle, unknown_field, invalid (anything else).
struct FieldError {
  std::string field;
  std::string message;
  std::string code = "invalid";
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string detail;  // for the client
  std::vector<FieldError> fields;
  std::string cause;   // for the log only (a driver's message); never sent out
  Id existing_id = 0;  // for a conflict: the record that is already there, if one
  // For a conflict: why, as a stable code clients translate (assign_first,
  // ticket_closed, same_level, not_open, email_taken, caller_exists).
  std::string reason;
};

inline Error make_error(ErrorCode code, std::string detail = {}) {
  return Error{code, std::move(detail), {}, {}, 0, {}};
}
// An internal failure: a fixed message for the client, the cause for the log.
inline Error internal_error(std::string cause) {
  return Error{ErrorCode::internal, "internal error", {}, std::move(cause), 0, {}};
}
// A conflict with its reason code.
inline Error conflict(std::string reason, std::string detail) {
  Error e{ErrorCode::conflict, std::move(detail), {}, {}, 0, std::move(reason)};
  return e;
}

template <class T>
using Result = boost::system::result<T, Error>;

// Status of an operation that returns nothing on success.
using Status = boost::system::result<void, Error>;

// Input refused, naming the field at fault.
inline Error field_error(std::string field, std::string message, std::string code) {
  Error e = make_error(ErrorCode::invalid_input, "the input is not valid");
  e.fields.push_back({std::move(field), std::move(message), std::move(code)});
  return e;
}
// Nothing when `errors` is empty; else the input refused, naming each field.
inline Status check_fields(std::vector<FieldError> errors) {
  if (errors.empty()) return {};
  Error e = make_error(ErrorCode::invalid_input, "the input is not valid");
  e.fields = std::move(errors);
  return e;
}

}  // namespace sd

// boost::system::result needs to know how to throw an Error when value() is
// called on a failed result; that is a bug, so we terminate loudly.
namespace boost::system {
[[noreturn]] void throw_exception_from_error(sd::Error const& e, boost::source_location const& loc);
}
