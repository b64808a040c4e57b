// The use cases of desk/ on a real store (both back ends) with a clock that
// moves only when told: what each change writes, the rules it applies, the
// jobs it enqueues, and the jobs that run later.
#include "desk/directory.hpp"
#include "desk/jobs.hpp"
#include "desk/mail.hpp"
#include "desk/settings.hpp"
#include "desk/ticket_queries.hpp"
#include "desk/tickets.hpp"
#include "domain/scope.hpp"
#include "store/repo/audit.hpp"
#include "store/repo/events.hpp"
#include "store/repo/groups.hpp"
#include "store/repo/jobs.hpp"
#include "store/repo/sessions.hpp"
#include "store_fixture.hpp"

namespace sd::desk {
namespace {

using namespace std::chrono_literals;
using store::Tx;
using store::testing::at;

class Desk : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    m_requester = Actor::user(m_user, Role::requester);
    m_agent = Actor::user(add_user("agent@example.com", Role::agent), Role::agent);
  }

  template <class F>
  auto write(F f) {
    return m_store->write([&](Tx& tx) { return f(tx); });
  }

  Ticket create(Instant now = at(1'000'000)) {
    CreateTicket c;
    c.subject = "La impresora no imprime";
    c.description = "Desde esta mañana.";
    c.impact = Impact::critical;
    c.criticality = Criticality::medium;
    auto r = write([&](Tx& tx) { return create_ticket(tx, m_requester, c, now); });
    EXPECT_TRUE(r) << (r ? "" : r.error().detail);
    return r ? r->value : Ticket{};
  }

  Result<Outcome<Ticket>> move(const Actor& a, Id id, TicketStatus to, Instant now) {
    return write([&](Tx& tx) { return transition_ticket(tx, a, {id, to, {}}, now); });
  }

  std::vector<Event> events(Id ticket) {
    auto r = m_store->read([&](Tx& tx) { return ticket_events(tx, m_agent, ticket); });
    return r ? *r : std::vector<Event>{};
  }

  std::vector<Job> jobs_of_kind(const std::string& kind) {
    auto r = m_store->read([&](Tx& tx) -> Result<std::vector<Job>> {
      store::JobQuery q;
      q.kind = kind;
      q.limit = 200;
      return tx.jobs().list(q).items;
    });
    return r ? *r : std::vector<Job>{};
  }

  // Marks the mail.send jobs due at `now` done, as the mail channel's
  // runner would (they run outside the database: see tests/integration).
  bool finish_mail(Instant now) {
    auto r = write([&](Tx& tx) -> Result<bool> {
      for (const Job& j : claim_jobs(tx, "mailer", now, 60s, 100))
        if (j.kind != kSendMailJob || !tx.jobs().complete(j.id, "mailer", now))
          return make_error(ErrorCode::internal, "not a mail job: " + j.kind);
      return true;
    });
    return r.has_value();
  }

  // Runs every job due at `now` as one node's runner would.
  int run_due(Instant now, const std::string& owner = "node-a") {
    auto claimed = write(
        [&](Tx& tx) -> Result<std::vector<Job>> { return claim_jobs(tx, owner, now, 60s, 100); });
    EXPECT_TRUE(claimed);
    int ok = 0;
    for (const Job& j : *claimed) {
      auto r = write([&](Tx& tx) -> Result<bool> {
        if (auto s = run_job(tx, job_handlers(), owner, j, now); !s) return s.error();
        return true;
      });
      ok += r ? 1 : 0;
    }
    return ok;
  }

  Actor m_requester, m_agent;
};

TEST_P(Desk, CreatingDecidesPriorityAndLevelAndRecordsWhoDidIt) {
  const Ticket t = create();
  EXPECT_EQ(t.priority, Priority::high);  // critical x medium in the default matrix
  EXPECT_EQ(t.support_level, 2);
  EXPECT_EQ(t.status, TicketStatus::new_);
  EXPECT_EQ(t.channel, Channel::web);
  auto ev = events(t.id);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, EventKind::created);
  EXPECT_EQ(ev[0].actor_id, m_user);
  EXPECT_EQ(ev[0].created_at, at(1'000'000));
}

