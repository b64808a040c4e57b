// Mail intake and the mail the desk sends, on a real store (both back ends):
// one record per message, threading only by what the desk signed or by a
// participant, loops set aside, files stored once, acknowledgements limited.
#include "desk/attachments.hpp"
#include "desk/mail.hpp"
#include "desk/ticket_queries.hpp"
#include "desk/tickets.hpp"
#include "store/repo/attachments.hpp"
#include "store/repo/events.hpp"
#include "store/repo/inbound_mail.hpp"
#include "store/repo/jobs.hpp"
#include "store/repo/mailboxes.hpp"
#include "store/repo/outbox.hpp"
#include "store_fixture.hpp"

namespace sd::desk {
namespace {

using store::Tx;
using store::testing::at;

class MailIntake : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    m_blobs.emplace(m_dir.empty() ? std::filesystem::temp_directory_path() / (m_name + "-files")
                                  : m_dir / "files");
    MailIdentity id;
    id.from = {"Mesa de Servicio", "help@desk.test"};
    id.sending = true;
    configure_mail(id);
    m_agent = Actor::user(add_user("agent@example.com", Role::agent), Role::agent);
  }
  void TearDown() override {
    if (m_blobs) std::filesystem::remove_all(m_blobs->dir());
    configure_mail({});
    StoreTest::TearDown();
  }

  static InboundMail mail(std::string from, std::string subject, std::string text,
                          std::string message_id) {
    InboundMail m;
    m.from = MailAddress{"Ana Prueba", std::move(from)};
    m.subject = std::move(subject);
    m.text = std::move(text);
    m.message_id = std::move(message_id);
    return m;
  }

  InboundMessage ingest(const InboundMail& m, std::string raw = {}, Instant now = at(2'000'000),
                        std::optional<Id> mailbox = std::nullopt) {
    if (raw.empty()) raw = "Message-ID: <" + m.message_id + ">\r\n\r\n" + m.text;
    ReceivedMail r;
    r.raw = raw;
    r.parsed = m;
    r.mailbox_id = mailbox;
    auto out = m_store->write([&](Tx& tx) { return ingest_mail(tx, *m_blobs, r, now, m_limits); });
    EXPECT_TRUE(out) << (out ? "" : out.error().detail);
    return out ? out->value : InboundMessage{};
  }

  std::vector<OutboxMessage> outbox() {
    auto r = m_store->read([&](Tx& tx) -> Result<std::vector<OutboxMessage>> {
      return tx.outbox().list(std::nullopt, 100).items;
    });
    return r ? *r : std::vector<OutboxMessage>{};
  }

  std::vector<Event> events(Id ticket) {
    auto r = m_store->read([&](Tx& tx) { return ticket_events(tx, m_agent, ticket); });
    return r ? *r : std::vector<Event>{};
  }

  std::optional<store::BlobStore> m_blobs;
  MailLimits m_limits;
  Actor m_agent;
};

TEST_P(MailIntake, ANewMessageOpensATicketByEmailAndIsAcknowledgedInThread) {
  auto rec = ingest(mail("ana@example.test", "Re: Impresora sin tóner", "No imprime.", "a1@x"));
  ASSERT_EQ(rec.status, InboundStatus::ticket);
  ASSERT_TRUE(rec.ticket_id);
  auto t = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, *rec.ticket_id); });
  ASSERT_TRUE(t);
  EXPECT_EQ(t->channel, Channel::email);
  EXPECT_EQ(t->subject, "Impresora sin tóner");  // the reply prefix is not the subject
  const auto out = outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, "acknowledgement");
  EXPECT_EQ(out[0].to_address, "ana@example.test");
  EXPECT_EQ(out[0].auto_submitted, "auto-replied");
  EXPECT_EQ(out[0].in_reply_to, "a1@x");
  EXPECT_NE(out[0].subject.find(ticket_tag(*rec.ticket_id)), std::string::npos);
  // The acknowledgement is signed: its id leads back to the ticket.
  auto back = m_store->write([&](Tx& tx) -> Result<std::optional<Id>> {
    return ticket_of_desk_message_id(tx, out[0].message_id);
  });
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, rec.ticket_id);
}

