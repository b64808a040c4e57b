#include "api/problem.hpp"

#include <boost/json.hpp>

namespace sd::api {
namespace {

struct Info {
  const char* slug;
  const char* title;
};

Info info(ErrorCode c) {
  switch (c) {
    case ErrorCode::invalid_input:
      return {"invalid_input", "Invalid input"};
    case ErrorCode::not_found:
      return {"not_found", "Not found"};
    case ErrorCode::conflict:
      return {"conflict", "Conflict"};
    case ErrorCode::precondition_failed:
      return {"precondition_failed", "Precondition failed"};
    case ErrorCode::unauthorized:
      return {"unauthorized", "Authentication required"};
    case ErrorCode::forbidden:
      return {"forbidden", "Forbidden"};
    case ErrorCode::too_many_requests:
      return {"too_many_requests", "Too many requests"};
    case ErrorCode::payload_too_large:
      return {"payload_too_large", "Payload too large"};
    case ErrorCode::headers_too_large:
      return {"headers_too_large", "Request headers too large"};
    case ErrorCode::upgrade_required:
      return {"upgrade_required", "Upgrade required"};
    case ErrorCode::unsupported_media_type:
      return {"unsupported_media_type", "Unsupported media type"};
    case ErrorCode::method_not_allowed:
      return {"method_not_allowed", "Method not allowed"};
    case ErrorCode::unavailable:
      return {"unavailable", "Service unavailable"};
    case ErrorCode::internal:
      break;
  }
  return {"internal", "Internal error"};
}

}  // namespace

int http_status(const Error& e) {
  switch (e.code) {
    case ErrorCode::invalid_input:
      // Well-formed input with bad fields is unprocessable; anything else
      // (malformed JSON, bad query) is a bad request.
      return e.fields.empty() ? 400 : 422;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::precondition_failed:
      return 412;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::too_many_requests:
      return 429;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::headers_too_large:
      return 431;
    case ErrorCode::upgrade_required:
      return 426;
    case ErrorCode::unsupported_media_type:
      return 415;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      break;
  }
  return 500;
}

Response problem(const Error& e) {
  const Info i = info(e.code);
  const int status = http_status(e);
  boost::json::object o;
  o["type"] = std::string("https://servicedesk.invalid/problems/") + i.slug;
  o["title"] = i.title;
  o["status"] = status;
  if (!e.detail.empty()) o["detail"] = e.detail;
  if (e.existing_id) o["existing_id"] = e.existing_id;
  if (!e.reason.empty()) o["reason"] = e.reason;
  if (!e.fields.empty()) {
    boost::json::array errs;
    for (const auto& f : e.fields)
      errs.push_back({{"field", f.field}, {"message", f.message}, {"code", f.code}});
    o["errors"] = std::move(errs);
  }
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = boost::json::serialize(o);
  r.log_detail = e.cause;
  if (e.code == ErrorCode::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (e.code == ErrorCode::upgrade_required) r.headers.emplace_back("Upgrade", "websocket");
  return r;
}

}  // namespace sd::api