TEST_P(Desk, TakingATicketAssignsItAndGivingItBackReturnsItToTheQueue) {
  const Ticket t = create();
  UpdateTicket take;
  take.ticket_id = t.id;
  take.assignee_id = std::optional<Id>(m_agent.id);
  auto r = write([&](Tx& tx) { return update_ticket(tx, m_agent, take, at(2'000'000)); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value.status, TicketStatus::assigned);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0].kind, EventKind::assignment);
  EXPECT_TRUE(r->events[0].internal);
  EXPECT_EQ(r->events[1].kind, EventKind::status_change);
  UpdateTicket give_back;
  give_back.ticket_id = t.id;
  give_back.assignee_id = std::optional<Id>{};
  r = write([&](Tx& tx) { return update_ticket(tx, m_agent, give_back, at(3'000'000)); });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value.status, TicketStatus::new_);
}

TEST_P(Desk, RequestersCannotEditFieldsAndCannotSeeOthersTickets) {
  const Ticket t = create();
  const Actor stranger = Actor::user(add_user("x@example.com", Role::requester), Role::requester);
  UpdateTicket u;
  u.ticket_id = t.id;
  u.subject = "Mine now";
  auto mine = write([&](Tx& tx) { return update_ticket(tx, m_requester, u, at(2)); });
  ASSERT_FALSE(mine);
  EXPECT_EQ(mine.error().code, ErrorCode::forbidden);
  auto theirs = write([&](Tx& tx) { return update_ticket(tx, stranger, u, at(2)); });
  ASSERT_FALSE(theirs);
  EXPECT_EQ(theirs.error().code, ErrorCode::not_found) << "a hidden ticket looks missing";
  auto comment = write([&](Tx& tx) {
    return comment_on_ticket(tx, stranger, {t.id, "hi", false, {}, {}}, at(2));
  });
  ASSERT_FALSE(comment);
  EXPECT_EQ(comment.error().code, ErrorCode::not_found);
}

TEST_P(Desk, ARequesterAnsweringAWaitingTicketPutsItBackToWork) {
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::pending, at(3)));
  auto c = write([&](Tx& tx) {
    return comment_on_ticket(tx, m_requester, {t.id, "Aquí está", false, {}, {}}, at(4));
  });
  ASSERT_TRUE(c);
  EXPECT_EQ(c->value.event.kind, EventKind::reply);
  EXPECT_EQ(c->value.event.actor_name, "Requester");
  auto back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TicketStatus::in_progress);
}

TEST_P(Desk, EscalationGoesToAGroupOfTheNewLevel) {
  auto g = write([&](Tx& tx) {
    return save_group(tx, Actor::system("test"),
                      {std::nullopt, "N3", 3, std::vector<Id>{m_agent.id}}, at(1));
  });
  ASSERT_TRUE(g);
  const Ticket t = create();
  auto e = write([&](Tx& tx) {
    return escalate_ticket(tx, m_agent, {t.id, 3, "Needs a specialist", {}}, at(5));
  });
  ASSERT_TRUE(e);
  EXPECT_EQ(e->value.event.kind, EventKind::escalation);
  EXPECT_EQ(e->value.event.body, "Needs a specialist");
  auto back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->support_level, 3);
  EXPECT_EQ(back->group_id, g->value.group.id);
  auto again = write([&](Tx& tx) {
    return escalate_ticket(tx, m_agent, {t.id, 3, "again", {}}, at(6));
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::conflict);
}

TEST_P(Desk, ResolvingEnqueuesItsAutoCloseWhichTheDeskRunsLater) {
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2'000'000)));
  auto resolved = move(m_agent, t.id, TicketStatus::resolved, at(3'000'000));
  ASSERT_TRUE(resolved);
  // Its auto-close; the mail that tells the requester is kept held (this
  // desk has no address of its own: tests/unit/mail_intake_test.cpp has one).
  ASSERT_EQ(resolved->jobs.size(), 1u);
  const auto close = std::find_if(resolved->jobs.begin(), resolved->jobs.end(),
                                  [](const Job& j) { return j.kind == kAutoCloseJob; });
  ASSERT_NE(close, resolved->jobs.end());
  EXPECT_EQ(close->due_at, at(3'000'000) + 72h);
  ASSERT_TRUE(finish_mail(at(3'000'000)));
  EXPECT_EQ(run_due(at(3'000'000) + 71h), 0) << "not due yet";
  EXPECT_EQ(run_due(at(3'000'000) + 72h), 1);
  auto back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TicketStatus::closed);
  auto ev = events(t.id);
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back().kind, EventKind::status_change);
  EXPECT_EQ(ev.back().new_value, "closed");
  EXPECT_EQ(ev.back().actor_kind, ActorKind::system);
  EXPECT_FALSE(ev.back().actor_id);
  EXPECT_EQ(ev.back().actor_name, "auto_close");
  auto jobs = jobs_of_kind(kAutoCloseJob);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].status, JobStatus::done);
}

