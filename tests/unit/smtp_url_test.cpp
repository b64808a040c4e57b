// SERVICEDESK_SMTP_URL as an admin writes it: scheme, host and port checked,
// credentials decoded and taken out of the URL that libcurl is given.
#include <gtest/gtest.h>

#include <string>

#include "mail/smtp.hpp"

namespace sd::mail {
namespace {

TEST(SmtpUrl, ReadsWhatAdminsWrite) {
  struct Case {
    const char* text;
    const char* url;
    const char* username;
    const char* password;
  };
  const Case cases[] = {
      {"smtp://mail.example.com:587", "smtp://mail.example.com:587", "", ""},
      {"smtp://mail.example.com", "smtp://mail.example.com:25", "", ""},
      {"smtps://mail.example.com", "smtps://mail.example.com:465", "", ""},
      {"SMTPS://Mail.Example.com:2465/", "smtps://Mail.Example.com:2465", "", ""},
      {"smtp://127.0.0.1:2525", "smtp://127.0.0.1:2525", "", ""},
      {"smtp://[::1]:2525", "smtp://[::1]:2525", "", ""},
      {"smtp://desk:s3cret@mail.example.com:587", "smtp://mail.example.com:587", "desk", "s3cret"},
      // Percent-encoded credentials: an address as the user, reserved characters in the password.
      {"smtp://desk%40example.com:p%40ss%3Aw%2Fo%25rd@mail.example.com:587",
       "smtp://mail.example.com:587", "desk@example.com", "p@ss:w/o%rd"},
      {"smtp://desk@mail.example.com:587", "smtp://mail.example.com:587", "desk", ""},
      // A path names the EHLO domain.
      {"smtp://mail.example.com:587/desk.example.com",
       "smtp://mail.example.com:587/desk.example.com", "", ""},
  };
  for (const auto& c : cases) {
    auto s = parse_smtp_url(c.text);
    ASSERT_TRUE(s) << c.text << ": " << s.error().detail;
    EXPECT_EQ(s->url, c.url) << c.text;
    EXPECT_EQ(s->username, c.username) << c.text;
    EXPECT_EQ(s->password, c.password) << c.text;
    EXPECT_EQ(s->tls, SmtpSettings::Tls::opportunistic) << c.text;
    EXPECT_TRUE(s->verify_peer) << c.text;
  }
}

TEST(SmtpUrl, RefusesWhatCannotWork) {
  const char* cases[] = {
      "",
      "mail.example.com:587",
      "http://mail.example.com",
      "smtpx://mail.example.com",
      "imap://mail.example.com",
      "smtp:mail.example.com",
      "smtp://",
      "smtp://:587",
      "smtp://mail.example.com:0",
      "smtp://mail.example.com:65536",
      "smtp://mail.example.com:99999999999999999999",
      "smtp://mail.example.com:",
      "smtp://mail.example.com:25x",
      "smtp://mail exa.com:25",
      "smtp://mail.example.com:587/two/segments",
      "smtp://mail.example.com:587?tls=required",
      "smtp://mail.example.com:587#top",
      "smtp://:pass@mail.example.com:587",
  };
  for (const char* c : cases) {
    auto s = parse_smtp_url(c);
    ASSERT_FALSE(s) << c;
    EXPECT_EQ(s.error().code, ErrorCode::invalid_input) << c;
    EXPECT_TRUE(s.error().detail.starts_with("SMTP URL: ")) << c << ": " << s.error().detail;
  }
}

TEST(SmtpUrl, NeverTellsThePassword) {
  auto s = parse_smtp_url("ftp://desk:hunter2@mail.example.com");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().detail.find("hunter2"), std::string::npos);
  s = parse_smtp_url("smtp://desk:hunter2@mail.example.com:70000");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().detail.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace sd::mail
