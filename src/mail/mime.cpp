#include "mail/mime.hpp"

#include <gmime/gmime.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_set>
#include <utility>
#include <vector>

#include "domain/text.hpp"
#include "mail/charset.hpp"

namespace sd::mail {

namespace {

// ---------------------------------------------------------------------------
// GLib ownership: small RAII wrappers, so that every object is unref'd on
// every path.

struct Unref {
  void operator()(gpointer p) const {
    if (p) g_object_unref(p);
  }
};
template <class T>
using GPtr = std::unique_ptr<T, Unref>;

struct GFree {
  void operator()(gpointer p) const { g_free(p); }
};
using GChars = std::unique_ptr<char, GFree>;

struct ParserOptionsFree {
  void operator()(GMimeParserOptions* p) const {
    if (p) g_mime_parser_options_free(p);
  }
};
struct FormatOptionsFree {
  void operator()(GMimeFormatOptions* p) const {
    if (p) g_mime_format_options_free(p);
  }
};
struct ReferencesFree {
  void operator()(GMimeReferences* p) const {
    if (p) g_mime_references_free(p);
  }
};

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (g_ascii_tolower(a[i]) != g_ascii_tolower(b[i])) return false;
  return true;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

std::string_view trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// A header value or name on one line: valid UTF-8, tabs and line breaks as
// spaces, no other control characters, trimmed.
std::string clean_line(std::string_view s) {
  std::string v = repair_utf8(s);
  std::string out;
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c == '\r' && i + 1 < v.size() && v[i + 1] == '\n') continue;  // one break, one space
    if (c == '\t' || c == '\r' || c == '\n')
      out += ' ';
    else if (c >= 0x20 && c != 0x7F)
      out += v[i];
  }
  return std::string(trim(out));
}

// Body text: LF line ends, no byte order mark, no control characters but
// tabs and line feeds; in place, as it only ever shortens. REQUIRES: valid
// UTF-8.
std::string clean_text(std::string s) {
  std::size_t i = s.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0, o = 0;
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      s[o++] = '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else if ((c >= 0x20 && c != 0x7F) || c == '\t' || c == '\n') {
      s[o++] = s[i];
    }
  }
  s.resize(o);
  return s;
}

// ---------------------------------------------------------------------------
// The top header, checked before GMime sees it: GMime 3.2 gives up on the
// whole message (construct_message returns NULL) at a top-level line that
// is not a field. Such lines are dropped when more fields follow, else they
// are taken as the start of a body that had no blank line before it.

// A line that starts a field: a name of printable ASCII but ':', optional
// blanks, then ':'.
bool is_field_line(std::string_view line) {
  std::size_t i = 0;
  while (i < line.size()) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c == ':') break;
    if (c < 33 || c > 126) break;
    ++i;
  }
  if (i == 0) return false;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  return i < line.size() && line[i] == ':';
}

struct Line {
  std::size_t begin, end, next;  // [begin, end) without the line break; next line's start
};

Line line_at(std::string_view s, std::size_t pos) {
  const auto nl = s.find('\n', pos);
  const std::size_t next = nl == std::string_view::npos ? s.size() : nl + 1;
  std::size_t end = nl == std::string_view::npos ? s.size() : nl;
  if (end > pos && s[end - 1] == '\r') --end;
  return {pos, end, next};
}

struct HeaderCheck {
  bool any_field = false;
  std::optional<std::string> repaired;  // the whole message, mended, when it had to be
};

HeaderCheck check_top_header(std::string_view raw) {
  HeaderCheck check;
  std::string kept;      // the header as mended, built only once a line is bad
  bool mending = false;  // whether `kept` is in use
  std::size_t pos = 0;
  bool previous_kept = false;  // a continuation belongs to a kept field
  while (pos < raw.size()) {
    const Line l = line_at(raw, pos);
    const std::string_view line = raw.substr(l.begin, l.end - l.begin);
    if (line.empty()) {  // the blank line: the header is complete
      if (mending) {
        kept.append(raw.substr(pos));
        check.repaired = std::move(kept);
      }
      return check;
    }
    const bool continuation = line[0] == ' ' || line[0] == '\t';
    if ((continuation && previous_kept) || (!continuation && is_field_line(line))) {
      if (!continuation) check.any_field = true;
      if (mending) kept.append(raw.substr(pos, l.next - pos));
      previous_kept = true;
      pos = l.next;
      continue;
    }
    // A bad line (and the continuation lines after it): drop it if a field
    // follows, else the body starts here.
    std::size_t after = l.next;
    while (after < raw.size() && (raw[after] == ' ' || raw[after] == '\t'))
      after = line_at(raw, after).next;
    const Line n = line_at(raw, after);
    const bool field_follows =
        after < raw.size() && is_field_line(raw.substr(n.begin, n.end - n.begin));
    if (!mending) {
      kept.assign(raw.substr(0, pos));
      mending = true;
    }
    if (field_follows) {
      previous_kept = false;
      pos = after;
      continue;
    }
    kept += '\n';
    kept.append(raw.substr(pos));
    check.repaired = std::move(kept);
    return check;
  }
  if (mending) check.repaired = std::move(kept);  // only fields and bad lines, no body
  return check;
}