TEST_P(Desk, AReopenedTicketIsNotClosedByAnOldResolution) {
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(3)));
  ASSERT_TRUE(move(m_requester, t.id, TicketStatus::in_progress, at(4)));  // reopened
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(10'000)));    // resolved again
  EXPECT_EQ(jobs_of_kind(kAutoCloseJob).size(), 2u);
  EXPECT_EQ(run_due(at(3) + 72h), 1) << "the first job runs and does nothing";
  auto back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TicketStatus::resolved) << "the second resolution still stands";
  EXPECT_EQ(run_due(at(10'000) + 72h), 1);
  back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, TicketStatus::closed);
}

TEST_P(Desk, AutoCloseFollowsThePolicy) {
  auto p = write([&](Tx& tx) {
    return set_auto_close_policy(tx, Actor::system("test"), {true, 5h}, at(1));
  });
  ASSERT_TRUE(p);
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  auto r = move(m_agent, t.id, TicketStatus::resolved, at(3));
  ASSERT_TRUE(r);
  const auto close = std::find_if(r->jobs.begin(), r->jobs.end(),
                                  [](const Job& j) { return j.kind == kAutoCloseJob; });
  ASSERT_NE(close, r->jobs.end());
  EXPECT_EQ(close->due_at, at(3) + 5h);
  ASSERT_TRUE(write([&](Tx& tx) {
    return set_auto_close_policy(tx, Actor::system("test"), {false, 5h}, at(4));
  }));
  ASSERT_TRUE(move(m_requester, t.id, TicketStatus::in_progress, at(5)));
  auto again = move(m_agent, t.id, TicketStatus::resolved, at(6));
  ASSERT_TRUE(again);
  EXPECT_TRUE(std::none_of(again->jobs.begin(), again->jobs.end(), [](const Job& j) {
    return j.kind == kAutoCloseJob;
  })) << "auto-close is off";
  auto refused = write([&](Tx& tx) {
    return set_auto_close_policy(tx, m_agent, {true, 1h}, at(7));
  });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::forbidden);
}

TEST_P(Desk, AQueuedAutoCloseFollowsAPolicyChangedSinceItWasScheduled) {
  const Actor admin = Actor::system("test");
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(3)));  // due at +72 h
  ASSERT_TRUE(write([&](Tx& tx) { return set_auto_close_policy(tx, admin, {true, 100h}, at(4)); }));
  EXPECT_EQ(run_due(at(3) + 72h), 1) << "it runs, and looks again later";
  auto status = [&] {
    auto b = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
    return b ? b->status : TicketStatus::new_;
  };
  EXPECT_EQ(status(), TicketStatus::resolved);
  EXPECT_EQ(run_due(at(3) + 99h), 0);
  ASSERT_TRUE(write([&](Tx& tx) {
    return set_auto_close_policy(tx, admin, {false, 100h}, at(5));
  }));
  EXPECT_EQ(run_due(at(3) + 100h), 1);
  EXPECT_EQ(status(), TicketStatus::resolved) << "auto-close was turned off meanwhile";
  EXPECT_EQ(jobs_of_kind(kAutoCloseJob).size(), 2u);
}

TEST_P(Desk, AJobWhoseLeaseWentElsewhereChangesNothing) {
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(3)));
  const Instant due = at(3) + 72h;
  ASSERT_TRUE(finish_mail(at(3)));
  auto claimed = write(
      [&](Tx& tx) -> Result<std::vector<Job>> { return claim_jobs(tx, "node-a", due, 1s, 10); });
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  // node-a stalls past its lease; node-b takes the job over.
  auto taken = write([&](Tx& tx) -> Result<std::vector<Job>> {
    return claim_jobs(tx, "node-b", due + 2s, 60s, 10);
  });
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->size(), 1u);
  auto late = write([&](Tx& tx) -> Result<bool> {
    if (auto s = run_job(tx, job_handlers(), "node-a", (*claimed)[0], due + 3s); !s)
      return s.error();
    return true;
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().detail, kLeaseLost);
  std::size_t closings = 0;
  for (const auto& e : events(t.id)) closings += e.new_value == "closed";
  EXPECT_EQ(closings, 0u) << "the stale run rolled back";
  auto done = write([&](Tx& tx) -> Result<bool> {
    if (auto s = run_job(tx, job_handlers(), "node-b", (*taken)[0], due + 3s); !s) return s.error();
    return true;
  });
  ASSERT_TRUE(done);
  closings = 0;
  for (const auto& e : events(t.id)) closings += e.new_value == "closed";
  EXPECT_EQ(closings, 1u);
}

