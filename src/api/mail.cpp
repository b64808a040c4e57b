// The email channel over HTTP: /mailboxes (admins), the messages taken in
// with their outcome and a retry (/admin/inbound-mail), a ticket's mail
// with its headers, and attachments (listed and downloaded by whoever may
// see the ticket; an internal note's only by staff). Downloads are always
// attachments with nosniff, so that nothing stored is rendered from the
// desk's origin.
#include "desk/mail.hpp"

#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "api/json_io.hpp"
#include "api/query.hpp"
#include "api/router.hpp"
#include "desk/attachments.hpp"
#include "domain/text.hpp"

namespace sd::api {
namespace {

namespace json = boost::json;
using store::Tx;

json::object mailbox_json(const Mailbox& m) {
  return {{"id", m.id},
          {"address", m.address},
          {"name", m.name},
          {"active", m.active},
          {"unknown_senders", to_string(m.unknown_senders)},
          {"group_id", opt_json(m.group_id)},
          {"imap", json::object{{"url", m.imap_url},
                                {"username", m.imap_username},
                                {"has_password", !m.imap_password.empty()},
                                {"folder", m.imap_folder},
                                {"tls", m.imap_tls},
                                {"verify_peer", m.imap_verify_peer},
                                {"uidvalidity", m.imap_uidvalidity},
                                {"last_uid", m.imap_last_uid},
                                {"polled_at", opt_time(m.imap_polled_at)},
                                {"error", m.imap_error}}},
          {"created_at", to_iso8601(m.created_at)},
          {"updated_at", to_iso8601(m.updated_at)}};
}

json::object inbound_json(const InboundMessage& m) {
  return {{"id", m.id},
          {"mailbox_id", m.mailbox_key ? json::value(m.mailbox_key) : json::value(nullptr)},
          {"source", m.source},
          {"status", to_string(m.status)},
          {"reason", m.reason},
          {"message_id", m.message_id},
          {"from", m.from_address},
          {"subject", m.subject},
          {"size", m.size},
          {"ticket_id", opt_json(m.ticket_id)},
          {"event_id", opt_json(m.event_id)},
          {"duplicates", m.duplicates},
          {"received_at", to_iso8601(m.received_at)},
          {"updated_at", to_iso8601(m.updated_at)}};
}

json::object attachment_json(const Attachment& a) {
  return {{"id", a.id},
          {"ticket_id", opt_json(a.ticket_id)},
          {"event_id", opt_json(a.event_id)},
          {"filename", a.filename},
          {"content_type", a.content_type},
          {"size", a.size},
          {"inline", a.inline_part},
          {"internal", a.internal},
          {"url", "/api/v1/attachments/" + std::to_string(a.id)},
          {"created_at", to_iso8601(a.created_at)}};
}

// The path of a stored file, to send as a response's body (streamed by http/).
Result<std::string> stored_file(Ctx& ctx, const std::string& sha256) {
  if (!store::BlobStore::valid_hash(sha256))
    return make_error(ErrorCode::not_found, "the file is missing from the store");
  const auto path = ctx.s.blobs->path_of(sha256);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return make_error(ErrorCode::not_found, "the file is missing from the store");
  return path.string();
}

// What a message said: its headers and full text; nothing for a message
// that could not be read.
json::object content_json(const InboundContent& c) {
  if (c.headers.empty() && c.text.empty()) return {};
  json::array headers;
  for (const auto& [name, value] : c.headers)
    headers.push_back(json::array{json::string(name), json::string(value)});
  return {{"headers", std::move(headers)}, {"text", c.text}};
}

Result<Response> write_mailbox(Ctx& ctx, bool creating) {
  auto body = parse_object_body(ctx.req);
  if (!body) return body.error();
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](Tx& tx) -> Result<desk::Outcome<Mailbox>> {
    desk::SaveMailbox c;
    if (!creating) {
      auto found = desk::get_mailbox(tx, ctx.actor(), ctx.id);
      if (!found) return found.error();
      c.mailbox = *found;
    }
    Mailbox& m = c.mailbox;
    FieldReader in(*body, {"address", "name", "active", "unknown_senders", "group_id", "imap"});
    if (creating || in.has("address"))
      if (auto v = in.text("address", 254, TextKind::single_line, true)) m.address = *v;
    if (in.has("name"))
      if (auto v = in.text("name", 120, TextKind::single_line, false)) m.name = *v;
    if (auto v = in.boolean("active")) m.active = *v;
    if (auto v = in.enumeration<UnknownSenders>("unknown_senders", false)) m.unknown_senders = *v;
    if (in.has("group_id"))
      if (auto v = in.nullable_id("group_id")) m.group_id = *v;
    if (auto s = in.finish(); !s) return s.error();
    if (auto* imap = body->if_contains("imap")) {
      if (!imap->is_object()) return field_error("imap", "must be an object", "invalid_type");
      FieldReader im(imap->get_object(),
                     {"url", "username", "password", "folder", "tls", "verify_peer"});
      if (auto v = im.text("url", 300, TextKind::single_line, false)) m.imap_url = *v;
      if (auto v = im.text("username", 200, TextKind::single_line, false)) m.imap_username = *v;
      if (im.has("password"))
        if (auto v = im.text("password", 500, TextKind::single_line, false)) c.imap_password = *v;
      if (auto v = im.text("folder", 200, TextKind::single_line, false)) m.imap_folder = *v;
      if (auto v = im.text("tls", 20, TextKind::single_line, false)) m.imap_tls = *v;
      if (auto v = im.boolean("verify_peer")) m.imap_verify_peer = *v;
      if (auto s = im.finish(); !s) return s.error();
    }
    return desk::save_mailbox(tx, ctx.actor(), c, now);
  });
  if (!out) return out.error();
  if (creating)
    return created(mailbox_json(out->value), "/api/v1/mailboxes/" + std::to_string(out->value.id));
  return json_response(200, mailbox_json(out->value));
}