// ---------------------------------------------------------------------------
// The structure, scanned before GMime builds it. GMime's parser keeps every
// part in memory, however small (a million empty parts, a 5 MB message,
// took it 1.3 GB and 8 s), and nests up to 1024 levels, checking each "--"
// line against every open boundary (1000 levels then 200,000 such lines:
// 1.4 s). This scan follows the boundaries as GMime does and finds where
// the message passes max_parts parts or max_depth levels; GMime is given
// only the bytes before that.

struct Cut {
  std::size_t at;
  bool parts = false, depth = false;
};

struct Frame {
  std::string delimiter;  // "--boundary"; empty for a message/rfc822
  bool digest = false;
};

bool is_rfc822_subtype(std::string_view sub) {
  return iequals(sub, "rfc822") || iequals(sub, "rfc2822") || iequals(sub, "news") ||
         iequals(sub, "global");
}

Cut scan_structure(std::string_view s, const ParseLimits& limits, GMimeParserOptions* options) {
  Cut cut{s.size()};
  std::vector<Frame> frames;
  bool in_header = true;
  std::size_t entity_start = 0;
  int entities = 1;
  std::string content_type;
  bool have_type = false, in_type = false, encoded = false, in_top_header = true;
  std::size_t top_header_end = 0;

  auto start_entity = [&](std::size_t at) {
    in_header = true;
    entity_start = at;
    content_type.clear();
    have_type = in_type = encoded = false;
  };
  auto stop = [&](std::size_t at) { cut.at = std::max(at, top_header_end); };

  std::size_t pos = 0;
  while (pos < s.size()) {
    const Line l = line_at(s, pos);
    const std::string_view line = s.substr(l.begin, l.end - l.begin);

    // A boundary of an open multipart, in a header or a body alike.
    if (line.size() >= 2 && line[0] == '-' && line[1] == '-') {
      std::size_t k = frames.size();
      bool close = false;
      while (k-- > 0) {
        const std::string& d = frames[k].delimiter;
        if (d.empty() || line.compare(0, d.size(), d) != 0) continue;
        std::string_view rest = line.substr(d.size());
        close = rest.substr(0, 2) == "--";
        if (close) rest.remove_prefix(2);
        if (trim(rest).empty()) break;
      }
      if (k < frames.size()) {
        frames.resize(close ? k : k + 1);
        if (close) {
          in_header = false;
        } else {
          if (++entities > limits.max_parts) {
            cut.parts = true;
            stop(pos);
            return cut;
          }
          start_entity(l.next);
        }
        pos = l.next;
        continue;
      }
    }

    if (in_header && line.empty()) {  // the entity's header ends: what is it?
      if (in_top_header) top_header_end = l.next;
      in_top_header = false;
      GPtr<GMimeContentType> ct(have_type ? g_mime_content_type_parse(options, content_type.c_str())
                                          : nullptr);
      std::string type = ct ? str(g_mime_content_type_get_media_type(ct.get())) : "";
      std::string sub = ct ? str(g_mime_content_type_get_media_subtype(ct.get())) : "";
      if (type.empty()) {
        const bool in_digest = !frames.empty() && frames.back().digest;
        type = in_digest ? "message" : "text";
        sub = in_digest ? "rfc822" : "plain";
      }
      const char* boundary = ct ? g_mime_content_type_get_parameter(ct.get(), "boundary") : nullptr;
      const bool multipart = iequals(type, "multipart") && boundary != nullptr;
      const bool message = iequals(type, "message") && is_rfc822_subtype(sub) && !encoded;
      if (multipart || message) {
        if (static_cast<int>(frames.size()) + 1 > limits.max_depth) {
          cut.depth = true;
          stop(entity_start);
          return cut;
        }
        frames.push_back({multipart ? "--" + std::string(boundary) : std::string(),
                          multipart && iequals(sub, "digest")});
      }
      if (message) {
        if (++entities > limits.max_parts) {
          cut.parts = true;
          stop(l.next);
          return cut;
        }
        start_entity(l.next);
      } else {
        in_header = false;
      }
    } else if (in_header) {
      const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
      if (continuation) {
        if (in_type) content_type.append(line);
      } else {
        in_type = false;
        const auto colon = line.find(':');
        if (colon != std::string_view::npos) {
          const std::string_view name = trim(line.substr(0, colon));
          const std::string_view value = line.substr(colon + 1);
          if (iequals(name, "Content-Type") && !have_type) {
            have_type = in_type = true;
            content_type.assign(value);
          } else if (iequals(name, "Content-Transfer-Encoding")) {
            const std::string_view v = trim(value);
            encoded = iequals(v, "base64") || iequals(v, "quoted-printable") ||
                      starts_with_ci(v, "x-uue") || iequals(v, "uuencode");
          }
        }
      }
    }
    pos = l.next;
  }
  return cut;
}

