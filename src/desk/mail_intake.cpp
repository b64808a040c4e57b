// Mail in: one message, one decision, recorded once.
#include <boost/json.hpp>

#include "auth/crypto.hpp"
#include "desk/attachments.hpp"
#include "desk/directory.hpp"
#include "desk/mail.hpp"
#include "desk/sessions.hpp"
#include "desk/ticket_queries.hpp"
#include "desk/tickets.hpp"
#include "domain/email.hpp"
#include "domain/permissions.hpp"
#include "domain/text.hpp"
#include "store/repo/attachments.hpp"
#include "store/repo/events.hpp"
#include "store/repo/inbound_mail.hpp"
#include "store/repo/mailboxes.hpp"
#include "store/repo/outbox.hpp"
#include "store/repo/tickets.hpp"
#include "store/repo/users.hpp"
#include "store/sniff.hpp"

namespace sd::desk {
namespace {

using store::Tx;

// Text as the desk keeps it: valid UTF-8 (mail/ made it so), LF line ends,
// no control characters but tabs and line feeds, at most `max` characters.
std::string kept_text(std::string_view in, std::size_t max) {
  std::string out;
  out.reserve(std::min(in.size(), max * 2));
  std::size_t chars = 0;
  for (std::size_t i = 0; i < in.size() && chars < max; ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] == '\n') continue;
      out += '\n';
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
      continue;
    } else {
      out += static_cast<char>(c);
    }
    if ((c & 0xC0) != 0x80) ++chars;
  }
  // Never end in the middle of a character.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
    std::size_t k = out.size() - 1;
    while (k > 0 && (static_cast<unsigned char>(out[k]) & 0xC0) == 0x80) --k;
    const auto lead = static_cast<unsigned char>(out[k]);
    const std::size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (out.size() - k == need) break;
    out.resize(k);
  }
  if (!is_valid_utf8(out)) return "";
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string one_line(std::string_view s, std::size_t max) {
  std::string out = kept_text(s, max);
  for (char& c : out)
    if (c == '\n' || c == '\t') c = ' ';
  return trimmed(out);
}

// Whether `a` may attach a message to `t` by its subject's tag or a
// Message-ID the desk did not sign: staff, the requester, or someone who
// wrote on it.
bool participant(Tx& tx, const Actor& a, const Ticket& t) {
  if (is_staff(a) || t.requester_id == a.id) return true;
  for (const Event& e : tx.events().list(t.id, store::Internal::exclude))
    if (e.actor_id && *e.actor_id == a.id) return true;
  return false;
}

struct Decision {
  InboundStatus status = InboundStatus::set_aside;
  std::string reason;
  std::optional<Id> ticket_id, event_id;
};

// What a message's files left out, said in its event's text.
std::string left_out(const InboundMail& m, const MailLimits& limits) {
  std::string notes;
  int kept = 0;
  for (const MailAttachment& f : m.attachments) {
    if (f.data.size() > limits.max_attachment_bytes)
      notes += "\n[" + safe_filename(f.filename) + " (" +
               std::to_string(f.data.size() / (1024 * 1024)) +
               " MB) was not kept: files may be up to " +
               std::to_string(limits.max_attachment_bytes / (1024 * 1024)) + " MB]";
    else if (kept >= limits.max_attachments)
      notes += "\n[" + safe_filename(f.filename) + " was not kept: at most " +
               std::to_string(limits.max_attachments) + " files per message]";
    else
      ++kept;
  }
  return notes;
}