TEST_P(MailIntake, TheSameMessageTwiceIsOneTicketAndCounted) {
  auto m = mail("ana@example.test", "Dos veces", "Hola", "same@x");
  auto first = ingest(m);
  auto again = ingest(m);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.duplicates, 1);
  // Without a Message-ID the bytes decide.
  auto bare = mail("ana@example.test", "Sin id", "Hola", "");
  auto b1 = ingest(bare, "From: ana@example.test\r\n\r\nHola");
  auto b2 = ingest(bare, "From: ana@example.test\r\n\r\nHola");
  auto b3 = ingest(bare, "From: ana@example.test\r\n\r\nHola!");
  EXPECT_EQ(b1.id, b2.id);
  EXPECT_NE(b1.id, b3.id);
  auto n = m_store->read([&](Tx& tx) -> Result<std::size_t> {
    store::InboundQuery q;
    q.limit = 100;
    return tx.inbound_mail().list(q).items.size();
  });
  EXPECT_EQ(*n, 3u);
}

TEST_P(MailIntake, ARepliesJoinsItsTicketBySignedIdTrimmed) {
  auto first = ingest(mail("ana@example.test", "Impresora", "No imprime.", "a1@x"));
  const std::string desk_id = outbox().at(0).message_id;
  auto reply = mail(
      "ana@example.test", "Re: otra cosa",
      "Ya la reinicié.\n\nOn Mon, 1 Dec 2026 at 10:00, Mesa <help@desk.test> wrote:\n> Recibimos",
      "a2@x");
  reply.in_reply_to = {desk_id};
  auto rec = ingest(reply);
  EXPECT_EQ(rec.status, InboundStatus::comment);
  EXPECT_EQ(rec.ticket_id, first.ticket_id);
  auto ev = events(*first.ticket_id);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, EventKind::reply);
  EXPECT_EQ(ev.back().body, "Ya la reinicié.");
}

TEST_P(MailIntake, AForgedIdOrAStrangersTagNeverJoinsSomeoneElsesTicket) {
  auto first = ingest(mail("ana@example.test", "Impresora", "No imprime.", "a1@x"));
  const Id tid = *first.ticket_id;
  const std::string real = outbox().at(0).message_id;
  // The same shape with another MAC.
  std::string forged = real;
  forged[forged.find('@') - 1] = forged[forged.find('@') - 1] == 'a' ? 'b' : 'a';
  auto f = mail("eve@example.test", "Re: Impresora", "hola", "e1@x");
  f.in_reply_to = {forged};
  auto rec = ingest(f);
  EXPECT_EQ(rec.status, InboundStatus::ticket);
  EXPECT_NE(rec.ticket_id, tid);
  // The ticket tag from a stranger: a new ticket too.
  auto tag = ingest(mail("eve@example.test", "Re: " + ticket_tag(tid) + " Impresora", "x", "e2@x"));
  EXPECT_EQ(tag.status, InboundStatus::ticket);
  EXPECT_NE(tag.ticket_id, tid);
  // The ticket tag from its requester joins it.
  auto own = ingest(mail("ana@example.test", "Re: " + ticket_tag(tid) + " Impresora", "y", "a3@x"));
  EXPECT_EQ(own.status, InboundStatus::comment);
  EXPECT_EQ(own.ticket_id, tid);
  // A reply to the requester's own first message, from a stranger: new.
  auto s = mail("eve@example.test", "Re: Impresora", "z", "e3@x");
  s.references = {"a1@x"};
  auto sr = ingest(s);
  EXPECT_NE(sr.ticket_id, tid);
  // The desk's real signed id, from someone the mail reached (a colleague in
  // copy): it joins, written by them.
  auto cc = mail("colega@example.test", "Re: Impresora", "Lo confirmo.", "c1@x");
  cc.references = {real};
  auto cr = ingest(cc);
  EXPECT_EQ(cr.status, InboundStatus::comment);
  EXPECT_EQ(cr.ticket_id, tid);
  auto ev = events(tid);
  EXPECT_EQ(ev.back().body, "Lo confirmo.");
  EXPECT_NE(ev.back().actor_id, std::optional<Id>(m_user));
}

