// multipart/form-data read as a stream: parts whole whatever the chunking,
// names decoded, malformed bodies refused.
#include "api/multipart.hpp"

#include <gtest/gtest.h>

namespace sd::api {
namespace {

struct Collect : MultipartSink {
  struct Part {
    MultipartPart meta;
    std::string data;
  };
  std::vector<Part> parts;
  Status begin(const MultipartPart& p) override {
    parts.push_back({p, {}});
    return {};
  }
  Status data(std::string_view b) override {
    parts.back().data.append(b);
    return {};
  }
  Status end() override { return {}; }
};

std::string body_of(const std::string& boundary, const std::string& file) {
  return "preamble\r\n--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhola\r\n--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".png\"; "
         "filename*=UTF-8''informe%20a%C3%B1o.pdf\r\nContent-Type: image/png\r\n\r\n" +
         file + "\r\n--" + boundary + "--\r\nepilogue";
}

TEST(Multipart, BoundaryOnlyOfFormData) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
}

TEST(Multipart, PartsAreWholeWhateverTheChunks) {
  // A file that holds near-delimiters and CRLFs, larger than one read.
  std::string file;
  for (int i = 0; i < 60'000; ++i) file += "\r\n--bound" + std::to_string(i % 10);
  const std::string body = body_of("boundary", file);
  for (std::size_t chunk : {1, 7, 4096, 1 << 20}) {
    std::size_t pos = 0;
    Collect c;
    auto s = read_multipart(
        [&](char* buf, std::size_t size) -> Result<std::size_t> {
          const std::size_t n = std::min({size, chunk, body.size() - pos});
          std::copy_n(body.data() + pos, n, buf);
          pos += n;
          return n;
        },
        "boundary", c);
    ASSERT_TRUE(s) << s.error().detail << " at chunk " << chunk;
    ASSERT_EQ(c.parts.size(), 2u);
    EXPECT_EQ(c.parts[0].meta.name, "note");
    EXPECT_EQ(c.parts[0].data, "hola");
    EXPECT_EQ(c.parts[1].meta.name, "file");
    EXPECT_EQ(c.parts[1].meta.filename, "informe año.pdf");
    EXPECT_EQ(c.parts[1].meta.content_type, "image/png");
    EXPECT_EQ(c.parts[1].data, file);
  }
}

TEST(Multipart, MalformedBodiesAreRefused) {
  for (const std::string& body :
       {std::string(""), std::string("no delimiter at all"),
        std::string("--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nnever ends"),
        std::string("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"),
        std::string("--b\r\n") + std::string(20'000, 'h'), std::string("--bXX")}) {
    Collect c;
    auto s = read_multipart_string(body, "b", c);
    EXPECT_FALSE(s) << body.substr(0, 40);
    if (!s) {
      EXPECT_EQ(s.error().code, ErrorCode::invalid_input);
    }
  }
}

TEST(Multipart, ASinksRefusalStopsTheRead) {
  struct Refuse : Collect {
    Status data(std::string_view) override {
      return make_error(ErrorCode::payload_too_large, "too big");
    }
  } r;
  auto s = read_multipart_string(body_of("b", "x"), "b", r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::payload_too_large);
}

}  // namespace
}  // namespace sd::api