Status attach_files(Tx& tx, const store::BlobStore& blobs, const InboundMail& m, Id ticket_id,
                    Id event_id, std::optional<Id> by, const MailLimits& limits, Instant now) {
  int kept = 0;
  for (const MailAttachment& f : m.attachments) {
    if (f.data.size() > limits.max_attachment_bytes || kept >= limits.max_attachments) continue;
    auto ref = blobs.put(f.data);
    if (!ref) return ref.error();
    tx.attachments().record_blob(*ref, now);
    Attachment a;
    a.ticket_id = ticket_id;
    a.event_id = event_id;
    a.sha256 = ref->sha256;
    a.filename = safe_filename(f.filename);
    a.content_type = store::sniff_type(f.data);
    a.declared_type = one_line(f.content_type, 100);
    a.size = ref->size;
    a.inline_part = f.inline_part;
    a.content_id = one_line(f.content_id, 200);
    a.uploaded_by = by;
    a.created_at = now;
    tx.attachments().insert(a);
    ++kept;
  }
  return {};
}

// The user a sender is, made a requester when the mailbox takes strangers.
Result<std::optional<User>> sender_user(Tx& tx, Effects& fx, const InboundMail& m,
                                        const Mailbox* box, bool accept, Instant now,
                                        std::string& reason) {
  const MailAddress* from = m.from ? &*m.from : nullptr;
  if (const auto* rt = m.reply_to.empty() ? nullptr : &m.reply_to.front();
      (!from || from->address.empty()) && rt)
    from = rt;
  if (!from || from->address.empty()) {
    reason = "no_sender";
    return std::optional<User>{};
  }
  auto email = normalize_email(from->address);
  if (!email) {
    reason = "bad_sender";
    return std::optional<User>{};
  }
  if (auto u = tx.users().find_by_email(email->address)) {
    if (!u->active) {
      reason = "inactive_sender";
      return std::optional<User>{};
    }
    return std::optional<User>{*u};
  }
  if (!accept && box && box->unknown_senders == UnknownSenders::refuse) {
    reason = "unknown_sender";
    return std::optional<User>{};
  }
  CreateUser c;
  c.email = email->address;
  std::string name = one_line(from->name, 120);
  if (name.empty()) name = email->address.substr(0, email->address.find('@'));
  c.name = name;
  c.role = Role::requester;
  auto made = create_user(tx, Actor::system("mail"), c, now);
  if (!made) return made.error();
  return std::optional<User>{fx.take(std::move(*made))};
}

// The ticket a reply belongs to, by the desk's signed Message-IDs (whoever
// answers: the desk's mail reached them), then a known Message-ID or the
// subject's tag from a participant. `by_signature` says which.
std::optional<Ticket> thread_of(Tx& tx, const InboundMail& m, const Actor& a, bool& by_signature) {
  by_signature = false;
  std::vector<std::string> ids = m.in_reply_to;
  for (auto it = m.references.rbegin(); it != m.references.rend(); ++it) ids.push_back(*it);
  for (const auto& id : ids)
    if (auto t = ticket_of_desk_message_id(tx, id))
      if (auto found = tx.tickets().find(*t, TicketScope::everything())) {
        by_signature = true;
        return found;
      }
  auto allowed = [&](std::optional<Id> id) -> std::optional<Ticket> {
    if (!id) return std::nullopt;
    auto t = tx.tickets().find(*id, TicketScope::everything());
    if (t && participant(tx, a, *t)) return t;
    return std::nullopt;
  };
  for (const auto& id : ids)
    if (auto t = allowed(tx.inbound_mail().ticket_of_message_id(id))) return t;
  return allowed(find_ticket_tag(m.subject));
}

// The acknowledgement of a ticket opened by mail, unless the sender had
// too many automatic replies lately.
void acknowledge(Tx& tx, Effects& fx, const Ticket& t, const User& u, const InboundMail& m,
                 const MailLimits& limits, Instant now);