// ---------------------------------------------------------------------------
// Reading what GMime parsed.

// A part's content with its transfer encoding undone, read straight into
// the string: one copy of the decoded data.
std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* wrapper = g_mime_part_get_content(part);
  if (!wrapper) return {};
  GMimeStream* source = g_mime_data_wrapper_get_stream(wrapper);
  if (!source) return {};
  const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(wrapper);
  g_mime_stream_reset(source);
  const gint64 length = g_mime_stream_length(source);
  std::string out;
  if (length > 0)
    out.reserve(encoding == GMIME_CONTENT_ENCODING_BASE64
                    ? static_cast<std::size_t>(length) / 4 * 3 + 3
                    : static_cast<std::size_t>(length));
  GMimeStream* in = source;
  GPtr<GMimeStream> filtered;
  if (encoding == GMIME_CONTENT_ENCODING_BASE64 ||
      encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
      encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
    filtered.reset(g_mime_stream_filter_new(source));
    GPtr<GMimeFilter> decoder(g_mime_filter_basic_new(encoding, FALSE));
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), decoder.get());
    in = filtered.get();
  }
  char buf[65536];
  // A filter stream may give 0 bytes before its end (a chunk that decodes
  // to nothing); only eos ends the loop, and a stream stuck at 0 is cut off.
  for (int idle = 0; idle < 1000;) {
    const ssize_t n = g_mime_stream_read(in, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      idle = 0;
    } else if (n < 0 || g_mime_stream_eos(in)) {
      break;
    } else {
      ++idle;
    }
  }
  g_mime_stream_reset(source);
  return out;
}

// A header's value on one line, with its encoded words decoded by
// decode_header_words from the raw value, not by GMime, whose decoder
// drops text after a padded base64 word (jstedfast/gmime#133).
std::string header_text(GMimeHeader* h) {
  const char* raw = g_mime_header_get_raw_value(h);
  return clean_line(raw ? decode_header_words(raw) : str(g_mime_header_get_value(h)));
}

// The subject, from the last Subject field, as GMime takes it.
std::string subject_of(GMimeMessage* message) {
  GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  const int n = list ? g_mime_header_list_get_count(list) : 0;
  GMimeHeader* last = nullptr;
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    if (iequals(str(g_mime_header_get_name(h)), "Subject")) last = h;
  }
  return last ? header_text(last) : std::string();
}

std::string serialized(GMimeObject* object) {
  GPtr<GMimeStream> mem(g_mime_stream_mem_new());
  std::unique_ptr<GMimeFormatOptions, FormatOptionsFree> format(g_mime_format_options_new());
  g_mime_format_options_set_newline_format(format.get(), GMIME_NEWLINE_FORMAT_DOS);
  g_mime_object_write_to_stream(object, format.get(), mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return bytes ? std::string(reinterpret_cast<const char*>(bytes->data), bytes->len)
               : std::string();
}

std::string mime_type_of(GMimeObject* object) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (!ct) return "application/octet-stream";
  GChars t(g_mime_content_type_get_mime_type(ct));
  return t ? lower_ascii(clean_line(t.get())) : "application/octet-stream";
}

bool has_type(GMimeObject* object, const char* type, const char* subtype) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  return ct && g_mime_content_type_is_type(ct, type, subtype);
}