TEST_P(MailIntake, AutomaticMailAndTheDesksOwnAreSetAsideUnanswered) {
  auto auto_reply = mail("ana@example.test", "Fuera de la oficina", "Vuelvo el lunes", "o1@x");
  auto_reply.headers = {{"Auto-Submitted", "auto-replied"}};
  auto r1 = ingest(auto_reply);
  EXPECT_EQ(r1.status, InboundStatus::set_aside);
  EXPECT_EQ(r1.reason, "auto_submitted");
  auto bounce = mail("MAILER-DAEMON@example.test", "Undelivered", "550", "b1@x");
  auto r2 = ingest(bounce);
  EXPECT_EQ(r2.reason, "mailer_daemon");
  auto own = mail("help@desk.test", "loop", "x", "l1@x");
  auto r3 = ingest(own);
  EXPECT_EQ(r3.status, InboundStatus::set_aside);
  EXPECT_EQ(r3.reason, "from_desk");
  EXPECT_TRUE(outbox().empty());
  // An admin may accept one anyway.
  auto admin = Actor::user(add_user("admin@example.com", Role::admin), Role::admin);
  auto retried = m_store->write([&](Tx& tx) {
    return retry_inbound(tx, *m_blobs, admin, r1.id, true, Result<InboundMail>(auto_reply),
                         at(3'000'000));
  });
  ASSERT_TRUE(retried) << retried.error().detail;
  EXPECT_EQ(retried->value.status, InboundStatus::ticket);
  EXPECT_EQ(retried->value.source, "pipe") << "where it came from stays";
}

TEST_P(MailIntake, AMailboxThatRefusesStrangersKeepsTheirMailAside) {
  auto box = m_store->write([&](Tx& tx) -> Result<Id> {
    Mailbox m;
    m.address = "desk@desk.test";
    m.unknown_senders = UnknownSenders::refuse;
    return tx.mailboxes().insert(m);
  });
  ASSERT_TRUE(box);
  auto rec = ingest(mail("nobody@example.test", "Hola", "x", "n1@x"), {}, at(2'000'000), *box);
  EXPECT_EQ(rec.status, InboundStatus::set_aside);
  EXPECT_EQ(rec.reason, "unknown_sender");
  EXPECT_EQ(rec.mailbox_key, *box);
  // A known user is taken in on it.
  auto known = ingest(mail("req@example.com", "Hola", "x", "k1@x"), {}, at(2'000'000), *box);
  EXPECT_EQ(known.status, InboundStatus::ticket);
}

TEST_P(MailIntake, FilesAreStoredOnceAndTooLargeOnesAreSaidToBeLeftOut) {
  m_limits.max_attachment_bytes = 1000;
  auto m = mail("ana@example.test", "Capturas", "Adjunto.", "f1@x");
  m.attachments.push_back({"captura.png", "image/png", "", false, std::string(500, 'a')});
  m.attachments.push_back({"copia.png", "image/png", "", false, std::string(500, 'a')});
  m.attachments.push_back(
      {"grande.bin", "application/octet-stream", "", false, std::string(2000, 'b')});
  auto rec = ingest(m);
  ASSERT_EQ(rec.status, InboundStatus::ticket);
  auto files =
      m_store->read([&](Tx& tx) { return ticket_attachments(tx, m_agent, *rec.ticket_id); });
  ASSERT_TRUE(files);
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].sha256, (*files)[1].sha256);
  EXPECT_EQ((*files)[0].event_id, rec.event_id);
  EXPECT_TRUE(std::filesystem::exists(m_blobs->path_of((*files)[0].sha256)));
  auto t = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, *rec.ticket_id); });
  EXPECT_NE(t->description.find("grande.bin"), std::string::npos);
}

TEST_P(MailIntake, AcknowledgementsToOneAddressAreLimited) {
  m_limits.auto_replies_per_hour = 2;
  for (int i = 0; i < 4; ++i)
    ingest(mail("ana@example.test", "Caso " + std::to_string(i), "x", "r" + std::to_string(i)), {},
           at(2'000'000 + i));
  EXPECT_EQ(outbox().size(), 2u);
}