Result<Response> create_mailbox(Ctx& ctx) { return write_mailbox(ctx, true); }
Result<Response> patch_mailbox(Ctx& ctx) { return write_mailbox(ctx, false); }

Result<Response> list_mailboxes(Ctx& ctx) {
  auto list = ctx.s.store.read([&](Tx& tx) { return desk::list_mailboxes(tx, ctx.actor()); });
  if (!list) return list.error();
  json::array items;
  for (const auto& m : *list) items.push_back(mailbox_json(m));
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> get_mailbox(Ctx& ctx) {
  auto m = ctx.s.store.read([&](Tx& tx) { return desk::get_mailbox(tx, ctx.actor(), ctx.id); });
  if (!m) return m.error();
  return json_response(200, mailbox_json(*m));
}

Result<Response> delete_mailbox(Ctx& ctx) {
  const Instant now = ctx.s.clock.now();
  auto out =
      ctx.s.store.write([&](Tx& tx) { return desk::delete_mailbox(tx, ctx.actor(), ctx.id, now); });
  if (!out) return out.error();
  return no_content();
}

// GET /api/v1/admin/inbound-mail?status=set_aside,failed&mailbox_id=N&before=ID&limit=N
Result<Response> list_inbound(Ctx& ctx) {
  if (auto s = reject_unknown_params(ctx, {"status", "mailbox_id", "before", "limit"}); !s)
    return s.error();
  store::InboundQuery q;
  if (auto st = ctx.param("status")) {
    std::size_t i = 0;
    while (i <= st->size()) {
      auto end = st->find(',', i);
      if (end == std::string::npos) end = st->size();
      auto e = parse_enum<InboundStatus>(st->substr(i, end - i));
      if (!e)
        return make_error(ErrorCode::invalid_input,
                          "query parameter status must be ticket, comment, set_aside or failed");
      q.statuses.push_back(*e);
      i = end + 1;
    }
  }
  auto box = parse_id_param(ctx, "mailbox_id");
  if (!box) return box.error();
  q.mailbox_key = *box;
  auto before = parse_id_param(ctx, "before");
  if (!before) return before.error();
  q.before_id = *before;
  auto limit = parse_limit(ctx, 50, 100);
  if (!limit) return limit.error();
  q.limit = *limit;
  auto page = ctx.s.store.read([&](Tx& tx) { return desk::list_inbound(tx, ctx.actor(), q); });
  if (!page) return page.error();
  json::array items;
  for (const auto& m : page->items) items.push_back(inbound_json(m));
  return json_response(
      200, json::object{{"items", std::move(items)},
                        {"next_before", page->next ? json::value(page->next->id) : nullptr}});
}

Result<Response> get_inbound(Ctx& ctx) {
  json::object out;
  auto found = ctx.s.store.read([&](Tx& tx) -> Result<bool> {
    auto m = desk::get_inbound(tx, ctx.actor(), ctx.id);
    if (!m) return m.error();
    auto c = desk::inbound_content(tx, ctx.actor(), ctx.id);
    if (!c) return c.error();
    out = inbound_json(*m);
    for (auto& kv : content_json(*c)) out[kv.key()] = kv.value();
    return true;
  });
  if (!found) return found.error();
  return json_response(200, out);
}

Result<Response> inbound_raw(Ctx& ctx) {
  auto m = ctx.s.store.read([&](Tx& tx) { return desk::get_inbound(tx, ctx.actor(), ctx.id); });
  if (!m) return m.error();
  if (!m->raw_sha256 || !ctx.s.blobs) return make_error(ErrorCode::not_found, "no message kept");
  auto path = stored_file(ctx, *m->raw_sha256);
  if (!path) return path.error();
  Response r;
  r.content_type = "message/rfc822";
  r.body_file = std::move(*path);
  r.headers.emplace_back("Content-Disposition",
                         "attachment; filename=\"message-" + std::to_string(m->id) + ".eml\"");
  return r;
}

// POST /api/v1/admin/inbound-mail/{id}/retry {"accept": false}
Result<Response> retry_inbound(Ctx& ctx) {
  bool accept = false;
  if (!ctx.req.body.empty()) {
    auto body = parse_object_body(ctx.req);
    if (!body) return body.error();
    FieldReader in(*body, {"accept"});
    if (auto v = in.boolean("accept")) accept = *v;
    if (auto s = in.finish(); !s) return s.error();
  }
  auto m = ctx.s.store.read([&](Tx& tx) { return desk::get_inbound(tx, ctx.actor(), ctx.id); });
  if (!m) return m.error();
  if (!m->raw_sha256 || !ctx.s.blobs || !ctx.s.parse_mail)
    return conflict("not_kept", "the message itself was not kept");
  auto raw = ctx.s.blobs->read(*m->raw_sha256, 64u * 1024 * 1024);
  if (!raw) return raw.error();
  const auto parsed = ctx.s.parse_mail(*raw);
  const Instant now = ctx.s.clock.now();
  auto out = ctx.s.store.write([&](Tx& tx) {
    return desk::retry_inbound(tx, *ctx.s.blobs, ctx.actor(), ctx.id, accept, parsed, now);
  });
  if (!out) return out.error();
  return json_response(200, inbound_json(out->value));
}

Result<Response> ticket_mail(Ctx& ctx) {
  auto list = ctx.s.store.read([&](Tx& tx) { return desk::ticket_mail(tx, ctx.actor(), ctx.id); });
  if (!list) return list.error();
  json::array items;
  for (const auto& m : *list) {
    json::object o = inbound_json(m.message);
    // The headers, and the full text (the ticket keeps the reply without
    // its quoted history).
    for (auto& kv : content_json(m.content)) o[kv.key()] = kv.value();
    items.push_back(std::move(o));
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

Result<Response> ticket_attachments(Ctx& ctx) {
  auto list =
      ctx.s.store.read([&](Tx& tx) { return desk::ticket_attachments(tx, ctx.actor(), ctx.id); });
  if (!list) return list.error();
  json::array items;
  for (const auto& a : *list) items.push_back(attachment_json(a));
  return json_response(200, json::object{{"items", std::move(items)}});
}

// The file name for Content-Disposition: an ASCII fallback and the UTF-8
// name (RFC 6266 / 5987).
std::string disposition(const std::string& name) {
  std::string ascii;
  for (unsigned char c : name)
    ascii +=
        (c >= 0x20 && c < 0x7F && c != '"' && c != '\\' && c != '/') ? static_cast<char>(c) : '_';
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" +
         boost::urls::encode(name, boost::urls::unreserved_chars);
}

Result<Response> download_attachment(Ctx& ctx) {
  auto a = ctx.s.store.read([&](Tx& tx) { return desk::get_attachment(tx, ctx.actor(), ctx.id); });
  if (!a) return a.error();
  if (!ctx.s.blobs) return make_error(ErrorCode::not_found, "no such attachment");
  auto path = stored_file(ctx, a->sha256);
  if (!path) return path.error();
  Response r;
  // Served as what the bytes are, but never as something a browser renders
  // from the desk's origin.
  r.content_type = a->content_type.empty() ? "application/octet-stream" : a->content_type;
  if (r.content_type.rfind("text/", 0) == 0 || r.content_type.find("html") != std::string::npos ||
      r.content_type.find("xml") != std::string::npos ||
      r.content_type.find("javascript") != std::string::npos)
    r.content_type = "application/octet-stream";
  r.body_file = std::move(*path);
  r.headers.emplace_back("Content-Disposition", disposition(a->filename));
  r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  r.headers.emplace_back("Cache-Control", "private, max-age=3600");
  return r;
}

}  // namespace

void add_mail_routes(std::vector<Route>& out) {
  out.push_back({Method::get, "/api/v1/mailboxes", list_mailboxes, Policy::admin});
  out.push_back({Method::post, "/api/v1/mailboxes", create_mailbox, Policy::admin});
  out.push_back({Method::get, "/api/v1/mailboxes/{id}", get_mailbox, Policy::admin});
  out.push_back({Method::patch, "/api/v1/mailboxes/{id}", patch_mailbox, Policy::admin});
  out.push_back({Method::del, "/api/v1/mailboxes/{id}", delete_mailbox, Policy::admin});
  out.push_back({Method::get, "/api/v1/admin/inbound-mail", list_inbound, Policy::admin});
  out.push_back({Method::get, "/api/v1/admin/inbound-mail/{id}", get_inbound, Policy::admin});
  out.push_back({Method::get, "/api/v1/admin/inbound-mail/{id}/raw", inbound_raw, Policy::admin});
  out.push_back(
      {Method::post, "/api/v1/admin/inbound-mail/{id}/retry", retry_inbound, Policy::admin});
  out.push_back({Method::get, "/api/v1/tickets/{id}/mail", ticket_mail, Policy::staff});
  out.push_back(
      {Method::get, "/api/v1/tickets/{id}/attachments", ticket_attachments, Policy::signed_in});
  out.push_back({Method::get, "/api/v1/attachments/{id}", download_attachment, Policy::signed_in});
}

}  // namespace sd::api