TEST_P(Desk, AJobOfAnUnknownKindFailsAndBacksOff) {
  auto id = write([&](Tx& tx) -> Result<std::optional<Id>> {
    JobSpec s;
    s.kind = "from.a.newer.version";
    s.due_at = at(1000);
    s.max_attempts = 2;
    return tx.jobs().enqueue(s, at(1000));
  });
  ASSERT_TRUE(id && *id);
  auto claimed = write(
      [&](Tx& tx) -> Result<std::vector<Job>> { return claim_jobs(tx, "n", at(1000), 60s, 10); });
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  auto r = write([&](Tx& tx) -> Result<bool> {
    if (auto s = run_job(tx, job_handlers(), "n", (*claimed)[0], at(1000)); !s) return s.error();
    return true;
  });
  ASSERT_FALSE(r);
  ASSERT_TRUE(write([&](Tx& tx) -> Result<bool> {
    if (auto s = record_job_failure(tx, "n", (*claimed)[0], r.error().cause, at(1000)); !s)
      return s.error();
    return true;
  }));
  auto j =
      m_store->read([&](Tx& tx) -> Result<std::optional<Job>> { return tx.jobs().find(**id); });
  ASSERT_TRUE(j && *j);
  EXPECT_EQ((*j)->status, JobStatus::queued);
  EXPECT_EQ((*j)->due_at, at(1000) + retry_delay(1));
  EXPECT_NE((*j)->last_error.find("from.a.newer.version"), std::string::npos) << (*j)->last_error;
}

TEST_P(Desk, TheDailyMaintenanceIsOneJobADayAndCleansUp) {
  ASSERT_TRUE(write([&](Tx& tx) -> Result<bool> {
    if (auto s = schedule_maintenance(tx, at(1000)); !s) return s.error();
    if (auto s = schedule_maintenance(tx, at(2000)); !s) return s.error();  // a second node
    return true;
  }));
  EXPECT_EQ(jobs_of_kind(kDailyMaintenanceJob).size(), 1u);
  EXPECT_EQ(jobs_of_kind(kSearchKeysJob).size(), 1u) << "the users' search keys, once";
  EXPECT_EQ(run_due(at(3000)), 2);
  auto all = jobs_of_kind(kDailyMaintenanceJob);
  ASSERT_EQ(all.size(), 2u) << "it scheduled tomorrow's";
  EXPECT_EQ(all[0].status, JobStatus::queued);
  EXPECT_EQ(all[0].due_at, Instant{std::chrono::days(1)} + 3h);
}