Result<Decision> decide(Tx& tx, Effects& fx, const store::BlobStore& blobs, const InboundMail& m,
                        const Mailbox* box, bool accept, Instant now, const MailLimits& limits) {
  Decision d;
  const MailIdentity& me = mail_identity();
  if (!accept) {
    // The mailbox's address or the desk's own in an X-Loop: mail the desk sent.
    auto why = automatic_reason(m, box ? box->address : me.from.address);
    if (!why && box && !me.from.address.empty()) why = automatic_reason(m, me.from.address);
    if (why) {
      d.reason = *why;
      return d;
    }
  }
  // Mail from the desk's own addresses is never a new ticket.
  if (m.from) {
    const std::string key = email_key(m.from->address);
    const bool own = (!key.empty() && key == email_key(me.from.address)) ||
                     (!key.empty() && tx.mailboxes().find_by_address(m.from->address));
    if (own) {
      d.reason = "from_desk";
      return d;
    }
  }
  auto u = sender_user(tx, fx, m, box, accept, now, d.reason);
  if (!u) return u.error();
  if (!*u) return d;
  const User& user = **u;  // active: sender_user says so
  const Actor actor = actor_of(tx, user);
  // Taken in: its files on the event that holds it.
  auto taken = [&](InboundStatus status, Id ticket_id, Id event_id) -> Result<Decision> {
    if (auto s = attach_files(tx, blobs, m, ticket_id, event_id, user.id, limits, now); !s)
      return s.error();
    return Decision{status, {}, ticket_id, event_id};
  };
  const std::string notes = left_out(m, limits);
  bool by_signature = false;
  if (auto t = thread_of(tx, m, actor, by_signature)) {
    CommentOnTicket c;
    c.ticket_id = t->id;
    c.answers_desk_mail = by_signature;
    c.body = kept_text(trim_reply(m.text), kMaxCommentBody - 2000);
    if (trimmed(c.body).empty()) c.body = m.attachments.empty() ? "(empty message)" : "(files)";
    c.body += notes;
    auto r = comment_on_ticket(tx, actor, c, now);
    if (r) return taken(InboundStatus::comment, t->id, fx.take(std::move(*r)).event.id);
    if (r.error().code == ErrorCode::not_found || r.error().code == ErrorCode::forbidden) {
      if (!accept) {
        d.reason = "not_allowed";
        return d;
      }
      // An admin accepted it: the desk writes it on the ticket, naming who
      // sent it.
      c.body = "From " + user.name + " <" + user.email + ">:\n\n" + c.body;
      auto by_desk = comment_on_ticket(tx, Actor::system("mail"), c, now);
      if (!by_desk) return by_desk.error();
      return taken(InboundStatus::comment, t->id, fx.take(std::move(*by_desk)).event.id);
    }
    if (r.error().reason != "ticket_closed") return r.error();
    // A reply to a closed request opens its follow-up.
    CreateTicket f;
    f.subject = one_line(clean_subject(m.subject), kMaxSubject);
    if (f.subject.empty()) f.subject = t->subject;
    f.description = c.body;
    f.arrived_by = Channel::email;
    f.follow_up_of = t->id;
    auto made = create_ticket(tx, actor, f, now);
    if (!made) return made.error();
    const Id ev = made->events.empty() ? 0 : made->events.front().id;
    return taken(InboundStatus::ticket, fx.take(std::move(*made)).id, ev);
  }
  CreateTicket c;
  c.subject = one_line(clean_subject(m.subject), kMaxSubject);
  if (c.subject.empty()) c.subject = user.language == "en" ? "(no subject)" : "(sin asunto)";
  c.description = kept_text(m.text, kMaxDescription - 2000);
  if (trimmed(c.description).empty())
    c.description = m.attachments.empty() ? "(empty message)" : "(files)";
  c.description += notes;
  c.arrived_by = Channel::email;
  auto made = create_ticket(tx, actor, c, now);
  if (!made) return made.error();
  const Id ev = made->events.empty() ? 0 : made->events.front().id;
  Ticket t = fx.take(std::move(*made));
  auto decision = taken(InboundStatus::ticket, t.id, ev);
  if (!decision) return decision;
  if (box && box->group_id) {
    UpdateTicket up;
    up.ticket_id = t.id;
    up.group_id = std::optional<Id>{*box->group_id};
    if (auto r = update_ticket(tx, Actor::system("mail"), up, now)) t = fx.take(std::move(*r));
  }
  acknowledge(tx, fx, t, user, m, limits, now);
  return decision;
}

