#include "mail/intake.hpp"

#include "mail/mime.hpp"
#include "store/repo/mailboxes.hpp"

namespace sd::mail {
namespace {

Result<std::optional<Id>> mailbox_for(store::Store& store, const InboundMail* m,
                                      std::string_view named_address) {
  return store.read([&](store::Tx& tx) -> Result<std::optional<Id>> {
    if (!named_address.empty()) {
      auto box = tx.mailboxes().find_by_address(std::string(named_address));
      return box ? std::optional<Id>(box->id) : std::nullopt;
    }
    if (!m) return std::optional<Id>{};
    std::vector<std::string> candidates;
    for (const auto& [name, value] : m->headers)
      if (name.size() == 12 && strncasecmp(name.c_str(), "Delivered-To", 12) == 0)
        candidates.push_back(value);
    for (const auto& [name, value] : m->headers)
      if (name.size() == 13 && strncasecmp(name.c_str(), "X-Original-To", 13) == 0)
        candidates.push_back(value);
    for (const auto& a : m->to) candidates.push_back(a.address);
    for (const auto& a : m->cc) candidates.push_back(a.address);
    for (auto& c : candidates) {
      while (!c.empty() && (c.front() == ' ' || c.front() == '<')) c.erase(c.begin());
      while (!c.empty() && (c.back() == ' ' || c.back() == '>')) c.pop_back();
      if (auto box = tx.mailboxes().find_by_address(c)) return std::optional<Id>(box->id);
    }
    return std::optional<Id>{};
  });
}

}  // namespace

Result<InboundMessage> take_in(store::Store& store, const store::BlobStore& blobs,
                               std::string_view raw, std::optional<Id> mailbox_id,
                               std::string_view mailbox_address, const std::string& source,
                               Instant now) {
  desk::ReceivedMail m;
  m.raw = raw;
  m.parsed = parse_message(raw);
  if (!mailbox_id) {
    auto box = mailbox_for(store, m.parsed ? &*m.parsed : nullptr, mailbox_address);
    if (!box) return box.error();
    mailbox_id = *box;
  }
  m.mailbox_id = mailbox_id;
  m.source = source;
  auto run = [&]() {
    return store.write([&](store::Tx& tx) -> Result<InboundMessage> {
      auto o = desk::ingest_mail(tx, blobs, m, now);
      if (!o) return o.error();
      return o->value;
    });
  };
  auto r = run();
  if (!r && desk::refused_by_desk(r.error())) {
    // Nothing of the first attempt stayed: keep the message, as failed.
    const Error& e = r.error();
    m.failed_reason =
        "refused: " + e.detail +
        (e.fields.empty() ? "" : " (" + e.fields[0].field + ": " + e.fields[0].message + ")");
    r = run();
  }
  return r;
}

}  // namespace sd::mail