std::string extension_for(std::string_view mime_type) {
  static constexpr std::pair<std::string_view, std::string_view> kKnown[] = {
      {"image/png", ".png"},
      {"image/jpeg", ".jpg"},
      {"image/jpg", ".jpg"},
      {"image/gif", ".gif"},
      {"image/webp", ".webp"},
      {"image/bmp", ".bmp"},
      {"image/tiff", ".tif"},
      {"image/svg+xml", ".svg"},
      {"application/pdf", ".pdf"},
      {"application/zip", ".zip"},
      {"application/json", ".json"},
      {"application/pgp-signature", ".asc"},
      {"application/pkcs7-signature", ".p7s"},
      {"application/msword", ".doc"},
      {"application/vnd.ms-excel", ".xls"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
      {"text/plain", ".txt"},
      {"text/html", ".html"},
      {"text/csv", ".csv"},
      {"text/calendar", ".ics"},
      {"text/rfc822-headers", ".txt"},
      {"message/rfc822", ".eml"},
      {"message/global", ".eml"},
      {"message/delivery-status", ".txt"},
      {"message/global-delivery-status", ".txt"},
      {"message/disposition-notification", ".txt"},
  };
  for (const auto& [type, ext] : kKnown)
    if (type == mime_type) return std::string(ext);
  return {};
}

// A name fit for a file: the last path component, valid UTF-8, no control
// characters, at most 200 bytes (the extension kept when it is short).
std::string sanitize_filename(std::string_view name) {
  std::string v = clean_line(name);
  const auto slash = v.find_last_of("/\\");
  if (slash != std::string::npos) v.erase(0, slash + 1);
  std::string out;
  for (std::size_t i = 0; i < v.size();) {  // C1 controls, U+0080..U+009F
    if (static_cast<unsigned char>(v[i]) == 0xC2 && i + 1 < v.size() &&
        static_cast<unsigned char>(v[i + 1]) < 0xA0) {
      i += 2;
      continue;
    }
    out += v[i++];
  }
  out = std::string(trim(out));
  if (out == "." || out == "..") out.clear();
  constexpr std::size_t kMax = 200;
  if (out.size() > kMax) {
    std::string ext;
    const auto dot = out.rfind('.');
    if (dot != std::string::npos && out.size() - dot <= 16) ext = out.substr(dot);
    std::size_t keep = kMax - ext.size();
    while (keep > 0 && (static_cast<unsigned char>(out[keep]) & 0xC0) == 0x80) --keep;
    out = out.substr(0, keep) + ext;
  }
  return out;
}

struct Walk {
  const ParseLimits& limits;
  InboundMail& mail;
  ParseNotes& notes;
  bool have_body = false;
  std::unordered_set<GMimeObject*> skipped;  // alternatives of a chosen text

  std::string fallback_name(std::string_view mime_type) const {
    return "attachment-" + std::to_string(mail.attachments.size() + 1) + extension_for(mime_type);
  }

  static bool is_attachment_disposition(GMimeObject* object) {
    GMimeContentDisposition* d = g_mime_object_get_content_disposition(object);
    return d && g_mime_content_disposition_is_attachment(d);
  }
  static bool is_inline_disposition(GMimeObject* object) {
    const char* d = g_mime_object_get_disposition(object);
    return d && iequals(d, "inline");
  }
  static std::string filename_of(GMimeObject* object) {
    return GMIME_IS_PART(object) ? clean_line(str(g_mime_part_get_filename(GMIME_PART(object))))
                                 : std::string();
  }

  // A part that may be the message's text: plain or HTML, neither marked as
  // an attachment nor named like a file.
  static bool is_text_body(GMimeObject* object) {
    return GMIME_IS_PART(object) &&
           (has_type(object, "text", "plain") || has_type(object, "text", "html")) &&
           !is_attachment_disposition(object) && filename_of(object).empty();
  }

  // The first text body under `object` of the given subtype, looking into
  // multiparts only (an attached message is not this message's text).
  GMimeObject* find_text(GMimeObject* object, const char* subtype, int depth) const {
    if (depth > limits.max_depth) return nullptr;
    if (GMIME_IS_MULTIPART(object)) {
      auto* mp = GMIME_MULTIPART(object);
      const int n = std::min(g_mime_multipart_get_count(mp), limits.max_parts);
      for (int i = 0; i < n; ++i)
        if (GMimeObject* found = find_text(g_mime_multipart_get_part(mp, i), subtype, depth + 1))
          return found;
      return nullptr;
    }
    return is_text_body(object) && has_type(object, "text", subtype) ? object : nullptr;
  }

  void collect_texts(GMimeObject* object, int depth, std::vector<GMimeObject*>& out) const {
    if (depth > limits.max_depth) return;
    if (GMIME_IS_MULTIPART(object)) {
      auto* mp = GMIME_MULTIPART(object);
      const int n = std::min(g_mime_multipart_get_count(mp), limits.max_parts);
      for (int i = 0; i < n; ++i) collect_texts(g_mime_multipart_get_part(mp, i), depth + 1, out);
    } else if (is_text_body(object)) {
      out.push_back(object);
    }
  }

  void walk(GMimeObject* object, int depth, bool in_related) {
    if (!object) return;
    if (depth > limits.max_depth) {
      notes.depth_truncated = true;
      return;
    }
    if (notes.parts_walked >= limits.max_parts) {
      notes.parts_truncated = true;
      return;
    }
    ++notes.parts_walked;

    if (GMIME_IS_MULTIPART(object)) {
      auto* mp = GMIME_MULTIPART(object);
      if (has_type(object, "multipart", "report")) {
        const char* rt = g_mime_object_get_content_type_parameter(object, "report-type");
        if (rt && iequals(trim(rt), "delivery-status")) mail.delivery_report = true;
      }
      if (has_type(object, "multipart", "alternative")) {
        // One rendering is the text (plain preferred); the others are not
        // attachments.
        GMimeObject* chosen = find_text(object, "plain", depth);
        if (!chosen) chosen = find_text(object, "html", depth);
        std::vector<GMimeObject*> texts;
        collect_texts(object, depth, texts);
        for (GMimeObject* t : texts)
          if (t != chosen) skipped.insert(t);
      }
      const bool related = has_type(object, "multipart", "related");
      const int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; ++i) {
        if (notes.parts_walked >= limits.max_parts) {
          notes.parts_truncated = true;
          break;
        }
        walk(g_mime_multipart_get_part(mp, i), depth + 1, related);
      }
      return;
    }

    if (GMIME_IS_MESSAGE_PART(object)) {
      attach_message(GMIME_MESSAGE_PART(object));
      return;
    }
    if (!GMIME_IS_PART(object)) return;
    auto* part = GMIME_PART(object);
    if (has_type(object, "message", "delivery-status") ||
        has_type(object, "message", "global-delivery-status"))
      mail.delivery_report = true;
    if (skipped.count(object)) return;
    if (!have_body && is_text_body(object)) {
      set_body(part);
      return;
    }
    attach_part(part, in_related);
  }

  void set_body(GMimePart* part) {
    auto* object = GMIME_OBJECT(part);
    have_body = true;
    std::string bytes = decoded_content(part);
    std::string charset = str(g_mime_object_get_content_type_parameter(object, "charset"));
    const bool html = has_type(object, "text", "html");
    if (html && charset.empty()) charset = html_meta_charset(bytes);
    std::string text = to_utf8(std::move(bytes), charset);
    if (html) {
      mail.text = clean_text(html_to_text(text));
      mail.text_from_html = true;
    } else {
      mail.text = clean_text(std::move(text));
    }
  }

  // <meta charset=...> or <meta http-equiv content="...; charset=...">, in
  // the first few kilobytes.
  static std::string html_meta_charset(std::string_view html) {
    const std::string head = lower_ascii(html.substr(0, 4096));
    const auto at = head.find("charset=");
    if (at == std::string::npos) return {};
    std::size_t i = at + 8;
    while (i < head.size() && (head[i] == '"' || head[i] == '\'' || head[i] == ' ')) ++i;
    std::size_t j = i;
    while (j < head.size() && (g_ascii_isalnum(head[j]) || head[j] == '-' || head[j] == '_' ||
                               head[j] == ':' || head[j] == '.'))
      ++j;
    return head.substr(i, j - i);
  }

  void attach_part(GMimePart* part, bool in_related) {
    auto* object = GMIME_OBJECT(part);
    MailAttachment a;
    a.content_type = mime_type_of(object);
    a.content_id = clean_line(str(g_mime_object_get_content_id(object)));
    a.inline_part = is_inline_disposition(object) ||
                    (in_related && !a.content_id.empty() && !is_attachment_disposition(object));
    a.filename = sanitize_filename(filename_of(object));
    if (a.filename.empty()) a.filename = fallback_name(a.content_type);
    a.data = decoded_content(part);
    mail.attachments.push_back(std::move(a));
  }

  void attach_message(GMimeMessagePart* part) {
    auto* object = GMIME_OBJECT(part);
    MailAttachment a;
    a.content_type = mime_type_of(object);
    a.content_id = clean_line(str(g_mime_object_get_content_id(object)));
    a.inline_part = is_inline_disposition(object);
    GMimeMessage* inner = g_mime_message_part_get_message(part);
    if (inner) {
      // A subject is not a path: "Factura 3/2026" names "Factura 3-2026.eml".
      std::string subject = subject_of(inner);
      std::replace(subject.begin(), subject.end(), '/', '-');
      std::replace(subject.begin(), subject.end(), '\\', '-');
      if (!subject.empty()) a.filename = sanitize_filename(subject + ".eml");
      a.data = serialized(GMIME_OBJECT(inner));
    }
    if (a.filename.empty()) a.filename = sanitize_filename(filename_of(object));
    if (a.filename.empty()) a.filename = fallback_name("message/rfc822");
    mail.attachments.push_back(std::move(a));
  }
};