TEST_P(Desk, TheSystemActsAsTheDeskAndIsNamed) {
  const Ticket t = create();
  auto r = write([&](Tx& tx) {
    return comment_on_ticket(tx, Actor::system("mail_intake"),
                             {t.id, "Acuse automático", false, {}, {}}, at(9));
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(r->value.event.actor_kind, ActorKind::system);
  EXPECT_EQ(r->value.event.actor_name, "mail_intake");
  auto created = write([&](Tx& tx) {
    CreateTicket c;
    c.subject = "s";
    c.description = "d";
    return create_ticket(tx, Actor::system("mail_intake"), c, at(10));
  });
  ASSERT_FALSE(created) << "the desk opens tickets for someone";
}

TEST_P(Desk, CommandsAreCheckedWhateverTheirEntryPoint) {
  CreateTicket c;
  c.subject = std::string(300, 'x');
  c.description = "";
  auto r = write([&](Tx& tx) { return create_ticket(tx, m_requester, c, at(1)); });
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().fields.size(), 2u);
  EXPECT_EQ(r.error().fields[0].code, "too_long");
  EXPECT_EQ(r.error().fields[1].code, "required");
  CreateUser u;
  u.email = "tz@example.com";
  u.name = "TZ";
  u.timezone = "Mars/Olympus";
  auto bad = write([&](Tx& tx) { return create_user(tx, Actor::system("test"), u, at(1)); });
  ASSERT_FALSE(bad);
  ASSERT_EQ(bad.error().fields.size(), 1u);
  EXPECT_EQ(bad.error().fields[0].field, "timezone");
}

TEST_P(Desk, ARequesterAnsweringAResolvedTicketReopensItButNotAClosedOne) {
  const Ticket t = create();
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::in_progress, at(2)));
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(3)));
  auto c = write([&](Tx& tx) {
    return comment_on_ticket(tx, m_requester, {t.id, "Sigue fallando", false, {}, {}}, at(4));
  });
  ASSERT_TRUE(c);
  EXPECT_EQ(c->value.ticket.status, TicketStatus::in_progress);
  ASSERT_TRUE(move(m_agent, t.id, TicketStatus::resolved, at(5)));
  ASSERT_TRUE(move(m_requester, t.id, TicketStatus::closed, at(6)));
  auto late = write([&](Tx& tx) {
    return comment_on_ticket(tx, m_requester, {t.id, "Otra cosa", false, {}, {}}, at(7));
  });
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::conflict);
  CreateTicket f;
  f.subject = "Otra cosa";
  f.description = "Sobre la anterior";
  f.follow_up_of = t.id;
  auto follow = write([&](Tx& tx) { return create_ticket(tx, m_requester, f, at(8)); });
  ASSERT_TRUE(follow);
  EXPECT_EQ(follow->value.follow_up_of, t.id);
  EXPECT_EQ(events(t.id).back().field, "follow_up");
  const Actor stranger = Actor::user(add_user("s@example.com", Role::requester), Role::requester);
  auto theirs = write([&](Tx& tx) { return create_ticket(tx, stranger, f, at(9)); });
  ASSERT_FALSE(theirs) << "a follow-up of a ticket one cannot see";
}

TEST_P(Desk, AChangeNamingAnOldVersionChangesNothing) {
  const Ticket t = create();
  UpdateTicket u;
  u.ticket_id = t.id;
  u.subject = "Primero";
  u.if_version = t.version;
  auto first = write([&](Tx& tx) { return update_ticket(tx, m_agent, u, at(2)); });
  ASSERT_TRUE(first);
  EXPECT_EQ(first->value.version, t.version + 1);
  u.subject = "Segundo, sin haber visto el primero";
  auto second = write([&](Tx& tx) { return update_ticket(tx, m_agent, u, at(3)); });
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::precondition_failed);
  auto c = write([&](Tx& tx) {
    return comment_on_ticket(tx, m_agent, {t.id, "tarde", false, t.version, {}}, at(4));
  });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::precondition_failed);
  auto back = m_store->read([&](Tx& tx) { return get_ticket(tx, m_agent, t.id); });
  ASSERT_TRUE(back);
  EXPECT_EQ(back->subject, "Primero");
}

TEST_P(Desk, ReturnsAndRoutingByLevel) {
  const Actor admin = Actor::system("test");
  auto g1 = write([&](Tx& tx) {
    return save_group(tx, admin, {std::nullopt, "N1", 1, std::vector<Id>{m_agent.id}}, at(1));
  });
  auto g2 = write([&](Tx& tx) {
    return save_group(tx, admin, {std::nullopt, "N2", 2, std::vector<Id>{}}, at(1));
  });
  ASSERT_TRUE(g1 && g2);
  const Ticket t = create();  // critical x medium: level 2
  EXPECT_EQ(t.group_id, g2->value.group.id) << "routed to a group of its level";
  UpdateTicket take;
  take.ticket_id = t.id;
  take.assignee_id = std::optional<Id>(m_agent.id);
  ASSERT_TRUE(write([&](Tx& tx) { return update_ticket(tx, m_agent, take, at(2)); }));
  auto down = write([&](Tx& tx) {
    return escalate_ticket(tx, m_agent, {t.id, 1, "Es de primer nivel", {}}, at(3));
  });
  ASSERT_TRUE(down);
  EXPECT_EQ(down->value.event.kind, EventKind::level_return);
  EXPECT_EQ(down->value.ticket.assignee_id, m_agent.id) << "a member of the level-1 group stays";
  auto up = write([&](Tx& tx) {
    return escalate_ticket(tx, m_agent, {t.id, 2, "Necesita N2", {}}, at(4));
  });
  ASSERT_TRUE(up);
  EXPECT_EQ(up->value.event.kind, EventKind::escalation);
  EXPECT_FALSE(up->value.ticket.assignee_id) << "not a member of the level-2 group: cleared";
  EXPECT_EQ(up->value.ticket.status, TicketStatus::new_);
  auto assigned = move(m_agent, t.id, TicketStatus::assigned, at(5));
  ASSERT_FALSE(assigned) << "assigned needs an assignee";
  EXPECT_EQ(assigned.error().code, ErrorCode::conflict);
}

