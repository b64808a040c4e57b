// POST /api/v1/uploads: files sent as multipart/form-data (parts named
// "file"), each streamed from http/'s spool into the file store while its
// hash is computed, its type sniffed from its first bytes. The uploads are
// the caller's until a ticket or comment names them in attachment_ids.
#include <boost/json.hpp>

#include "api/json_io.hpp"
#include "api/multipart.hpp"
#include "api/router.hpp"
#include "desk/attachments.hpp"
#include "store/sniff.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;

class UploadSink : public MultipartSink {
 public:
  explicit UploadSink(const store::BlobStore& blobs) : m_blobs(blobs) {}

  Status begin(const MultipartPart& p) override {
    m_skip = p.name != "file" || p.filename.empty();
    if (m_skip) return {};
    if (m_files.size() >= static_cast<std::size_t>(desk::kMaxFilesPerMessage))
      return field_error("file", "at most 20 files at once", "too_many");
    auto w = m_blobs.writer();
    if (!w) return w.error();
    m_writer.emplace(std::move(*w));
    m_head.clear();
    m_current = desk::NewUpload{};
    m_current.filename = p.filename;
    m_current.declared_type = p.content_type;
    return {};
  }
  Status data(std::string_view bytes) override {
    if (m_skip) return {};
    if (m_writer->size() + static_cast<std::int64_t>(bytes.size()) >
        static_cast<std::int64_t>(desk::kMaxUploadBytes))
      return make_error(ErrorCode::payload_too_large,
                        "\"" + m_current.filename + "\" is larger than 25 MB");
    if (m_head.size() < store::kSniffBytes)
      m_head.append(bytes.substr(0, store::kSniffBytes - m_head.size()));
    return m_writer->append(bytes);
  }
  Status end() override {
    if (m_skip) return {};
    auto ref = m_writer->finish();
    m_writer.reset();
    if (!ref) return ref.error();
    m_current.blob = *ref;
    m_current.sniffed_type = store::sniff_type(m_head);
    m_files.push_back(std::move(m_current));
    return {};
  }
  std::vector<desk::NewUpload>& files() { return m_files; }

 private:
  const store::BlobStore& m_blobs;
  std::optional<store::BlobStore::Writer> m_writer;
  std::string m_head;
  bool m_skip = true;
  desk::NewUpload m_current;
  std::vector<desk::NewUpload> m_files;
};

Result<Response> upload(Ctx& ctx) {
  if (!ctx.s.blobs) return make_error(ErrorCode::unavailable, "files are not stored here");
  const auto boundary = multipart_boundary(ctx.req.header("content-type"));
  if (!boundary)
    return make_error(ErrorCode::unsupported_media_type,
                      "send the files as multipart/form-data with a boundary");
  UploadSink sink(*ctx.s.blobs);
  const Status read = ctx.req.body_file.empty()
                          ? read_multipart_string(ctx.req.body, *boundary, sink)
                          : read_multipart_file(ctx.req.body_file, *boundary, sink);
  if (!read) return read.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write(
      [&](store::Tx& tx) { return desk::record_uploads(tx, ctx.actor(), sink.files(), now); });
  if (!out) return out.error();
  json::array items;
  for (const auto& a : out->value)
    items.push_back({{"id", a.id},
                     {"filename", a.filename},
                     {"content_type", a.content_type},
                     {"size", a.size}});
  return json_response(201, json::object{{"items", std::move(items)}});
}

}  // namespace

constexpr std::string_view kUploads = "/api/v1/uploads";

bool spools_body(std::string_view target) { return target.substr(0, target.find('?')) == kUploads; }

void add_upload_routes(std::vector<Route>& out) {
  out.push_back({Method::post, kUploads, upload, Policy::signed_in});
}

}  // namespace sd::api