// GMime parses the address lists, and would decode the encoded words in the
// names itself, with the bug decode_header_words avoids. So it is given the
// raw value with each '?' replaced by a marker: characters of the same kind
// (atom text, as '?' is), so that it finds the same structure, but no
// encoded word is left for it to decode. The names and addresses it gives
// back get their '?' again, and the names are then decoded here.
//
// The marker is "Z<n>Y" with the smallest n that the value does not hold,
// looked for with the quotes and backslashes taken out that GMime removes
// from names (what else it leaves out, blanks and comments in an address,
// sits next to a '.' or '@' that it keeps). So every marker in what GMime
// gives back is one it was given, and, having one 'Z', two never overlap.
class QuestionMarks {
 public:
  explicit QuestionMarks(std::string_view raw) {
    if (raw.find('?') == std::string_view::npos) {
      m_hidden.assign(raw);
      return;
    }
    std::string seen;
    seen.reserve(raw.size());
    for (char c : raw)
      if (c != '"' && c != '\\') seen += c;
    std::vector<bool> taken(static_cast<std::size_t>(std::count(seen.begin(), seen.end(), 'Z')) +
                            1);
    for (std::size_t z = seen.find('Z'); z != std::string::npos; z = seen.find('Z', z + 1)) {
      std::size_t i = z + 1;
      std::uint64_t n = 0;
      while (i < seen.size() && i - z <= 10 && g_ascii_isdigit(seen[i]))
        n = n * 10 + static_cast<std::uint64_t>(seen[i++] - '0');
      const bool number = i > z + 1 && (seen[z + 1] != '0' || i == z + 2);
      if (number && i < seen.size() && seen[i] == 'Y' && n < taken.size()) taken[n] = true;
    }
    const auto unused = std::find(taken.begin(), taken.end(), false) - taken.begin();
    m_marker = "Z" + std::to_string(unused) + "Y";
    m_hidden.reserve(raw.size() + 8);
    for (char c : raw) {
      if (c == '?')
        m_hidden += m_marker;
      else
        m_hidden += c;
    }
  }

