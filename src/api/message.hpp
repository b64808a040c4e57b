// The request and response the api layer works on: plain values, no Beast.
// http/ translates to and from the wire; api/ never sees a socket.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sd::api {

enum class Method { get, head, post, put, patch, del, options, other };

struct Request {
  Method method = Method::get;
  std::string method_name;                                   // as sent, for logs and 405s
  std::string target;                                        // path and query, as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  // An upload's body, spooled by http/ to this file (body is then empty);
  // the file is removed after the response.
  std::string body_file;
  std::string remote_address;
  std::string request_id;

  // The first header with this lower-case name, or empty.
  std::string_view header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
      if (k == lower_name) return v;
    return {};
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is this file's bytes (body is then empty), sent by
  // http/ as it reads them: a download never sits whole in memory. The file
  // must not change (a stored file, named by its hash).
  std::string body_file;
  // Why a request failed, for the server's log only (a driver's message);
  // never sent to the client.
  std::string log_detail;
};

}  // namespace sd::api
