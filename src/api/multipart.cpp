#include "api/multipart.hpp"

#include <boost/url/pct_string_view.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "domain/text.hpp"

namespace sd::api {
namespace {

Error bad(const std::string& why) {
  return make_error(ErrorCode::invalid_input, "the multipart body is not valid: " + why);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in "form-data; name=\"file\"; filename=..."
// (quoted or token), or nullopt.
std::optional<std::string> param(std::string_view header, std::string_view key) {
  std::size_t i = 0;
  while (i < header.size()) {
    auto semi = header.find(';', i);
    if (semi == std::string_view::npos) return std::nullopt;
    i = semi + 1;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    auto eq = header.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = to_lower_ascii(trim(header.substr(i, eq - i)));
    std::size_t v = eq + 1;
    std::string value;
    if (v < header.size() && header[v] == '"') {
      ++v;
      while (v < header.size() && header[v] != '"') {
        if (header[v] == '\\' && v + 1 < header.size()) ++v;
        value += header[v++];
      }
      ++v;
    } else {
      auto end = header.find(';', v);
      if (end == std::string_view::npos) end = header.size();
      value = std::string(trim(header.substr(v, end - v)));
      v = end;
    }
    i = v;
    if (name == key) return value;
  }
  return std::nullopt;
}

// RFC 5987's percent-encoded value; as it is when it is not well-formed.
std::string percent_decode(std::string_view s) {
  auto pct = boost::urls::make_pct_string_view(s);
  return pct ? pct->decode() : std::string(s);
}

Result<MultipartPart> part_of(std::string_view headers) {
  MultipartPart p;
  bool disposition = false;
  std::size_t i = 0;
  while (i < headers.size()) {
    auto end = headers.find("\r\n", i);
    if (end == std::string_view::npos) end = headers.size();
    const std::string_view line = headers.substr(i, end - i);
    i = end + 2;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string name = to_lower_ascii(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-disposition") {
      disposition = true;
      p.name = param(value, "name").value_or("");
      if (auto star = param(value, "filename*")) {
        // RFC 5987: charset'language'percent-encoded
        const auto q = star->find('\'');
        const auto q2 = q == std::string::npos ? q : star->find('\'', q + 1);
        p.filename = percent_decode(q2 == std::string::npos ? *star : star->substr(q2 + 1));
      } else {
        p.filename = param(value, "filename").value_or("");
      }
    } else if (name == "content-type") {
      p.content_type = std::string(value.substr(0, 200));
    }
  }
  if (!disposition) return bad("a part has no Content-Disposition");
  return p;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const auto semi = content_type.find(';');
  if (to_lower_ascii(trim(content_type.substr(0, semi))) != "multipart/form-data")
    return std::nullopt;
  auto b = param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 70) return std::nullopt;
  return b;
}

Status read_multipart(const ByteSource& source, const std::string& boundary, MultipartSink& sink) {
  // The body is read as if it began with CRLF, so that every delimiter,
  // the first one too, is CRLF "--" boundary.
  const std::string delim = "\r\n--" + boundary;
  std::string buf = "\r\n";
  enum class State { preamble, after_delim, headers, body, done } st = State::preamble;
  bool eof = false;
  constexpr std::size_t kChunk = 256 * 1024;
  constexpr std::size_t kMaxHeaders = 16 * 1024;
  std::string chunk(kChunk, '\0');
  auto fill = [&]() -> Status {
    if (eof) return {};
    auto n = source(chunk.data(), kChunk);
    if (!n) return n.error();
    buf.append(chunk.data(), *n);
    if (*n == 0) eof = true;
    return {};
  };
  bool in_part = false;
  while (st != State::done) {
    switch (st) {
      case State::preamble:
      case State::body: {
        const auto at = buf.find(delim);
        if (at == std::string::npos) {
          if (eof) return bad(in_part ? "a part does not end" : "no part was found");
          // Keep what could be the start of a delimiter.
          const std::size_t keep = std::min(buf.size(), delim.size() - 1);
          if (st == State::body && buf.size() > keep)
            if (auto s = sink.data(std::string_view(buf).substr(0, buf.size() - keep)); !s)
              return s;
          buf.erase(0, buf.size() - keep);
          if (auto s = fill(); !s) return s;
          continue;
        }
        if (st == State::body) {
          if (auto s = sink.data(std::string_view(buf).substr(0, at)); !s) return s;
          if (auto s = sink.end(); !s) return s;
          in_part = false;
        }
        buf.erase(0, at + delim.size());
        st = State::after_delim;
        break;
      }
      case State::after_delim: {
        if (buf.size() < 2 && !eof) {
          if (auto s = fill(); !s) return s;
          continue;
        }
        if (buf.rfind("--", 0) == 0) {
          st = State::done;
          break;
        }
        // Transport padding, then CRLF.
        std::size_t i = 0;
        while (i < buf.size() && (buf[i] == ' ' || buf[i] == '\t')) ++i;
        if (i + 2 > buf.size()) {
          if (eof) return bad("the body ends after a delimiter");
          if (auto s = fill(); !s) return s;
          continue;
        }
        if (buf.compare(i, 2, "\r\n") != 0) return bad("a delimiter is not followed by CRLF");
        buf.erase(0, i + 2);
        st = State::headers;
        break;
      }
      case State::headers: {
        const auto end = buf.find("\r\n\r\n");
        std::string_view head;
        std::size_t skip = 0;
        if (buf.rfind("\r\n", 0) == 0) {
          head = {};
          skip = 2;
        } else if (end != std::string::npos) {
          head = std::string_view(buf).substr(0, end);
          skip = end + 4;
        } else {
          if (buf.size() > kMaxHeaders) return bad("a part's headers are too large");
          if (eof) return bad("a part's headers do not end");
          if (auto s = fill(); !s) return s;
          continue;
        }
        auto part = part_of(head);
        if (!part) return part.error();
        if (auto s = sink.begin(*part); !s) return s;
        in_part = true;
        buf.erase(0, skip);
        st = State::body;
        break;
      }
      case State::done:
        break;
    }
  }
  return {};
}

Status read_multipart_file(const std::string& path, const std::string& boundary,
                           MultipartSink& sink) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return make_error(ErrorCode::unavailable, "the upload could not be read back");
  FILE* fp = f.get();
  return read_multipart(
      [fp](char* buf, std::size_t size) -> Result<std::size_t> {
        const std::size_t n = std::fread(buf, 1, size, fp);
        if (n == 0 && std::ferror(fp))
          return make_error(ErrorCode::unavailable, "the upload could not be read back");
        return n;
      },
      boundary, sink);
}

Status read_multipart_string(std::string_view body, const std::string& boundary,
                             MultipartSink& sink) {
  std::size_t pos = 0;
  return read_multipart(
      [&](char* buf, std::size_t size) -> Result<std::size_t> {
        const std::size_t n = std::min(size, body.size() - pos);
        std::copy_n(body.data() + pos, n, buf);
        pos += n;
        return n;
      },
      boundary, sink);
}

}  // namespace sd::api