void acknowledge(Tx& tx, Effects& fx, const Ticket& t, const User& u, const InboundMail& m,
                 const MailLimits& limits, Instant now) {
  if (u.email.empty()) return;
  if (tx.outbox().automatic_since(u.email, now - std::chrono::hours(1)) >=
      limits.auto_replies_per_hour)
    return;
  const bool en = u.language == "en";
  OutboxMessage o;
  o.kind = "acknowledgement";
  o.ticket_id = t.id;
  o.user_id = u.id;
  o.to_address = u.email;
  o.to_name = u.name;
  o.language = u.language;
  o.auto_submitted = "auto-replied";
  o.subject = ticket_tag(t.id) + " " + t.subject;
  const std::string number = ticket_number(t.id);
  if (en)
    o.body = "Hello " + u.name + ",\n\nWe received your request and opened ticket " + number +
             ": \"" + t.subject +
             "\".\nWe will answer you by email. To add anything, reply to this message and keep " +
             ticket_tag(t.id) + " in the subject.\n";
  else
    o.body = "Hola " + u.name + ":\n\nRecibimos su solicitud y abrimos el ticket " + number +
             ": \"" + t.subject +
             "\".\nLe responderemos por correo. Para agregar algo, responda a este mensaje "
             "conservando " +
             ticket_tag(t.id) + " en el asunto.\n";
  if (!mail_identity().portal_url.empty())
    o.body += (en ? "\nFollow it at " : "\nConsúltelo en ") + mail_identity().portal_url +
              "#/tickets/" + std::to_string(t.id) + "\n";
  if (!m.message_id.empty()) {
    o.in_reply_to = m.message_id;
    std::string refs;
    for (const auto& r : m.references) refs += r + " ";
    o.references = refs + m.message_id;
  }
  queue_mail(tx, fx, std::move(o), now);
}

Mailbox* found(std::optional<Mailbox>& box) { return box ? &*box : nullptr; }

std::string dedupe_key_of(const ReceivedMail& m) {
  if (m.parsed && !m.parsed->message_id.empty())
    return "mid:" + m.parsed->message_id.substr(0, 900);
  return "sha:" + auth::token_hash(m.raw);
}

}  // namespace

