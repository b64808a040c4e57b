#include "desk/attachments.hpp"

#include "desk/ticket_queries.hpp"
#include "domain/permissions.hpp"
#include "domain/text.hpp"
#include "store/repo/attachments.hpp"

namespace sd::desk {

using store::Tx;

std::string safe_filename(std::string_view name) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name = name.substr(slash + 1);
  std::string out;
  for (unsigned char c : name)
    if (c >= 0x20 && c != 0x7F) out += static_cast<char>(c);
  if (out.size() > 200) {
    out.resize(200);
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  }
  if (!is_valid_utf8(out)) {
    std::string ascii;
    for (unsigned char c : out) ascii += c < 0x80 ? static_cast<char>(c) : '_';
    out = ascii;
  }
  while (!out.empty() && (out.front() == ' ' || out.front() == '.')) out.erase(out.begin());
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "file" : out;
}

Result<Outcome<std::vector<Attachment>>> record_uploads(Tx& tx, const Actor& a,
                                                        const std::vector<NewUpload>& files,
                                                        Instant now) {
  if (a.is_system()) return make_error(ErrorCode::forbidden, "uploads are made by people");
  if (files.empty()) return field_error("file", "send at least one file", "required");
  if (files.size() > static_cast<std::size_t>(kMaxFilesPerMessage))
    return field_error("file", "at most 20 files at once", "too_many");
  Effects fx(tx);
  std::vector<Attachment> out;
  for (const auto& f : files) {
    tx.attachments().record_blob(f.blob, now);
    Attachment at;
    at.sha256 = f.blob.sha256;
    at.size = f.blob.size;
    at.filename = safe_filename(f.filename);
    at.declared_type = f.declared_type.substr(0, 100);
    at.content_type = f.sniffed_type;
    at.uploaded_by = a.id;
    at.created_at = now;
    at.id = tx.attachments().insert(at);
    out.push_back(std::move(at));
  }
  return fx.done(std::move(out));
}

Status attach_uploads(Tx& tx, const Actor& a, const std::vector<Id>& ids, Id ticket_id, Id event_id,
                      bool internal) {
  if (ids.empty()) return {};
  std::vector<Id> unique = ids;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  if (unique.size() > static_cast<std::size_t>(kMaxFilesPerMessage))
    return field_error("attachment_ids", "at most 20 files per message", "too_many");
  const auto n = tx.attachments().claim_uploads(unique, a.id, ticket_id, event_id, internal);
  if (n != static_cast<std::int64_t>(unique.size()))
    return field_error("attachment_ids", "names a file that is not an unused upload of yours",
                       "not_found");
  return {};
}

Result<std::vector<Attachment>> ticket_attachments(Tx& tx, const Actor& a, Id ticket_id) {
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  std::vector<Attachment> out;
  for (auto& f : tx.attachments().of_ticket(ticket_id))
    if (!f.internal || is_staff(a)) out.push_back(std::move(f));
  return out;
}

Result<Attachment> get_attachment(Tx& tx, const Actor& a, Id id) {
  auto f = tx.attachments().find(id);
  if (!f || (f->internal && !is_staff(a)))
    return make_error(ErrorCode::not_found, "no such attachment");
  // An upload not yet sent is its uploader's alone.
  if (!f->ticket_id) {
    if (f->uploaded_by && *f->uploaded_by == a.id && !a.is_system()) return *f;
    return make_error(ErrorCode::not_found, "no such attachment");
  }
  auto t = get_ticket(tx, a, *f->ticket_id);
  if (!t) return make_error(ErrorCode::not_found, "no such attachment");
  return *f;
}

}  // namespace sd::desk