TEST_P(MailIntake, AnAgentsPublicReplyIsMailedAndANoteIsNot) {
  auto rec = ingest(mail("ana@example.test", "Impresora", "No imprime.", "a1@x"));
  const Id tid = *rec.ticket_id;
  auto note = m_store->write([&](Tx& tx) {
    return comment_on_ticket(tx, m_agent, {tid, "nota interna", true, {}, {}}, at(2'100'000));
  });
  ASSERT_TRUE(note);
  auto reply = m_store->write([&](Tx& tx) {
    return comment_on_ticket(tx, m_agent, {tid, "Cambiamos el tóner.", false, {}, {}},
                             at(2'200'000));
  });
  ASSERT_TRUE(reply);
  const auto out = outbox();  // newest first
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, "reply");
  EXPECT_TRUE(out[0].auto_submitted.empty());
  EXPECT_EQ(out[0].body.rfind("Cambiamos el tóner.", 0), 0u);
  // It threads on what came before: the requester's message and the acknowledgement.
  EXPECT_NE(out[0].references.find("a1@x"), std::string::npos);
  EXPECT_NE(out[0].references.find(out[1].message_id), std::string::npos);
  EXPECT_EQ(out[0].in_reply_to, out[1].message_id);
  // And each is sent by a mail.send job.
  auto jobs = m_store->read([&](Tx& tx) -> Result<std::size_t> {
    store::JobQuery q;
    q.kind = kSendMailJob;
    return tx.jobs().list(q).items.size();
  });
  EXPECT_EQ(*jobs, 2u);
}

TEST_P(MailIntake, APermanentFailureIsRecordedOnTheTicketForStaff) {
  auto rec = ingest(mail("ana@example.test", "Impresora", "No imprime.", "a1@x"));
  const auto ack = outbox().at(0);
  auto s = m_store->write([&](Tx& tx) -> Result<bool> {
    if (auto st = record_send(tx, ack.id, SendResult::permanent_failure, "550 no such user", false,
                              at(2'100'000));
        !st)
      return st.error();
    return true;
  });
  ASSERT_TRUE(s);
  EXPECT_EQ(outbox().at(0).status, "failed");
  auto ev = events(*rec.ticket_id);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, EventKind::mail_failed);
  EXPECT_TRUE(ev.back().internal);
  auto requester_sees = m_store->read([&](Tx& tx) {
    return ticket_events(tx,
                         Actor::user(*m_store->read([&](Tx& t2) -> Result<Id> {
                           return t2.users().find_by_email("ana@example.test")->id;
                         }),
                                     Role::requester),
                         *rec.ticket_id);
  });
  ASSERT_TRUE(requester_sees);
  for (const auto& e : *requester_sees) EXPECT_NE(e.kind, EventKind::mail_failed);
}

TEST_P(MailIntake, ADeskWithNoAddressKeepsItsMailHeldAndQueuesNoJob) {
  configure_mail({});
  auto rec = ingest(mail("ana@example.test", "Impresora", "No imprime.", "a1@x"));
  ASSERT_EQ(rec.status, InboundStatus::ticket);
  const auto out = outbox();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].status, "held");
  auto jobs = m_store->read([&](Tx& tx) -> Result<std::size_t> {
    store::JobQuery q;
    q.kind = kSendMailJob;
    return tx.jobs().list(q).items.size();
  });
  EXPECT_EQ(*jobs, 0u);
}

TEST_P(MailIntake, UploadsAreTheUploadersUntilAMessageTakesThemOnce) {
  auto ref = m_blobs->put("contenido");
  ASSERT_TRUE(ref);
  const Actor req = Actor::user(m_user, Role::requester);
  auto up = m_store->write([&](Tx& tx) {
    return record_uploads(
        tx, req, {NewUpload{*ref, "../../etc/informe.pdf", "text/html", "text/plain"}}, at(1'000));
  });
  ASSERT_TRUE(up);
  const Id file = up->value.at(0).id;
  EXPECT_EQ(up->value.at(0).filename, "informe.pdf");
  // Someone else may neither see it nor send it.
  auto theirs = m_store->read([&](Tx& tx) { return get_attachment(tx, m_agent, file); });
  EXPECT_FALSE(theirs);
  CreateTicket c;
  c.subject = "Con archivo";
  c.description = "x";
  c.attachment_ids = {file};
  auto stolen = m_store->write([&](Tx& tx) { return create_ticket(tx, m_agent, c, at(2'000)); });
  EXPECT_FALSE(stolen);
  auto mine = m_store->write([&](Tx& tx) { return create_ticket(tx, req, c, at(2'000)); });
  ASSERT_TRUE(mine) << mine.error().detail;
  auto again = m_store->write([&](Tx& tx) { return create_ticket(tx, req, c, at(3'000)); });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().fields.at(0).field, "attachment_ids");
  auto seen = m_store->read([&](Tx& tx) { return get_attachment(tx, m_agent, file); });
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->ticket_id, mine->value.id);
}

SD_STORE_SUITE(MailIntake);

}  // namespace
}  // namespace sd::desk
