// The one map from domain errors to HTTP: status codes and RFC 9457
// application/problem+json bodies.
#pragma once

#include "api/message.hpp"
#include "domain/error.hpp"

namespace sd::api {

int http_status(const Error& e);
Response problem(const Error& e);

}  // namespace sd::api