  // The value for GMime to parse.
  const std::string& hidden() const { return m_hidden; }

  // Text GMime gave back, with its '?' again.
  std::string restored(const char* s) const {
    std::string v = str(s);
    if (m_marker.empty() || v.find(m_marker) == std::string::npos) return v;
    std::string out;
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size();) {
      if (v.compare(i, m_marker.size(), m_marker) == 0) {
        out += '?';
        i += m_marker.size();
      } else {
        out += v[i++];
      }
    }
    return out;
  }

 private:
  std::string m_hidden, m_marker;
};

void add_mailboxes(InternetAddressList* list, const QuestionMarks& marks,
                   std::vector<MailAddress>& out, int depth = 0) {
  if (!list || depth > 2) return;
  const int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      add_mailboxes(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), marks, out,
                    depth + 1);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
      MailAddress a;
      a.name = clean_line(decode_header_words(marks.restored(internet_address_get_name(ia))));
      a.address = clean_line(
          marks.restored(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
      if (!a.name.empty() || !a.address.empty()) out.push_back(std::move(a));
    }
  }
}

// The addresses of every `field` header of the message, in order (groups
// flattened), as GMime lists them.
void add_addresses(GMimeParserOptions* options, GMimeMessage* message, std::string_view field,
                   std::vector<MailAddress>& out) {
  GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(message));
  const int n = list ? g_mime_header_list_get_count(list) : 0;
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    const char* raw = g_mime_header_get_raw_value(h);
    if (!raw || !iequals(str(g_mime_header_get_name(h)), field)) continue;
    const QuestionMarks marks(raw);
    GPtr<InternetAddressList> parsed(internet_address_list_parse(options, marks.hidden().c_str()));
    add_mailboxes(parsed.get(), marks, out);
  }
}

std::vector<std::string> message_ids(GMimeParserOptions* options, GMimeHeaderList* headers,
                                     const char* name) {
  std::vector<std::string> out;
  GMimeHeader* h = g_mime_header_list_get_header(headers, name);
  const char* raw = h ? g_mime_header_get_raw_value(h) : nullptr;
  if (!raw) return out;
  std::unique_ptr<GMimeReferences, ReferencesFree> refs(g_mime_references_parse(options, raw));
  if (!refs) return out;
  const int n = g_mime_references_length(refs.get());
  for (int i = 0; i < n; ++i) {
    std::string id = clean_line(str(g_mime_references_get_message_id(refs.get(), i)));
    if (!id.empty()) out.push_back(std::move(id));
  }
  return out;
}

// Every header of the top message in the order written: GMime keeps the
// Content-* ones on the top part, the rest on the message.
std::vector<MailHeader> all_headers(GMimeMessage* message) {
  std::vector<std::pair<gint64, MailHeader>> found;
  auto take = [&](GMimeObject* object, bool content_only) {
    if (!object) return;
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    const int n = list ? g_mime_header_list_get_count(list) : 0;
    for (int i = 0; i < n; ++i) {
      GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
      const std::string name = clean_line(str(g_mime_header_get_name(h)));
      if (content_only != starts_with_ci(name, "Content-")) continue;
      found.push_back({g_mime_header_get_offset(h), {name, header_text(h)}});
    }
  };
  take(GMIME_OBJECT(message), false);
  take(g_mime_message_get_mime_part(message), true);
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<MailHeader> out;
  out.reserve(found.size());
  for (auto& [offset, header] : found) out.push_back(std::move(header));
  return out;
}

