// The pure rules of the email channel: automatic mail, ticket tags in
// subjects, clean subjects, the new text of a reply, HTML as text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/mail.hpp"
#include "domain/text.hpp"

namespace sd {
namespace {

InboundMail mail_from(std::string address, std::vector<MailHeader> headers = {}) {
  InboundMail m;
  m.from = MailAddress{"Someone", std::move(address)};
  m.headers = std::move(headers);
  return m;
}

TEST(MailHeaders, FirstMatchIgnoringCase) {
  const std::vector<MailHeader> h = {
      {"Subject", "one"}, {"X-Loop", "first"}, {"x-loop", "second"}, {"Empty", ""}};
  EXPECT_EQ(header_value(h, "X-Loop"), "first");
  EXPECT_EQ(header_value(h, "x-LOOP"), "first");
  EXPECT_EQ(header_value(h, "subject"), "one");
  EXPECT_EQ(header_value(h, "empty"), "") << "present but empty is not missing";
  EXPECT_EQ(header_value(h, "X-Loo"), std::nullopt);
  EXPECT_EQ(header_value(h, "X-Loops"), std::nullopt);
  EXPECT_EQ(header_value({}, "Subject"), std::nullopt);
}

TEST(MailAutomatic, ReasonsOneByOne) {
  struct Case {
    const char* what;
    std::string from;
    std::vector<MailHeader> headers;
    std::optional<std::string> reason;
  };
  const std::string desk = "help@desk.example.com";
  const Case cases[] = {
      {"a person", "ana@example.com", {{"Subject", "Printer"}}, std::nullopt},
      {"auto-submitted no", "ana@example.com", {{"Auto-Submitted", "no"}}, std::nullopt},
      {"auto-submitted NO", "ana@example.com", {{"auto-submitted", " NO "}}, std::nullopt},
      {"no with params", "ana@example.com", {{"Auto-Submitted", "no; foo=bar"}}, std::nullopt},
      {"no with comment", "ana@example.com", {{"Auto-Submitted", "no (person)"}}, std::nullopt},
      {"empty auto-submitted", "ana@example.com", {{"Auto-Submitted", "  "}}, std::nullopt},
      {"auto-replied", "ana@example.com", {{"Auto-Submitted", "auto-replied"}}, "auto_submitted"},
      {"auto-generated",
       "ana@example.com",
       {{"AUTO-SUBMITTED", "Auto-Generated"}},
       "auto_submitted"},
      {"auto-notified params",
       "ana@example.com",
       {{"Auto-Submitted", "auto-notified; owner-email=x@y"}},
       "auto_submitted"},
      {"unknown keyword", "ana@example.com", {{"Auto-Submitted", "yes"}}, "auto_submitted"},
      {"nope is not no", "ana@example.com", {{"Auto-Submitted", "nope"}}, "auto_submitted"},
      {"second auto-submitted",
       "ana@example.com",
       {{"Auto-Submitted", "no"}, {"Auto-Submitted", "auto-replied"}},
       "auto_submitted"},
      {"precedence bulk", "ana@example.com", {{"Precedence", "bulk"}}, "precedence"},
      {"precedence junk", "ana@example.com", {{"precedence", " JUNK "}}, "precedence"},
      {"precedence list", "ana@example.com", {{"Precedence", "List"}}, "precedence"},
      {"precedence first-class", "ana@example.com", {{"Precedence", "first-class"}}, std::nullopt},
      {"precedence urgent", "ana@example.com", {{"Precedence", "urgent"}}, std::nullopt},
      {"list headers alone",
       "ana@example.com",
       {{"List-Id", "<users.lists.example.com>"}, {"List-Unsubscribe", "<mailto:u@x>"}},
       std::nullopt},
      {"list headers with precedence",
       "ana@example.com",
       {{"List-Id", "<users.lists.example.com>"}, {"Precedence", "list"}},
       "precedence"},
      {"suppress all",
       "ana@example.com",
       {{"X-Auto-Response-Suppress", "All"}},
       "auto_response_suppress"},
      {"suppress dr oof",
       "ana@example.com",
       {{"x-auto-response-suppress", "DR, OOF, AutoReply"}},
       "auto_response_suppress"},
      {"suppress empty", "ana@example.com", {{"X-Auto-Response-Suppress", " "}}, std::nullopt},
      {"x-autoreply", "ana@example.com", {{"X-Autoreply", "yes"}}, "autoreply_header"},
      {"x-autorespond", "ana@example.com", {{"X-AutoRespond", ""}}, "autoreply_header"},
      {"x-autoresponse", "ana@example.com", {{"x-autoresponse", "1"}}, "autoreply_header"},
      {"x-autoreplied is not one", "ana@example.com", {{"X-Autoreplied", "1"}}, std::nullopt},
      {"x-loop naming the desk", "ana@example.com", {{"X-Loop", "help@desk.example.com"}}, "loop"},
      {"x-loop in other case",
       "ana@example.com",
       {{"X-Loop", "servicedesk <HELP@Desk.Example.COM>"}},
       "loop"},
      {"second x-loop names the desk",
       "ana@example.com",
       {{"X-Loop", "other@example.com"}, {"X-Loop", desk}},
       "loop"},
      {"x-loop of someone else",
       "ana@example.com",
       {{"X-Loop", "other@example.com"}},
       std::nullopt},
      {"mailer-daemon", "MAILER-DAEMON@mx.example.com", {}, "mailer_daemon"},
      {"mailer-daemon lower", "mailer-daemon@example.com", {}, "mailer_daemon"},
      {"postmaster", "Postmaster@example.com", {}, "mailer_daemon"},
      {"bare mailer-daemon", "MAILER-DAEMON", {}, "mailer_daemon"},
      {"postmaster elsewhere in the address", "ana.postmaster@example.com", {}, std::nullopt},
      {"postmaster as the domain", "ana@postmaster.example.com", {}, std::nullopt},
      {"empty return path", "ana@example.com", {{"Return-Path", "<>"}}, "mailer_daemon"},
      {"empty return path spaced", "ana@example.com", {{"return-path", " < > "}}, "mailer_daemon"},
      {"return path of a person",
       "ana@example.com",
       {{"Return-Path", "<ana@example.com>"}},
       std::nullopt},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(automatic_reason(mail_from(c.from, c.headers), desk), c.reason) << c.what;
  }
}

TEST(MailAutomatic, SubjectAloneIsNotEnough) {
  for (const char* subject : {"Out of office", "Automatic reply: Printer", "Auto: away",
                              "Respuesta automática: fuera de la oficina", "Undeliverable: x"}) {
    auto m = mail_from("ana@example.com", {{"Subject", subject}});
    m.subject = subject;
    EXPECT_EQ(automatic_reason(m, "help@desk.example.com"), std::nullopt) << subject;
  }
}

TEST(MailAutomatic, DeliveryReportAndMissingSender) {
  InboundMail bounce;
  bounce.delivery_report = true;
  EXPECT_EQ(automatic_reason(bounce, "help@desk.example.com"), "delivery_report");
  InboundMail nobody;  // no From at all: nothing says it is automatic
  EXPECT_EQ(automatic_reason(nobody, "help@desk.example.com"), std::nullopt);
}

TEST(MailAutomatic, XLoopNeedsTheDeskAddress) {
  const auto m = mail_from("ana@example.com", {{"X-Loop", "help@desk.example.com"}});
  EXPECT_EQ(automatic_reason(m, ""), std::nullopt) << "an X-Loop names a desk, not just any";
  EXPECT_EQ(automatic_reason(m, "  "), std::nullopt);
  EXPECT_EQ(automatic_reason(m, "other@desk.example.com"), std::nullopt);
}

TEST(MailAutomatic, FirstReasonInOrderWins) {
  // Each step adds the reason that comes before the previous one.
  std::vector<MailHeader> h = {{"X-Autoreply", "yes"}};
  auto reason = [&](std::string from, bool report) {
    auto m = mail_from(std::move(from), h);
    m.delivery_report = report;
    return automatic_reason(m, "help@desk.example.com");
  };
  EXPECT_EQ(reason("ana@example.com", false), "autoreply_header");
  h.push_back({"X-Auto-Response-Suppress", "All"});
  EXPECT_EQ(reason("ana@example.com", false), "auto_response_suppress");
  h.push_back({"Precedence", "bulk"});
  EXPECT_EQ(reason("ana@example.com", false), "precedence");
  h.push_back({"Auto-Submitted", "auto-replied"});
  EXPECT_EQ(reason("ana@example.com", false), "auto_submitted");
  h.push_back({"X-Loop", "help@desk.example.com"});
  EXPECT_EQ(reason("ana@example.com", false), "loop");
  EXPECT_EQ(reason("mailer-daemon@example.com", false), "mailer_daemon");
  EXPECT_EQ(reason("mailer-daemon@example.com", true), "delivery_report");
}

TEST(MailTags, FormatAndFind) {
  EXPECT_EQ(ticket_tag(123), "[SD-000123]");
  EXPECT_EQ(ticket_tag(1234567), "[SD-1234567]");
  struct Case {
    const char* subject;
    std::optional<Id> id;
  };
  const Case cases[] = {
      {"[SD-000123]", 123},
      {"[sd-123]", 123},
      {"[Sd-0123]", 123},
      {"Re: Fwd: [SD-000123] Printer", 123},
      {"Printer out of toner [SD-000042]", 42},
      {"x[SD-7]y", 7},
      {"[SD-1000000000000]", 1'000'000'000'000},  // 10^12 is the last one
      {"[SD-00000000000000000000000000000009]", 9},
      {"[SD-1000000000001]", std::nullopt},
      {"[SD-99999999999999999999999]", std::nullopt},
      {"[SD-0]", std::nullopt},
      {"[SD-000000]", std::nullopt},
      {"[SD-]", std::nullopt},
      {"[SD-12a]", std::nullopt},
      {"[SD-12", std::nullopt},
      {"[SD-+12]", std::nullopt},
      {"[SD--12]", std::nullopt},
      {"[SD- 12]", std::nullopt},
      {"[ SD-12]", std::nullopt},
      {"SD-000123", std::nullopt},
      {"(SD-000123)", std::nullopt},
      {"[XX-000123]", std::nullopt},
      {"[SD000123]", std::nullopt},
      {"", std::nullopt},
      {"[", std::nullopt},
      // The first well-formed one, after broken ones.
      {"[SD-] [SD-12a] [SD-0] [SD-77] [SD-88]", 77},
      {"[SD-[SD-5]]", 5},
      {"[SD-9] then [SD-10]", 9},
  };
  for (const auto& c : cases) EXPECT_EQ(find_ticket_tag(c.subject), c.id) << c.subject;
  for (Id id : {Id{1}, Id{123}, Id{999999}, Id{1234567}, Id{1'000'000'000'000}})
    EXPECT_EQ(find_ticket_tag("Re: " + ticket_tag(id) + " x"), id) << id;
}

TEST(MailSubjects, Clean) {
  struct Case {
    const char* subject;
    const char* clean;
  };
  const Case cases[] = {
      {"Printer out of toner", "Printer out of toner"},
      {"  Printer   out of\ttoner  ", "Printer out of toner"},
      {"Re: Printer", "Printer"},
      {"RE: RE: Printer", "Printer"},
      {"re:Printer", "Printer"},
      {"Re : Printer", "Printer"},
      {"Fw: Printer", "Printer"},
      {"FW: Printer", "Printer"},
      {"Fwd: Re: Fwd: Printer", "Printer"},
      {"AW: WG: Drucker", "Drucker"},
      {"RV: RE: Impresora", "Impresora"},
      {"RES: Impressora", "Impressora"},
      {"TR: Imprimante", "Imprimante"},
      {"SV: VS: Skrivare", "Skrivare"},
      {"Antw: Printer", "Printer"},
      {"Re[2]: Printer", "Printer"},
      {"RE(3): Printer", "Printer"},
      {"Re\xEF\xBC\x9A Printer", "Printer"},  // full-width colon
      {"[SD-000123] Printer", "Printer"},
      {"Re: [SD-000123] Printer", "Printer"},
      {"Re: [sd-123] Re: Printer", "Printer"},
      {"Printer [SD-000123]", "Printer"},
      {"Printer [SD-000123] jammed", "Printer jammed"},
      {"Printer[SD-000123]jammed", "Printer jammed"},
      {"[SD-1] Re: [SD-2] Printer [SD-3]", "Printer"},
      {"Re: Printer: Re: paper", "Printer: Re: paper"},  // only leading prefixes
      {"Reboot needed", "Reboot needed"},
      {"Regarding: the printer", "Regarding: the printer"},
      {"Fwding: x", "Fwding: x"},
      {"Re2: x", "Re2: x"},
      {"Re[]: x", "Re[]: x"},
      {"Request for access", "Request for access"},
      {"TRe: x", "TRe: x"},
      {"Re:", "Re:"},
      {"RE: FW:", "RE: FW:"},
      {"Re: [SD-000123]", "Re:"},
      {"[SD-000123]", ""},
      {"  [SD-1]  [SD-2] ", ""},
      {"", ""},
      {"   ", ""},
      {"[SD-] broken tag stays", "[SD-] broken tag stays"},
      {"Re: Conexión inalámbrica", "Conexión inalámbrica"},
  };
  for (const auto& c : cases) EXPECT_EQ(clean_subject(c.subject), c.clean) << c.subject;
}

TEST(MailReplies, TrimsQuotedHistoryAndSignatures) {
  struct Case {
    const char* what;
    std::string text;
    std::string reply;
  };
  const Case cases[] = {
      {"plain text stays", "Hello\nIt works now.", "Hello\nIt works now."},
      {"gmail", "Thanks, fixed.\n\nOn Mon, 1 Dec 2026 at 10:00, Ana <a@b.com> wrote:\n> Try it\n",
       "Thanks, fixed."},
      {"gmail wrapped",
       "Thanks.\n\nOn Mon, 1 Dec 2026 at 10:00, Ana Maria Lopez Fernandez <\nana@example.com> "
       "wrote:\n\n> Try it\n> again\n",
       "Thanks."},
      {"gmail without quotes below", "Done.\nOn Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\nold",
       "Done."},
      {"spanish gmail",
       "Gracias.\n\nEl lun, 1 dic 2026 a las 10:00, Ana (<a@b.com>) escribió:\n> Pruebe\n",
       "Gracias."},
      {"spanish wrapped",
       "Listo.\nEl lun, 1 dic 2026 a las 10:00, Ana María López (<\nana@example.com>) "
       "escribió:\n> Pruebe\n",
       "Listo."},
      {"french", "Merci.\nLe lun. 1 déc. 2026 à 10:00, Ana <a@b> a écrit :\n> Essayez\n", "Merci."},
      {"german", "Danke.\nAm Mo., 1. Dez. 2026 um 10:00 Uhr schrieb Ana <a@b>:\n> Versuch\n",
       "Danke."},
      {"outlook original message",
       "Works now.\n\n-----Original Message-----\nFrom: Desk\nSent: Monday\n\nOld text\n",
       "Works now."},
      {"outlook spanish original message",
       "Ya funciona.\n-----Mensaje original-----\nDe: Mesa\nAsunto: x\n", "Ya funciona."},
      {"outlook header block",
       "Done, thanks.\n\nFrom: Service Desk <help@desk.example.com>\nSent: Monday, December 1, "
       "2026 10:00 AM\nTo: Ana\nSubject: [SD-000123] Printer\n\nWe fixed it.\n",
       "Done, thanks."},
      {"outlook header block with rule",
       "Done.\n\n________________________________\nFrom: Desk\nSent: Monday\nTo: Ana\n\nOld\n",
       "Done."},
      {"outlook bold header block", "Done.\n*From:* Desk\n*Sent:* Monday\n", "Done."},
      {"spanish header block",
       "Hecho.\n\nDe: Mesa de ayuda <help@desk.example.com>\nEnviado: lunes, 1 de diciembre\nPara: "
       "Ana\nAsunto: Impresora\n\nViejo\n",
       "Hecho."},
      {"header block with date three lines below",
       "Ok.\nFrom: Desk\nTo: Ana\nCc: Luis\nDate: Monday\nOld", "Ok."},
      {"header block with fecha", "Ok.\nDe: Mesa\nFecha: lunes\nOld", "Ok."},
      {"from without sent is text", "From: the accounting floor\nTo: the printer\nIt jams.",
       "From: the accounting floor\nTo: the printer\nIt jams."},
      {"from with sent too far below", "Ok.\nFrom: Desk\nTo: Ana\nCc: Luis\nBcc: x\nSent: Monday",
       "Ok.\nFrom: Desk\nTo: Ana\nCc: Luis\nBcc: x\nSent: Monday"},
      {"trailing quote block", "I agree.\n\n> You said\n> this\n>\n", "I agree."},
      {"trailing quote block indented", "I agree.\n  > You said\n", "I agree."},
      {"inline reply keeps its quotes",
       "> Is it on?\nYes.\n> Is it plugged in?\nAlso yes.\n> Anything else?\n> Bye\n",
       "> Is it on?\nYes.\n> Is it plugged in?\nAlso yes."},
      {"inline reply after an attribution",
       "See below.\nOn Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\n> Is it on?\nYes.\n> Bye\n",
       "See below.\nOn Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\n> Is it on?\nYes."},
      {"signature", "Fixed.\n-- \nAna Lopez\nIT", "Fixed."},
      {"signature without space", "Fixed.\n--\nAna Lopez", "Fixed."},
      {"signature before quotes",
       "Fixed.\n\n-- \nAna\n\nOn Mon, 1 Dec 2026 at 10:00, Desk <h@d> wrote:\n> x\n", "Fixed."},
      {"dashes inside text stay", "a -- b\n--- not a delimiter\n---",
       "a -- b\n--- not a delimiter\n---"},
      {"iphone", "Ok\n\nSent from my iPhone\n\n> On 1 Dec 2026, at 10:00, Desk wrote:\n> x", "Ok"},
      {"spanish iphone", "Vale\n\nEnviado desde mi iPhone", "Vale"},
      {"spanish android", "Vale\nEnviado desde mi Android", "Vale"},
      {"samsung", "Ok\nSent from my Samsung Galaxy smartphone.", "Ok"},
      {"outlook mobile", "Ok\n\nGet Outlook for iOS\n", "Ok"},
      {"outlook mobile android", "Ok\nGet Outlook for Android", "Ok"},
      {"a long sentence is not an app signature",
       "Sent from my laptop yesterday evening, the report never reached the shared printer on "
       "floor 3.",
       "Sent from my laptop yesterday evening, the report never reached the shared printer on "
       "floor 3."},
      {"on without a date is text", "On the other hand, she wrote:\nit is fine",
       "On the other hand, she wrote:\nit is fine"},
      {"leading and trailing blank lines", "\n\n  Hello\n\n\n", "  Hello"},
      {"crlf gmail", "Thanks.\r\n\r\nOn Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\r\n> x\r\n",
       "Thanks."},
      {"crlf kept inside", "Line one\r\nLine two\r\n\r\n-- \r\nsig\r\n", "Line one\r\nLine two"},
      {"crlf outlook", "Ok\r\nFrom: Desk\r\nSent: Monday\r\n", "Ok"},
      {"crlf quote block", "Yes\r\n> q\r\n> q\r\n", "Yes"},
      {"quoted attribution inside a quote block",
       "Top\n> On Mon, 1 Dec 2026 at 10:00, Ana wrote:\n> > x\n", "Top"},
  };
  for (const auto& c : cases) EXPECT_EQ(trim_reply(c.text), c.reply) << c.what;
}

TEST(MailReplies, NeverEmptyWhenThereIsText) {
  struct Case {
    std::string text;
    std::string reply;
  };
  const Case cases[] = {
      {"> only a quote\n> here\n", "> only a quote\n> here"},
      {"On Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\n> x\n",
       "On Mon, 1 Dec 2026 at 10:00, Ana <a@b> wrote:\n> x"},
      {"-- \nAna\n", "-- \nAna"},
      {"\n\nSent from my iPhone\n\n", "Sent from my iPhone"},
      {"-----Original Message-----\nFrom: x\nSent: y\n\nforwarded body",
       "-----Original Message-----\nFrom: x\nSent: y\n\nforwarded body"},
      {"   ", ""},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(trim_reply(c.text), c.reply) << c.text;
}

TEST(MailHtml, TextAndStructure) {
  struct Case {
    const char* what;
    std::string html;
    std::string text;
  };
  const Case cases[] = {
      {"plain", "Hello", "Hello"},
      {"whitespace collapses", "  Hello \n\n   world\t! ", "Hello world !"},
      {"inline tags", "<b>Bold</b> and <i>it</i>alic", "Bold and italic"},
      {"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
      {"divs", "<div>One</div><div>Two</div>", "One\nTwo"},
      {"br", "One<br>Two<br/>Three<BR />Four", "One\nTwo\nThree\nFour"},
      {"br twice is one blank line", "One<br><br>Two", "One\n\nTwo"},
      {"many brs are still one blank line", "One<br><br><br><br><br>Two", "One\n\nTwo"},
      {"empty paragraphs", "<p>One</p><p></p><p>&nbsp;</p><p></p><p>Two</p>", "One\n\nTwo"},
      {"headings", "<h1>Title</h1>Body<h2>Sub</h2>", "Title\n\nBody\n\nSub"},
      {"list", "<ul><li>One</li><li>Two</li></ul>", "- One\n- Two"},
      {"ordered list", "Steps:<ol><li>Plug</li><li>Press</li></ol>Done",
       "Steps:\n\n- Plug\n- Press\n\nDone"},
      {"unclosed items", "<ul><li>One<li>Two</ul>", "- One\n- Two"},
      {"nested list", "<ul><li>A<ul><li>B</li></ul></li><li>C</li></ul>", "- A\n  - B\n- C"},
      {"item with spaces", "<li>   spaced   </li>", "- spaced"},
      {"table", "<table><tr><td>Name</td><td>Ana</td></tr><tr><td>Tel</td><td>5</td></tr></table>",
       "Name Ana\nTel 5"},
      {"upper case tags", "<P>One</P><DIV>Two</DIV>", "One\n\nTwo"},
      {"attributes with >", "<p title=\"a > b\" class='x'>Text</p>", "Text"},
      {"less than in text", "a < b and c <3", "a < b and c <3"},
      {"stray end tags", "</p></div>Text</span>", "Text"},
      {"pre keeps whitespace", "<pre>\n  a  b\n\n  c\n</pre>after", "  a  b\n\n  c\n\nafter"},
      {"pre with crlf", "<pre>x\r\n  y</pre>", "x\n  y"},
      {"text around pre", "Look:<pre>code  here</pre>Bye", "Look:\n\ncode  here\n\nBye"},
      {"nbsp does not collapse", "a&nbsp;&nbsp;b", "a  b"},
      {"raw nbsp",
       "a\xC2\xA0\xC2\xA0"
       "b",
       "a  b"},
      {"control bytes dropped",
       std::string("a\x01\x00"
                   "b",
                   4),
       "ab"},
  };
  for (const auto& c : cases) EXPECT_EQ(html_to_text(c.html), c.text) << c.what;
}

TEST(MailHtml, DropsWhatIsNotShown) {
  struct Case {
    const char* what;
    std::string html;
    std::string text;
  };
  const Case cases[] = {
      {"script", "a<script>alert('<b>x</b>')</script>b", "ab"},
      {"script with a fake end", "a<script>var s='</scrip'; </scriptx></script>b", "ab"},
      {"script end in other case", "a<SCRIPT type=x>1 < 2</ScRiPt >b", "ab"},
      {"unterminated script", "a<script>alert(1)", "a"},
      {"style", "<style>p { color: red }</style>Text", "Text"},
      {"title", "<title>Subject</title>Text", "Text"},
      {"head",
       "<html><head><meta charset=utf-8><title>T</title><style>x{}</style></head>"
       "<body>Body</body></html>",
       "Body"},
      {"head ends with body", "<head><meta x>junk<body>Body", "Body"},
      {"comment", "a<!-- hidden <b>x</b> -->b", "ab"},
      {"outlook conditional comment", "<!--[if mso]><xml><o:x>1</o:x></xml><![endif]-->Hi", "Hi"},
      {"empty comments", "a<!---->b<!-->c<!--->d", "abcd"},
      {"unterminated comment", "a<!-- never closed <p>x", "a"},
      {"doctype", "<!DOCTYPE html>Text", "Text"},
      {"processing instruction", "<?xml version=\"1.0\"?>Text", "Text"},
      {"cut-off tag", "Text<a href=\"x", "Text"},
      {"cut-off tag without quotes", "Text<p class=x", "Text"},
  };
  for (const auto& c : cases) EXPECT_EQ(html_to_text(c.html), c.text) << c.what;
}

TEST(MailHtml, Entities) {
  struct Case {
    std::string html;
    std::string text;
  };
  const Case cases[] = {
      {"&amp; &lt; &gt; &quot; &apos;", "& < > \" '"},
      {"&AMP; &LT; &GT; &QUOT; &COPY; &REG;", "& < > \" © ®"},
      {"&copy; &reg; &hellip; &mdash; &ndash; &laquo;x&raquo; &euro;", "© ® … — – «x» €"},
      {"&iexcl;Hola! &iquest;Qu&eacute;?", "¡Hola! ¿Qué?"},
      {"&aacute;&eacute;&iacute;&oacute;&uacute;&ntilde;&uuml;", "áéíóúñü"},
      {"&Aacute;&Eacute;&Iacute;&Oacute;&Uacute;&Ntilde;&Uuml;", "ÁÉÍÓÚÑÜ"},
      {"&#65;&#066;&#x43;&#X44;&#x1F600;", "ABCD😀"},
      {"&#65 &#x42 x", "A B x"},  // without ';'
      {"&#0;|&#xD800;|&#x110000;|&#99999999999999;|&#1;",
       "\xEF\xBF\xBD|\xEF\xBF\xBD|"
       "\xEF\xBF\xBD|\xEF\xBF\xBD|"
       "\xEF\xBF\xBD"},
      {"&#150; &#8211; &#146;", "– – ’"},  // windows-1252, as browsers read it
      {"&#129;", "\xEF\xBF\xBD"},
      {"a&#10;&#32;&#9;b", "a b"},  // decoded whitespace collapses too
      {"AT&T & co", "AT&T & co"},
      {"&unknown; &; &# &#x; &#xZ", "&unknown; &; &# &#x; &#xZ"},
      {"&amp &lt;", "& <"},  // legacy names without ';'
      {"&ampx &amp=1", "&ampx &amp=1"},
      {"&Eacute", "&Eacute"},  // only the legacy few go without ';'
      {"&amp;amp;", "&amp;"},  // decoded once
      {"&lt;script&gt;alert(1)&lt;/script&gt;", "<script>alert(1)</script>"},
  };
  for (const auto& c : cases) EXPECT_EQ(html_to_text(c.html), c.text) << c.html;
}

TEST(MailHtml, Links) {
  struct Case {
    std::string html;
    std::string text;
  };
  const Case cases[] = {
      {"<a href=\"https://example.com/x\">the page</a>", "the page (https://example.com/x)"},
      {"see <a href='http://example.com'>here</a> now", "see here (http://example.com) now"},
      {"<a href=https://example.com/?a=1&amp;b=2>q</a>", "q (https://example.com/?a=1&b=2)"},
      {"<A HREF=\"HTTPS://EXAMPLE.COM\">x</A>", "x (HTTPS://EXAMPLE.COM)"},
      {"<a href=\"mailto:help@desk.example.com\">write to us</a>",
       "write to us (mailto:help@desk.example.com)"},
      {"<a href=\"https://example.com\">https://example.com</a>", "https://example.com"},
      {"<a href=\"https://example.com/\">example.com</a>", "example.com"},
      {"<a href=\"mailto:ana@example.com\">ana@example.com</a>", "ana@example.com"},
      {"<a href=\"https://example.com\"><img src=logo.png></a>", "https://example.com"},
      {"<a href=\"javascript:alert(1)\">click</a>", "click"},
      {"<a href=\"  JavaScript:alert(1)\">click</a>", "click"},
      {"<a href=\"data:text/html,x\">click</a>", "click"},
      {"<a href=\"/relative\">click</a>", "click"},
      {"<a href=\"#top\">top</a>", "top"},
      {"<a name=\"x\">anchor</a>", "anchor"},
      {"<a href=\"https://\">empty</a>", "empty"},
      {"<a href=\" https://example.com/a\n b \">spaced</a>", "spaced (https://example.com/a b)"},
      {"<a href=\"https://a.example\">one<a href=\"https://b.example\">two</a>",
       "one (https://a.example)two (https://b.example)"},
      {"<a href=\"https://example.com\">unclosed", "unclosed (https://example.com)"},
      {"<p><a href=\"https://example.com\"><b>Bold</b> link</a></p>next",
       "Bold link (https://example.com)\n\nnext"},
  };
  for (const auto& c : cases) EXPECT_EQ(html_to_text(c.html), c.text) << c.html;
}

TEST(MailHtml, RepairsBadUtf8) {
  struct Case {
    std::string html;
    std::string text;
  };
  const Case cases[] = {
      {"caf\xE9", "caf\xEF\xBF\xBD"},  // latin-1 é
      {"a\xFF"
       "b",
       "a\xEF\xBF\xBD"
       "b"},
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},  // overlong
      {"x\xED\xA0\x80y", "x\xEF\xBF\xBDy"},      // surrogate
      {"trunc\xE2\x82", "trunc\xEF\xBF\xBD"},
      {"<p title=\"\xFF\">ok\xF4\x90\x80\x80</p>", "ok\xEF\xBF\xBD"},
      {"Conexión ✓ 😀", "Conexión ✓ 😀"},
  };
  for (const auto& c : cases) {
    const auto text = html_to_text(c.html);
    EXPECT_EQ(text, c.text) << c.html;
    EXPECT_TRUE(is_valid_utf8(text)) << c.html;
  }
}

TEST(MailHtml, AtMostOneBlankLineAndNoEdges) {
  const auto text = html_to_text(
      "<div><p>\n</p></div><br><br><p>A</p>\n\n<div></div><br><br><br><pre>\n\n\n\nB\n\n\n</pre>"
      "<p> </p><br>");
  EXPECT_EQ(text, "A\n\nB");
  EXPECT_EQ(html_to_text(""), "");
  EXPECT_EQ(html_to_text("<p></p><br><div> </div>"), "");
}

// Large and hostile input: each of these is about 5 MB and would take hours
// if a step were quadratic; the suite's timeout is the check.
TEST(MailHtml, LargeHostileInputStaysLinear) {
  const std::size_t big = 5 * 1024 * 1024;
  auto repeat = [&](std::string_view piece) {
    std::string s;
    s.reserve(big + piece.size());
    while (s.size() < big) s += piece;
    return s;
  };
  EXPECT_EQ(html_to_text(repeat("<")), repeat("<"));
  EXPECT_EQ(html_to_text("ok" + repeat("<!--")), "ok");
  EXPECT_EQ(html_to_text("ok" + repeat("<script>")), "ok");
  EXPECT_EQ(html_to_text("ok<script>" + repeat("</scrip")), "ok");
  EXPECT_EQ(html_to_text("ok" + repeat("<a href=\"")), "ok");
  EXPECT_EQ(html_to_text("ok" + repeat("<a x")), "ok");
  EXPECT_EQ(html_to_text("ok" + repeat("<!")), "ok");
  EXPECT_FALSE(html_to_text(repeat("&amp")).empty());
  EXPECT_FALSE(html_to_text(repeat("&#")).empty());
  EXPECT_EQ(html_to_text("&#" + repeat("9") + ";"), "\xEF\xBF\xBD");
  EXPECT_EQ(html_to_text("&" + repeat("a")).size(), big + 1);
  const auto paragraphs = html_to_text(repeat("<p>x</p><br>  \n"));
  EXPECT_EQ(paragraphs.substr(0, 6), "x\n\nx\n\n");
  const auto links = html_to_text(repeat("<a href=\"https://e.x\">y</a> "));
  EXPECT_EQ(links.substr(0, 34), "y (https://e.x) y (https://e.x) y ");
  EXPECT_TRUE(is_valid_utf8(html_to_text(repeat("\xFF<b>\xC3"))));
  EXPECT_FALSE(trim_reply(repeat("> q\nOn 1 wrote:\n")).empty());
  EXPECT_EQ(clean_subject(repeat("Re: ")), repeat("Re: ").substr(0, big - 1));
  EXPECT_EQ(find_ticket_tag(repeat("[SD-") + "[SD-1]"), 1);
}

}  // namespace
}  // namespace sd