Result<Outcome<InboundMessage>> ingest_mail(Tx& tx, const store::BlobStore& blobs,
                                            const ReceivedMail& m, Instant now,
                                            const MailLimits& limits) {
  std::optional<Mailbox> box;
  if (m.mailbox_id) box = tx.mailboxes().find(*m.mailbox_id);
  InboundMessage rec;
  rec.mailbox_key = box ? box->id : 0;
  rec.dedupe_key = dedupe_key_of(m);
  if (auto seen = tx.inbound_mail().find_by_key(rec.mailbox_key, rec.dedupe_key)) {
    tx.inbound_mail().count_duplicate(seen->id, now);
    seen->duplicates += 1;
    return Outcome<InboundMessage>{*seen, {}, {}};
  }
  rec.source = m.source;
  rec.size = static_cast<std::int64_t>(m.raw.size());
  rec.received_at = rec.updated_at = now;
  auto raw = blobs.put(m.raw);
  if (!raw) return raw.error();
  tx.attachments().record_blob(*raw, now);
  rec.raw_sha256 = raw->sha256;
  InboundContent content;
  if (m.parsed) {
    rec.message_id = one_line(m.parsed->message_id, 900);
    rec.from_address = m.parsed->from ? one_line(m.parsed->from->address, 300) : "";
    rec.subject = one_line(m.parsed->subject, kMaxSubject);
    for (const auto& [name, value] : m.parsed->headers)
      content.headers.emplace_back(one_line(name, 200), one_line(value, 2000));
    content.text = kept_text(m.parsed->text, 200'000);
  }
  Effects fx(tx);
  if (!m.failed_reason.empty() || !m.parsed) {
    rec.status = InboundStatus::failed;
    rec.reason = m.failed_reason.empty() ? "malformed" : m.failed_reason.substr(0, 200);
  } else {
    auto d = decide(tx, fx, blobs, *m.parsed, found(box), false, now, limits);
    if (!d) return d.error();
    rec.status = d->status;
    rec.reason = d->reason;
    rec.ticket_id = d->ticket_id;
    rec.event_id = d->event_id;
  }
  rec.id = tx.inbound_mail().insert(rec, content);
  return fx.done(rec);
}

bool refused_by_desk(const Error& e) {
  switch (e.code) {
    case ErrorCode::invalid_input:
    case ErrorCode::not_found:
    case ErrorCode::conflict:
    case ErrorCode::forbidden:
    case ErrorCode::payload_too_large:
    case ErrorCode::precondition_failed:
      return true;
    default:
      return false;
  }
}

Result<Outcome<InboundMessage>> retry_inbound(Tx& tx, const store::BlobStore& blobs, const Actor& a,
                                              Id id, bool accept, const Result<InboundMail>& parsed,
                                              Instant now) {
  if (!can_manage_settings(a)) return make_error(ErrorCode::forbidden, "only admins retry mail");
  auto rec = tx.inbound_mail().find(id);
  if (!rec) return make_error(ErrorCode::not_found, "no such message");
  if (rec->status == InboundStatus::ticket || rec->status == InboundStatus::comment)
    return conflict("already_taken", "the message is already on a ticket");
  if (!parsed) return parsed.error();
  std::optional<Mailbox> box;
  if (rec->mailbox_key) box = tx.mailboxes().find(rec->mailbox_key);
  Effects fx(tx);
  auto d = decide(tx, fx, blobs, *parsed, found(box), accept, now, {});
  if (!d) return d.error();
  rec->status = d->status;
  rec->reason = d->reason;
  rec->ticket_id = d->ticket_id;
  rec->event_id = d->event_id;
  rec->updated_at = now;
  if (rec->message_id.empty()) rec->message_id = one_line(parsed->message_id, 900);
  tx.inbound_mail().update_outcome(*rec);
  return fx.done(*rec);
}

Result<store::Page<InboundMessage>> list_inbound(Tx& tx, const Actor& a,
                                                 const store::InboundQuery& q) {
  if (!can_manage_settings(a)) return make_error(ErrorCode::forbidden, "only admins see mail");
  store::InboundQuery bounded = q;
  bounded.limit = std::clamp(q.limit, 1, 100);
  return tx.inbound_mail().list(bounded);
}

Result<InboundMessage> get_inbound(Tx& tx, const Actor& a, Id id) {
  if (!can_manage_settings(a)) return make_error(ErrorCode::forbidden, "only admins see mail");
  auto rec = tx.inbound_mail().find(id);
  if (!rec) return make_error(ErrorCode::not_found, "no such message");
  return *rec;
}

Result<InboundContent> inbound_content(Tx& tx, const Actor& a, Id id) {
  if (!can_manage_settings(a)) return make_error(ErrorCode::forbidden, "only admins see mail");
  auto c = tx.inbound_mail().content(id);
  if (!c) return make_error(ErrorCode::not_found, "no such message");
  return *c;
}

Result<std::vector<TicketMail>> ticket_mail(Tx& tx, const Actor& a, Id ticket_id) {
  if (!is_staff(a)) return make_error(ErrorCode::forbidden, "only staff see a ticket's mail");
  auto t = get_ticket(tx, a, ticket_id);
  if (!t) return t.error();
  std::vector<InboundContent> content;
  auto messages = tx.inbound_mail().of_ticket(ticket_id, &content);
  std::vector<TicketMail> out;
  for (std::size_t i = 0; i < messages.size(); ++i)
    out.push_back({std::move(messages[i]), std::move(content[i])});
  return out;
}

}  // namespace sd::desk