GMimeParserOptions* new_parser_options() {
  GMimeParserOptions* options = g_mime_parser_options_new();
  g_mime_parser_options_set_rfc2047_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(options, GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_allow_addresses_without_domain(options, TRUE);
  // Raw 8-bit headers: UTF-8 when they are, else Windows-1252, else Latin-1
  // (which takes any byte).
  const char* fallback[] = {"utf-8", "windows-1252", "iso-8859-1", nullptr};
  g_mime_parser_options_set_fallback_charsets(options, fallback);
  return options;
}

// A stream that reads the caller's bytes in place: GMime's parser only
// reads, and the message's parts refer to ranges of it (persistent stream)
// rather than copies. The GByteArray is handed the buffer and made to let
// go of it before it is freed.
class BorrowedStream {
 public:
  explicit BorrowedStream(std::string_view bytes)
      : m_array(g_byte_array_new_take(reinterpret_cast<guint8*>(const_cast<char*>(bytes.data())),
                                      bytes.size())),
        m_stream(g_mime_stream_mem_new_with_byte_array(m_array)) {
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(m_stream), FALSE);
  }
  ~BorrowedStream() {
    g_object_unref(m_stream);
    gsize len = 0;
    g_byte_array_steal(m_array, &len);  // the bytes are the caller's
    g_byte_array_unref(m_array);
  }
  BorrowedStream(const BorrowedStream&) = delete;
  BorrowedStream& operator=(const BorrowedStream&) = delete;
  GMimeStream* get() const { return m_stream; }

 private:
  GByteArray* m_array;
  GMimeStream* m_stream;
};

Error refused(std::string detail) {
  return make_error(ErrorCode::invalid_input, std::move(detail));
}

}  // namespace

void init_mime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

namespace {

Result<InboundMail> parse(std::string_view raw, const ParseLimits& limits, ParseNotes* notes_out) {
  if (raw.empty()) return refused("the message is empty");
  if (raw.size() > limits.max_bytes || raw.size() > G_MAXUINT)
    return refused("the message is larger than " + std::to_string(limits.max_bytes) + " bytes");
  HeaderCheck header = check_top_header(raw);
  if (!header.any_field) return refused("the message has no header");
  ParseNotes notes;
  notes.header_repaired = header.repaired.has_value();
  const std::string_view bytes = header.repaired ? std::string_view(*header.repaired) : raw;

  std::unique_ptr<GMimeParserOptions, ParserOptionsFree> options(new_parser_options());
  const Cut cut = scan_structure(bytes, limits, options.get());
  notes.parts_truncated = cut.parts;
  notes.depth_truncated = cut.depth;

  InboundMail mail;
  {
    // Declared in this order so that the message goes before the stream
    // whose bytes it refers to.
    BorrowedStream stream(bytes.substr(0, cut.at));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    g_mime_parser_set_persist_stream(parser.get(), TRUE);
    GPtr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), options.get()));
    if (!message) return refused("the message could not be parsed");

    GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(message.get()));
    mail.headers = all_headers(message.get());
    mail.message_id = clean_line(str(g_mime_message_get_message_id(message.get())));
    mail.in_reply_to = message_ids(options.get(), headers, "In-Reply-To");
    mail.references = message_ids(options.get(), headers, "References");
    std::vector<MailAddress> from;
    add_addresses(options.get(), message.get(), "From", from);
    if (!from.empty()) mail.from = std::move(from.front());
    add_addresses(options.get(), message.get(), "Reply-To", mail.reply_to);
    add_addresses(options.get(), message.get(), "To", mail.to);
    add_addresses(options.get(), message.get(), "Cc", mail.cc);
    mail.subject = subject_of(message.get());
    if (GDateTime* date = g_mime_message_get_date(message.get())) {
      const auto ms = std::chrono::milliseconds(g_date_time_to_unix(date) * 1000 +
                                                g_date_time_get_microsecond(date) / 1000);
      mail.date = Instant{ms};
    }
    Walk walk{limits, mail, notes, false, {}};
    walk.walk(g_mime_message_get_mime_part(message.get()), 0, false);
  }
  if (notes_out) *notes_out = notes;
  return mail;
}

}  // namespace

Result<InboundMail> parse_message(std::string_view raw, const ParseLimits& limits,
                                  ParseNotes* notes) {
  init_mime();
  try {
    return parse(raw, limits, notes);
  } catch (const std::exception& e) {  // memory ran out: not the input's fault
    return internal_error(std::string("parsing a message: ") + e.what());
  }
}

// ---------------------------------------------------------------------------
// Composing.

namespace {

// A message id as it goes between angle brackets: no brackets, no spaces,
// no control characters; nullopt when nothing is left or it is absurdly long.
std::optional<std::string> clean_id(std::string_view id) {
  std::string out;
  for (char ch : id) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 32 && c < 127 && c != '<' && c != '>') out += ch;
  }
  if (out.empty() || out.size() > 250) return std::nullopt;
  return out;
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    if (auto c = clean_id(id)) {
      if (!out.empty()) out += ' ';
      out += '<' + *c + '>';
    }
  }
  return out;
}

