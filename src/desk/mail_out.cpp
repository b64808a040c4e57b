// Mail out: what the desk writes to whom, in their language, threaded with
// Message-IDs only the desk can make.
#include <algorithm>
#include <boost/json.hpp>

#include "auth/crypto.hpp"
#include "desk/mail.hpp"
#include "desk/settings.hpp"
#include "domain/permissions.hpp"
#include "store/repo/events.hpp"
#include "store/repo/inbound_mail.hpp"
#include "store/repo/outbox.hpp"
#include "store/repo/settings.hpp"
#include "store/repo/users.hpp"

namespace sd::desk {
namespace {

using store::Tx;

MailIdentity& identity_slot() {
  static MailIdentity identity;
  return identity;
}

std::string mail_key(Tx& tx) { return server_secret(tx, "mail_message_ids"); }

std::string signed_part(Id ticket_id, std::string_view nonce) {
  return "sd." + std::to_string(ticket_id) + "." + std::string(nonce);
}

bool english(const User& u) { return u.language == "en"; }

std::string footer(const User& u, Id ticket_id) {
  const MailIdentity& me = mail_identity();
  std::string out = english(u) ? "\n\n--\nTo answer, reply to this message and keep " +
                                     ticket_tag(ticket_id) + " in the subject."
                               : "\n\n--\nPara contestar, responda a este mensaje conservando " +
                                     ticket_tag(ticket_id) + " en el asunto.";
  if (!me.portal_url.empty())
    out += (english(u) ? "\nOnline: " : "\nEn línea: ") + me.portal_url + "#/tickets/" +
           std::to_string(ticket_id);
  if (!me.from.name.empty()) out += "\n" + me.from.name;
  return out + "\n";
}

// The ticket's thread: what the new mail answers and refers to (the mail
// taken in on it, then the desk's own mail about it, oldest first).
void thread(Tx& tx, OutboxMessage& m, Id ticket_id) {
  // Both sides of the conversation, in the order they were written.
  std::vector<std::pair<Instant, std::string>> thread;
  for (auto& in : tx.inbound_mail().of_ticket(ticket_id))
    if (!in.message_id.empty() && in.ticket_id)
      thread.emplace_back(in.received_at, std::move(in.message_id));
  for (auto& o : tx.outbox().of_ticket(ticket_id, 10))
    if (!o.message_id.empty()) thread.emplace_back(o.created_at, std::move(o.message_id));
  std::stable_sort(thread.begin(), thread.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> ids;
  for (auto& [at, id] : thread) ids.push_back(std::move(id));
  // The first (the one that opened it) and the last nine.
  if (ids.size() > 10) ids.erase(ids.begin() + 1, ids.end() - 9);
  if (ids.empty()) return;
  m.in_reply_to = ids.back();
  std::string refs;
  for (const auto& id : ids) refs += (refs.empty() ? "" : " ") + id;
  m.references = refs;
}

OutboxMessage to_user(Tx& tx, const User& u, const Ticket& t, std::string kind, Instant now) {
  OutboxMessage m;
  m.kind = std::move(kind);
  m.ticket_id = t.id;
  m.user_id = u.id;
  m.to_address = u.email;
  m.to_name = u.name;
  m.language = u.language;
  m.subject = ticket_tag(t.id) + " " + t.subject;
  m.created_at = now;
  thread(tx, m, t.id);
  return m;
}

// Who an event is mailed to, and as what: an agent's public reply and the
// status changes that concern the requester go to the requester; an
// assignment and a requester's answer to the assignee.
struct Notice {
  Id to = 0;
  std::string kind;
  bool automatic = true;  // the desk's notice, not a person's words
};

std::optional<Notice> notice_for(const Event& e, const Ticket& t, const Actor& a) {
  if (e.kind == EventKind::reply && !e.internal && is_staff(a) && !a.is_system())
    return Notice{t.requester_id, "reply", false};
  if (e.kind == EventKind::reply && (!is_staff(a) || a.name == "mail") && t.assignee_id)
    return Notice{*t.assignee_id, "requester_replied"};
  if (e.kind == EventKind::assignment && e.field == "assignee_id" && t.assignee_id &&
      e.new_value == std::to_string(*t.assignee_id))
    return Notice{*t.assignee_id, "assigned"};
  if (e.kind == EventKind::solution_linked && !e.internal && !a.is_system())
    return Notice{t.requester_id, "solution", false};
  if (e.kind == EventKind::status_change &&
      (e.new_value == "resolved" || e.new_value == "pending" || e.new_value == "cancelled"))
    return Notice{t.requester_id, "status_" + e.new_value};
  return std::nullopt;
}

// The text of a notice, in the recipient's language (the footer apart).
std::string notice_body(const std::string& kind, const Event& e, const User& u, const Ticket& t,
                        const Actor& a) {
  const bool en = english(u);
  const std::string n = ticket_number(t.id);
  if (kind == "reply") return e.body;
  if (kind == "solution")
    return (en ? "This article from our knowledge base answers your request " + n + ":\n\n"
               : "Este artículo de nuestra base de conocimiento responde a su solicitud " + n +
                     ":\n\n") +
           e.body;
  if (kind == "requester_replied")
    return (en ? a.name + " answered on " + n + ":\n\n" : a.name + " respondió en " + n + ":\n\n") +
           e.body;
  if (kind == "assigned")
    return (en ? "Ticket " + n + " was assigned to you.\n\nSubject: "
               : "Se le asignó el ticket " + n + ".\n\nAsunto: ") +
           t.subject + "\n" + (en ? "Priority: " : "Prioridad: ") +
           std::string(to_string(t.priority));
  if (kind == "status_resolved")
    return en ? "Your request " + n +
                    " is resolved.\n\nIf it is solved, there is nothing to do: it closes by "
                    "itself in a few days. If it is not, reply to this message and it opens again."
              : "Su solicitud " + n +
                    " quedó resuelta.\n\nSi quedó solucionada, no tiene que hacer nada: se "
                    "cerrará sola en unos días. Si no, responda a este mensaje y se abrirá de "
                    "nuevo.";
  if (kind == "status_pending")
    return en ? "We need something from you to go on with " + n + ". Please reply to this message."
              : "Necesitamos algo de usted para continuar con " + n +
                    ". Por favor responda a este mensaje.";
  return en ? "Your request " + n + " was cancelled." : "Su solicitud " + n + " fue cancelada.";
}

bool mailable(const std::optional<User>& u) { return u && u->active && !u->email.empty(); }

}  // namespace

void configure_mail(MailIdentity identity) {
  if (identity.domain.empty()) {
    const auto at = identity.from.address.rfind('@');
    identity.domain =
        at == std::string::npos ? "servicedesk.invalid" : identity.from.address.substr(at + 1);
  }
  identity_slot() = std::move(identity);
}

const MailIdentity& mail_identity() { return identity_slot(); }

void remember_mail_identity(Tx& tx, const MailIdentity& identity) {
  if (identity.from.address.empty()) return;
  if (tx.settings().get("mail.from") != identity.from.address)
    tx.settings().put("mail.from", identity.from.address);
  if (tx.settings().get("mail.from_name") != identity.from.name)
    tx.settings().put("mail.from_name", identity.from.name);
  if (tx.settings().get("mail.portal_url") != identity.portal_url)
    tx.settings().put("mail.portal_url", identity.portal_url);
}

MailIdentity remembered_mail_identity(Tx& tx) {
  MailIdentity id;
  id.from.address = tx.settings().get("mail.from").value_or("");
  id.from.name = tx.settings().get("mail.from_name").value_or("");
  id.portal_url = tx.settings().get("mail.portal_url").value_or("");
  return id;
}

std::string desk_message_id(Tx& tx, Id ticket_id) {
  const std::string nonce = auth::random_token().substr(0, 12);
  const std::string part = signed_part(ticket_id, nonce);
  return part + "." + auth::mac_hex(mail_key(tx), part, 12) + "@" + mail_identity().domain;
}

std::optional<Id> ticket_of_desk_message_id(Tx& tx, std::string_view id) {
  // sd.<ticket>.<nonce>.<mac>@domain
  const auto at = id.find('@');
  if (at == std::string_view::npos || id.substr(0, 3) != "sd.") return std::nullopt;
  const std::string_view local = id.substr(0, at);
  const auto mac_dot = local.rfind('.');
  if (mac_dot == std::string_view::npos || mac_dot < 4) return std::nullopt;
  const std::string_view part = local.substr(0, mac_dot), mac = local.substr(mac_dot + 1);
  const auto id_end = part.find('.', 3);
  if (id_end == std::string_view::npos) return std::nullopt;
  Id ticket = 0;
  for (char c : part.substr(3, id_end - 3)) {
    if (c < '0' || c > '9' || ticket > 100'000'000'000LL) return std::nullopt;
    ticket = ticket * 10 + (c - '0');
  }
  if (ticket <= 0) return std::nullopt;
  if (!auth::constant_time_equal(auth::mac_hex(mail_key(tx), part, 12), mac)) return std::nullopt;
  return ticket;
}

Id queue_mail(Tx& tx, Effects& fx, OutboxMessage m, Instant now) {
  m.created_at = now;
  if (m.ticket_id && m.message_id.empty()) m.message_id = desk_message_id(tx, *m.ticket_id);
  // A desk with no address of its own sends nothing: the mail is kept, held
  // (the demo's history, a desk before its mail is set up). Otherwise the
  // node that sends decides: one without an SMTP server holds it too.
  const bool sending = !mail_identity().from.address.empty();
  m.status = sending ? "pending" : "held";
  const Id id = tx.outbox().insert(m);
  if (sending) {
    JobSpec j;
    j.kind = kSendMailJob;
    j.payload = boost::json::serialize(boost::json::object{{"outbox_id", id}});
    j.due_at = now;
    j.dedupe_key = std::string(kSendMailJob) + ":" + std::to_string(id);
    j.max_attempts = 10;
    fx.job(j, now);
  }
  return id;
}

Status record_send(Tx& tx, Id outbox_id, SendResult r, const std::string& error, bool last_attempt,
                   Instant now) {
  auto m = tx.outbox().find(outbox_id);
  if (!m || m->status != "pending") return {};
  const bool failed =
      r == SendResult::permanent_failure || (r == SendResult::temporary_failure && last_attempt);
  if (r == SendResult::held) {
    tx.outbox().record(outbox_id, "held", error.substr(0, 500), now);
    return {};
  }
  const std::string status = r == SendResult::sent   ? "sent"
                             : r == SendResult::held ? "held"
                             : failed                ? "failed"
                                                     : "pending";
  tx.outbox().record(outbox_id, status, error.substr(0, 500), now);
  if (failed && m->ticket_id) {
    Event e;
    e.ticket_id = *m->ticket_id;
    e.kind = EventKind::mail_failed;
    e.actor_kind = ActorKind::system;
    e.actor_name = "mail";
    e.internal = true;
    e.field = m->kind;
    e.new_value = m->to_address;
    e.body = error.substr(0, 500);  // the server's words; new_value names to whom
    e.created_at = now;
    tx.events().append(e);
  }
  return {};
}

void mail_for_events(Tx& tx, Effects& fx, const Ticket& t, const Actor& a,
                     const std::vector<Event>& events, Instant now) {
  // A desk with no address of its own writes to no one (the demo's history,
  // a desk before its mail is set up).
  if (mail_identity().from.address.empty()) return;
  for (const Event& e : events) {
    if (e.ticket_id != t.id) continue;
    const auto n = notice_for(e, t, a);
    if (!n || n->to == a.id) continue;
    auto u = tx.users().find(n->to);
    if (!mailable(u)) continue;
    OutboxMessage m = to_user(tx, *u, t, n->kind, now);
    if (n->automatic) m.auto_submitted = "auto-generated";
    m.body = notice_body(n->kind, e, *u, t, a) + footer(*u, t.id);
    queue_mail(tx, fx, std::move(m), now);
  }
}

}  // namespace sd::desk
