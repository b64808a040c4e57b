// multipart/form-data (RFC 7578) read as a stream: parts are handed to a
// sink piece by piece, so a large file never sits whole in memory. The body
// comes from a file (an upload spooled by http/) or from memory.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "domain/error.hpp"

namespace sd::api {

struct MultipartPart {
  std::string name;          // the form field
  std::string filename;      // as sent (filename*= decoded), empty for a plain field
  std::string content_type;  // as sent, may be empty
};

class MultipartSink {
 public:
  virtual ~MultipartSink() = default;
  virtual Status begin(const MultipartPart& part) = 0;
  virtual Status data(std::string_view bytes) = 0;
  virtual Status end() = 0;
};

// The boundary of a Content-Type of multipart/form-data; nullopt otherwise.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Reads bytes into buf, returning how many (0 at the end), or an error.
using ByteSource = std::function<Result<std::size_t>(char* buf, std::size_t size)>;

// REQUIRES: boundary from multipart_boundary. An invalid_input error for a
// body that is not well-formed; the sink's own errors are passed on.
Status read_multipart(const ByteSource& source, const std::string& boundary, MultipartSink& sink);
Status read_multipart_file(const std::string& path, const std::string& boundary,
                           MultipartSink& sink);
Status read_multipart_string(std::string_view body, const std::string& boundary,
                             MultipartSink& sink);

}  // namespace sd::api