TEST_P(Desk, OwnPasswordNeedsTheCurrentOneAndOthersAreAudited) {
  const Id other = add_user("other@example.com", Role::requester);
  write([&](Tx& tx) -> Result<bool> {
    tx.sessions().insert("s-mine", {m_agent.id, "c", at(10'000'000)}, at(1));
    tx.sessions().insert("s-mine-2", {m_agent.id, "c", at(10'000'000)}, at(1));
    tx.sessions().insert("s-other", {other, "c", at(10'000'000)}, at(1));
    return true;
  });
  UpdateUser own;
  own.user_id = m_agent.id;
  own.password = PasswordHash{"h1"};
  auto refused = write([&](Tx& tx) { return update_user(tx, m_agent, own, at(2)); });
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().fields.at(0).field, "current_password");
  own.current_password_checked = true;
  own.keep_session = "s-mine";
  auto mine = write([&](Tx& tx) { return update_user(tx, m_agent, own, at(3)); });
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->value.ended_sessions, std::vector<std::string>{"s-mine-2"});
  UpdateUser theirs;
  theirs.user_id = other;
  theirs.password = PasswordHash{"h2"};
  auto set = write([&](Tx& tx) { return update_user(tx, m_agent, theirs, at(4)); });
  ASSERT_TRUE(set);
  EXPECT_TRUE(set->value.user.must_change_password);
  EXPECT_EQ(set->value.ended_sessions, std::vector<std::string>{"s-other"});
  auto audit = m_store->read(
      [&](Tx& tx) -> Result<std::vector<AuditEvent>> { return tx.audit().list_for_user(other); });
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].action, "user.password_set");
  EXPECT_EQ((*audit)[0].actor_id, m_agent.id);
}

TEST_P(Desk, EmailsAreNormalisedAndUniqueByTheirFold) {
  const Actor admin = Actor::system("test");
  CreateUser u;
  u.name = "Straße";
  u.email = "  STRASSE@Example.com ";
  u.role = Role::agent;
  auto first = write([&](Tx& tx) { return create_user(tx, admin, u, at(1)); });
  ASSERT_TRUE(first) << (first ? "" : first.error().detail);
  EXPECT_EQ(first->value.email, "strasse@example.com");
  u.email = "straße@example.com";
  auto twin = write([&](Tx& tx) { return create_user(tx, admin, u, at(1)); });
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().code, ErrorCode::conflict);
  EXPECT_EQ(twin.error().existing_id, first->value.id);
  u.email = std::string("ana") + "\xe2\x80\x8b" + "@example.com";  // a zero-width space
  auto hidden = write([&](Tx& tx) { return create_user(tx, admin, u, at(1)); });
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().fields.at(0).code, "invalid_text");
}

TEST_P(Desk, ASecondCallerWithTheSameNameAndPhoneIsAConflict) {
  const Actor admin = Actor::system("test");
  CreateUser c;
  c.name = "José Pérez";
  c.phone = "+52 55 1234 5678";
  auto first = write([&](Tx& tx) { return create_user(tx, admin, c, at(1)); });
  ASSERT_TRUE(first);
  c.name = "JOSE PEREZ";
  c.phone = "5512345678";
  c.phone = "+52 (55) 1234-5678";
  auto twin = write([&](Tx& tx) { return create_user(tx, admin, c, at(1)); });
  ASSERT_FALSE(twin);
  EXPECT_EQ(twin.error().existing_id, first->value.id);
  c.allow_duplicate = true;
  EXPECT_TRUE(write([&](Tx& tx) { return create_user(tx, admin, c, at(1)); }));
  store::UserQuery q;
  q.text = "jose perez";
  auto found = m_store->read([&](Tx& tx) { return list_users(tx, admin, q); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->items.size(), 2u);
  q.text = "55 1234 5678";
  found = m_store->read([&](Tx& tx) { return list_users(tx, admin, q); });
  ASSERT_TRUE(found);
  EXPECT_EQ(found->items.size(), 2u) << "by the phone's digits";
}

SD_STORE_SUITE(Desk);

}  // namespace
}  // namespace sd::desk