bool is_field_name(std::string_view name) {
  if (name.empty() || name.size() > 76) return false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

bool is_reserved_header(std::string_view name) {
  static constexpr std::string_view kReserved[] = {
      "From",       "To",          "Bcc",        "Subject",        "Date",
      "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "MIME-Version"};
  for (std::string_view r : kReserved)
    if (iequals(name, r)) return true;
  return starts_with_ci(name, "Content-");
}

// CRLF line ends only, and no line over 998 characters: a longer header
// line (an unbreakable word GMime could not fold) is folded by force.
std::string wire_form(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  std::size_t line = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      line = 0;
      if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++i;
      continue;
    }
    if (line >= 990) {
      out += "\r\n ";
      line = 1;
    }
    out += c;
    ++line;
  }
  return out;
}

// Names are encoded as UTF-8 (GMime would pick the smallest charset that
// fits, ISO-8859-1 for Spanish).
void add_mailbox(InternetAddressList* list, const MailAddress& a) {
  const std::string name = clean_line(a.name);
  GPtr<InternetAddress> ia(internet_address_mailbox_new(name.empty() ? nullptr : name.c_str(),
                                                        clean_line(a.address).c_str()));
  internet_address_set_charset(ia.get(), "utf-8");
  internet_address_list_add(list, ia.get());
}

}  // namespace

std::string compose_message(const OutgoingMail& m) {
  init_mime();
  GPtr<GMimeMessage> message(g_mime_message_new(FALSE));
  auto* object = GMIME_OBJECT(message.get());

  add_mailbox(g_mime_message_get_from(message.get()), m.from);
  for (const MailAddress& to : m.to) add_mailbox(g_mime_message_get_to(message.get()), to);
  g_mime_message_set_subject(message.get(), clean_line(m.subject).c_str(), "utf-8");

  const auto seconds = std::chrono::floor<std::chrono::seconds>(m.date).time_since_epoch().count();
  if (GDateTime* date = g_date_time_new_from_unix_utc(seconds)) {
    g_mime_message_set_date(message.get(), date);
    g_date_time_unref(date);
  }

  std::optional<std::string> id = clean_id(m.message_id);
  if (!id) {
    const std::string address = clean_line(m.from.address);
    const auto at = address.rfind('@');
    const std::string domain = at == std::string::npos ? "localhost" : address.substr(at + 1);
    GChars made(g_mime_utils_generate_message_id(domain.c_str()));
    id = str(made.get());
  }
  g_mime_message_set_message_id(message.get(), id->c_str());
  if (const std::string v = id_list(m.in_reply_to); !v.empty())
    g_mime_object_set_header(object, "In-Reply-To", v.c_str(), nullptr);
  if (const std::string v = id_list(m.references); !v.empty())
    g_mime_object_set_header(object, "References", v.c_str(), nullptr);
  if (const std::string v = clean_line(m.auto_submitted); !v.empty())
    g_mime_object_set_header(object, "Auto-Submitted", v.c_str(), nullptr);
  g_mime_object_set_header(object, "MIME-Version", "1.0", nullptr);

  // The body: quoted-printable, which keeps Latin text readable, unless
  // most bytes are not ASCII (Cyrillic, CJK), where it would triple them and
  // base64 takes 4/3. UTF-8 with LF line ends for quoted-printable (its line
  // breaks are written as CRLF), canonical CRLF for base64.
  const std::string text = clean_text(repair_utf8(m.text));
  const auto high = std::count_if(text.begin(), text.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  const bool base64 = static_cast<std::size_t>(high) * 2 > text.size();
  std::string content;
  if (base64) {
    content.reserve(text.size() + text.size() / 16);
    for (char c : text) {
      if (c == '\n') content += '\r';
      content += c;
    }
  } else {
    content = text;
  }
  GPtr<GMimeTextPart> body(g_mime_text_part_new_with_subtype("plain"));
  {
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(content.data(), content.size()));
    GPtr<GMimeDataWrapper> wrapper(
        g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(GMIME_PART(body.get()), wrapper.get());
  }
  g_mime_text_part_set_charset(body.get(), "utf-8");
  g_mime_part_set_content_encoding(
      GMIME_PART(body.get()),
      base64 ? GMIME_CONTENT_ENCODING_BASE64 : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
  g_mime_message_set_mime_part(message.get(), GMIME_OBJECT(body.get()));

  for (const auto& [name, value] : m.extra_headers) {
    if (!is_field_name(name) || is_reserved_header(name)) continue;
    g_mime_object_append_header(object, name.c_str(), clean_line(value).c_str(), "utf-8");
  }

  std::unique_ptr<GMimeFormatOptions, FormatOptionsFree> format(g_mime_format_options_new());
  g_mime_format_options_set_newline_format(format.get(), GMIME_NEWLINE_FORMAT_DOS);
  GPtr<GMimeStream> out(g_mime_stream_mem_new());
  g_mime_object_write_to_stream(object, format.get(), out.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out.get()));
  if (!bytes) return {};
  return wire_form(std::string_view(reinterpret_cast<const char*>(bytes->data), bytes->len));
}

}  // namespace sd::mail
