// servicedesk: the one binary. Subcommands serve, migrate, demo, user, token
// and version; configuration by flags or environment (see README.md).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "api/live.hpp"
#include "api/router.hpp"
#include "app/demo.hpp"
#include "app/system_clock.hpp"
#include "auth/crypto.hpp"
#include "desk/directory.hpp"
#include "desk/jobs.hpp"
#include "desk/sessions.hpp"
#include "desk/settings.hpp"
#include "domain/text.hpp"
#include "http/server.hpp"
#include "jobs/runner.hpp"
#include "mail/intake.hpp"
#include "mail/jobs.hpp"
#include "mail/mime.hpp"
#include "mail/smtp.hpp"
#include "store/migrations.hpp"
#include "store/repo/users.hpp"
#include "store/store.hpp"

namespace {

using namespace sd;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

struct Options {
  std::string db = env_or("SERVICEDESK_DB", "var/servicedesk.db");
  std::string listen = env_or("SERVICEDESK_LISTEN", "127.0.0.1:8080");
  std::string web_root = env_or("SERVICEDESK_WEB_ROOT", "web/dist");
  std::string log_level = env_or("SERVICEDESK_LOG_LEVEL", "info");
  // 0: as many as suit the store (write_workers below).
  int workers = std::atoi(env_or("SERVICEDESK_WORKERS", "0").c_str());
  int read_workers = std::atoi(env_or("SERVICEDESK_READ_WORKERS", "4").c_str());
  int io_threads = std::atoi(env_or("SERVICEDESK_IO_THREADS", "2").c_str());
  int max_connections = std::atoi(env_or("SERVICEDESK_MAX_CONNECTIONS", "10000").c_str());
  int max_connections_per_address =
      std::atoi(env_or("SERVICEDESK_MAX_CONNECTIONS_PER_ADDRESS", "256").c_str());
  long jobs_poll_ms = std::atol(env_or("SERVICEDESK_JOBS_POLL_MS", "1000").c_str());
  long jobs_lease_ms = std::atol(env_or("SERVICEDESK_JOBS_LEASE_MS", "60000").c_str());
  long long clock_offset_ms = std::atoll(env_or("SERVICEDESK_CLOCK_OFFSET_MS", "0").c_str());
  std::string trusted_proxies = env_or("SERVICEDESK_TRUSTED_PROXIES", "");
  std::string public_url = env_or("SERVICEDESK_PUBLIC_URL", "");
  std::string secure_cookies = env_or("SERVICEDESK_SECURE_COOKIES", "auto");
  long cache_kib = std::atol(env_or("SERVICEDESK_SQLITE_CACHE_KIB", "16384").c_str());
  long writer_cache_kib = std::atol(env_or("SERVICEDESK_SQLITE_WRITER_CACHE_KIB", "65536").c_str());
  long long mmap_mib = std::atoll(env_or("SERVICEDESK_SQLITE_MMAP_MIB", "0").c_str());
  // The email channel (README.md, "Mail").
  std::string smtp_url = env_or("SERVICEDESK_SMTP_URL", "");
  std::string smtp_tls = env_or("SERVICEDESK_SMTP_TLS", "opportunistic");
  std::string smtp_verify = env_or("SERVICEDESK_SMTP_VERIFY_PEER", "on");
  std::string mail_from = env_or("SERVICEDESK_MAIL_FROM", "");
  std::string mail_from_name = env_or("SERVICEDESK_MAIL_FROM_NAME", "Mesa de Servicio");
  long imap_poll_seconds = std::atol(env_or("SERVICEDESK_IMAP_POLL_SECONDS", "60").c_str());
  std::string files_dir = env_or("SERVICEDESK_FILES_DIR", "");
  std::string mailbox;  // mail-ingest --mailbox
  long demo_tickets = 300;
  long demo_articles = 0;
  bool print_logins = false;
  std::string email, name, role, token_name = "cli";
  bool password_stdin = false;
};

app::SystemClock clock_of(const Options& o) {
  return app::SystemClock(Duration(o.clock_offset_ms));
}

bool on_postgres(const Options& o) { return o.db.starts_with("postgres"); }

// Threads for writing requests, each of which waits for its commit. On
// SQLite a group commit holds every write waiting for the one writer, so the
// more of them wait, the fewer commits (and pages of each index written) a
// create costs: with 64 clients creating, 32 threads made commits of about
// 12 creates, 64 of about 20 (bench/RESULTS.md, stop 22). On PostgreSQL each
// holds a pooled connection of its own.
int write_workers(const Options& o) {
  if (o.workers > 0) return o.workers;
  return on_postgres(o) ? 32 : 64;
}

std::unique_ptr<store::Store> open(const Options& o) {
  store::StoreOptions so;
  so.url = o.db;
  // On PostgreSQL writes take pooled connections too; on SQLite they go to
  // its one writer, and readers are the GET workers plus a few for the
  // reads of writing requests, the live hub and the jobs runner (each
  // SQLite connection holds its own page cache).
  const bool pg = on_postgres(o);
  so.read_connections = pg ? std::max(2, write_workers(o) + o.read_workers) : o.read_workers + 4;
  so.sqlite.cache_kib = std::max(256L, o.cache_kib);
  so.sqlite.mmap_bytes = std::max(0LL, o.mmap_mib) << 20;
  so.sqlite_writer_cache_kib = std::max(256L, o.writer_cache_kib);
  auto s = store::open_store(so);
  auto m = s->migrate(clock_of(o).now());
  if (!m) throw std::runtime_error("migration failed: " + m.error().detail + " " + m.error().cause);
  return s;
}

// The command line acts as the desk itself: whoever runs it holds the
// database.
const Actor kCli = Actor::system("cli");

std::string node_name() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "node");
  std::random_device rd;
  char buf[300];
  std::snprintf(buf, sizeof buf, "%s:%d:%08x", host, static_cast<int>(getpid()), rd());
  return buf;
}

int fail(const std::string& msg) {
  std::cerr << "servicedesk: " << msg << "\n";
  return 1;
}

// Where stored files go: SERVICEDESK_FILES_DIR, else beside the SQLite file
// (DB.files), else var/files (a folder every PostgreSQL node shares).
std::filesystem::path files_dir(const Options& o) {
  if (!o.files_dir.empty()) return o.files_dir;
  if (o.db.starts_with("postgres")) return "var/files";
  return o.db + ".files";
}

// The desk's mail identity and SMTP settings, from the environment.
Result<std::optional<mail::SmtpSettings>> configure_mail(const Options& o) {
  desk::MailIdentity id;
  id.from.address = o.mail_from;
  id.from.name = o.mail_from_name;
  id.portal_url =
      o.public_url.empty() || o.public_url.ends_with("/") ? o.public_url : o.public_url + "/";
  std::optional<mail::SmtpSettings> smtp;
  if (!o.smtp_url.empty()) {
    auto s = mail::parse_smtp_url(o.smtp_url);
    if (!s) return s.error();
    if (o.smtp_tls == "required")
      s->tls = mail::SmtpSettings::Tls::required;
    else if (o.smtp_tls == "none")
      s->tls = mail::SmtpSettings::Tls::none;
    s->verify_peer = o.smtp_verify != "off";
    smtp = *s;
  }
  id.sending = smtp.has_value() && !o.mail_from.empty();
  desk::configure_mail(id);
  return smtp;
}

// sysexits.h: the MTA tries again later.
constexpr int kTempFail = 75;

// One message on standard input, committed before exiting 0; 75 when it
// could not be (the MTA keeps it and tries again).
int cmd_mail_ingest(const Options& o) {
  try {
    if (auto m = configure_mail(o); !m) {
      std::cerr << "servicedesk: " << m.error().detail << "\n";
      return kTempFail;
    }
    std::string raw;
    char buf[65536];
    constexpr std::size_t kMax = 200u * 1024 * 1024;
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      raw.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (raw.size() > kMax) {
        std::cerr << "servicedesk: the message is larger than " << (kMax >> 20) << " MB\n";
        return 69;  // EX_UNAVAILABLE: the MTA bounces it to its sender
      }
    }
    auto s = open(o);
    if (o.mail_from.empty()) {
      // Signed and threaded as `serve` does, with the identity it keeps.
      auto id = s->read([](store::Tx& tx) -> Result<desk::MailIdentity> {
        return desk::remembered_mail_identity(tx);
      });
      if (id) desk::configure_mail(*id);
    }
    const store::BlobStore blobs(files_dir(o));
    const Instant now = clock_of(o).now();
    auto r = mail::take_in(*s, blobs, raw, std::nullopt, o.mailbox, "pipe", now);
    if (!r) {
      std::cerr << "servicedesk: the message was not taken in: " << r.error().detail << " "
                << r.error().cause << "\n";
      return kTempFail;
    }
    std::cout << to_string(r->status) << (r->reason.empty() ? "" : " " + r->reason)
              << (r->ticket_id ? " " + ticket_number(*r->ticket_id) : "") << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "servicedesk: " << e.what() << "\n";
    return kTempFail;
  }
}

int cmd_serve(const Options& o) {
  auto colon = o.listen.rfind(':');
  if (colon == std::string::npos) return fail("--listen must be HOST:PORT");
  http::ServerOptions so;
  so.host = o.listen.substr(0, colon);
  so.port = static_cast<unsigned short>(std::atoi(o.listen.c_str() + colon + 1));
  so.worker_threads = write_workers(o);
  so.read_worker_threads = std::max(1, o.read_workers);
  so.io_threads = std::max(1, o.io_threads);
  so.max_connections = std::max(1, o.max_connections);
  so.max_connections_per_address = std::max(1, o.max_connections_per_address);
  if (!o.web_root.empty() && std::filesystem::is_directory(o.web_root))
    so.web_root = o.web_root;
  else
    spdlog::warn(R"("msg":"no web app at --web-root; serving the API only","web_root":"{}")",
                 o.web_root);
  auto store = open(o);
  const app::SystemClock clock = clock_of(o);
  api::Services services(*store, clock);
  auto key = store->write(
      [](store::Tx& tx) -> Result<std::string> { return desk::server_secret(tx, "cursor"); });
  if (!key) return fail("cannot read the server's key: " + key.error().detail);
  services.cursor_key = *key;
  // Behind HTTPS (the public URL says so, or the setting forces it).
  services.secure_cookies = o.secure_cookies == "on" ||
                            (o.secure_cookies == "auto" && o.public_url.starts_with("https://"));
  for (std::size_t start = 0; start < o.trusted_proxies.size();) {
    auto comma = o.trusted_proxies.find(',', start);
    std::string item = o.trusted_proxies.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) services.trusted_proxies.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  api::LiveHub hub(services);
  services.on_credentials_changed = [&hub](Id user, const std::string& keep) {
    hub.close_user(user, keep);
  };
  services.on_session_ended = [&hub](const std::string& session) { hub.close_session(session); };
  jobs::RunnerOptions ro;
  ro.node = node_name();
  ro.poll = Duration(std::clamp(o.jobs_poll_ms, 10L, 5000L));
  ro.lease = Duration(std::clamp(o.jobs_lease_ms, 500L, 3'600'000L));
  auto smtp = configure_mail(o);
  if (!smtp) return fail("SERVICEDESK_SMTP_URL: " + smtp.error().detail);
  if (!o.smtp_url.empty() && o.mail_from.empty())
    spdlog::warn(
        R"("msg":"SERVICEDESK_SMTP_URL is set but SERVICEDESK_MAIL_FROM is not: no mail goes out")");
  if (auto r = store->write([&](store::Tx& tx) -> Result<bool> {
        desk::remember_mail_identity(tx, desk::mail_identity());
        return true;
      });
      !r)
    return fail("cannot keep the mail identity: " + r.error().detail);
  const store::BlobStore blobs(files_dir(o));
  services.blobs = &blobs;
  services.parse_mail = [](std::string_view raw) { return mail::parse_message(raw); };
  mail::MailJobsOptions mo;
  mo.smtp = *smtp;
  mo.poll_every = std::chrono::seconds(std::clamp(o.imap_poll_seconds, 1L, 86'400L));
  jobs::Runner runner(*store, clock, desk::job_handlers(), ro,
                      mail::mail_job_handlers(*store, blobs, mo));
  if (auto p = store->write([&](store::Tx& tx) -> Result<bool> {
        if (auto st = desk::schedule_polls(tx, clock.now(), mo.poll_every); !st) return st.error();
        return true;
      });
      !p)
    spdlog::warn(R"("msg":"could not schedule mailbox polls","error":"{}")", p.error().detail);
  store->set_commit_listener([&hub, &runner](const store::CommitNews& news) {
    if (news.events) hub.wake();
    if (news.jobs) runner.wake();
  });
  runner.start();
  so.hsts = services.secure_cookies;
  // Uploads are spooled beside the stored files.
  {
    std::error_code ec;
    const auto spool = files_dir(o) / "uploads";
    std::filesystem::create_directories(spool, ec);
    if (ec) return fail("cannot create " + spool.string() + ": " + ec.message());
    so.upload_dir = spool.string();
  }
  http::Server server(
      so, [&services](const api::Request& r) { return api::handle(services, r); }, &hub);
  const unsigned short port = server.bind();
  std::cout << "servicedesk listening on http://" << so.host << ":" << port << std::endl;
  server.run();
  runner.stop();
  store->set_commit_listener({});
  services.on_credentials_changed = {};
  services.on_session_ended = {};
  // Before the server (and the I/O context of the channels' sockets) goes.
  hub.stop();
  spdlog::info(R"("msg":"stopped")");
  spdlog::default_logger()->flush();
  return 0;
}

int cmd_migrate(const Options& o) {
  store::StoreOptions so;
  so.url = o.db;
  auto s = store::open_store(so);
  auto m = s->migrate(clock_of(o).now());
  if (!m) return fail(m.error().detail + " " + m.error().cause);
  std::cout << "applied " << *m << " migration(s); schema version "
            << store::latest_schema_version() << "\n";
  return 0;
}

void print_demo_logins() {
  std::cout << "demo logins (password: " << app::kDemoPassword << "):\n";
  for (const auto& l : app::demo_logins()) std::cout << "  " << l.role << "\t" << l.email << "\n";
}

int cmd_demo(const Options& o) {
  if (o.print_logins) {
    print_demo_logins();
    return 0;
  }
  auto s = open(o);
  auto r = app::load_demo(*s, o.demo_tickets, clock_of(o).now(), o.demo_articles);
  if (!r) return fail(r.error().detail);
  std::cout << "demo loaded: " << r->tickets << " tickets, " << r->articles << " articles\n";
  print_demo_logins();
  return 0;
}

int cmd_user_add(const Options& o) {
  auto role = parse_enum<Role>(o.role);
  if (!role) return fail("--role must be requester, agent, supervisor or admin");
  desk::CreateUser c;
  c.email = o.email;
  c.name = o.name.empty() ? o.email : o.name;
  c.role = *role;
  if (o.password_stdin) {
    std::string pw;
    std::getline(std::cin, pw);
    auto hash = desk::prepare_password(pw);
    if (!hash) return fail("the password needs at least 8 characters");
    c.password = *hash;
  }
  auto s = open(o);
  const Instant now = clock_of(o).now();
  auto r = s->write([&](store::Tx& tx) { return desk::create_user(tx, kCli, c, now); });
  if (!r) {
    std::string why = r.error().detail;
    for (const auto& f : r.error().fields) why += "; " + f.field + " " + f.message;
    return fail(why);
  }
  const User& u = r->value;
  std::cout << "user " << u.id << " " << u.email << " (" << to_string(u.role) << ")\n";
  return 0;
}

int cmd_user_list(const Options& o) {
  auto s = open(o);
  auto r = s->read([&](store::Tx& tx) -> Result<bool> {
    store::UserQuery q;
    q.limit = 200;
    for (;;) {
      auto page = desk::list_users(tx, kCli, q);
      if (!page) return page.error();
      for (const auto& u : page->items)
        std::cout << u.id << "\t" << to_string(u.role) << "\t" << u.email << "\t" << u.name
                  << (u.active ? "" : "\t(inactive)") << "\n";
      if (!page->next) break;
      q.after_id = page->next->id;
    }
    return true;
  });
  return r ? 0 : fail(r.error().detail);
}

int cmd_token_create(const Options& o) {
  auto s = open(o);
  const Instant now = clock_of(o).now();
  const std::string email = to_lower_ascii(o.email);
  auto r = s->write([&](store::Tx& tx) -> Result<desk::Outcome<desk::CreatedToken>> {
    auto u = tx.users().find_by_email(email);
    if (!u) return make_error(ErrorCode::not_found, "no user with that email");
    return desk::create_api_token(tx, kCli, desk::CreateToken{u->id, o.token_name, std::nullopt},
                                  now);
  });
  if (!r) return fail(r.error().detail);
  std::cout << r->value.token << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"servicedesk: an incident-attention service desk"};
  app.require_subcommand(1);
  app.add_option("--db", o.db, "SQLite file path or postgresql:// URL [env SERVICEDESK_DB]")
      ->capture_default_str();
  app.add_option("--log-level", o.log_level,
                 "trace, debug, info, warn, error, off [env SERVICEDESK_LOG_LEVEL]")
      ->capture_default_str();

  auto* serve = app.add_subcommand("serve", "Serve the web app and the REST API");
  serve
      ->add_option("--listen", o.listen,
                   "HOST:PORT to listen on; port 0 picks a free one [env SERVICEDESK_LISTEN]")
      ->capture_default_str();
  serve
      ->add_option("--web-root", o.web_root,
                   "Folder of the built web app [env SERVICEDESK_WEB_ROOT]")
      ->capture_default_str();
  serve
      ->add_option(
          "--workers", o.workers,
          "Threads that run writing handlers (they wait for the commit); 0: 64 on SQLite, 32 on "
          "PostgreSQL [env SERVICEDESK_WORKERS]")
      ->capture_default_str();
  serve
      ->add_option("--read-workers", o.read_workers,
                   "Threads that run GET handlers [env SERVICEDESK_READ_WORKERS]")
      ->capture_default_str();
  serve
      ->add_option("--io-threads", o.io_threads,
                   "Threads that run network I/O [env SERVICEDESK_IO_THREADS]")
      ->capture_default_str();
  auto* migrate = app.add_subcommand("migrate", "Create or upgrade the database schema");
  auto* demo = app.add_subcommand("demo", "Load a fictional demo desk into an empty database");
  demo->add_option("--tickets", o.demo_tickets, "How many tickets to create")
      ->capture_default_str();
  demo->add_option("--articles", o.demo_articles,
                   "How many knowledge-base articles to add to the hand-written ones")
      ->capture_default_str()
      ->check(CLI::Range(0L, 1'000'000L));
  demo->add_flag("--print-logins", o.print_logins, "Only print the demo logins");
  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "Add a user");
  user_add->add_option("email", o.email, "Email address (the login)")->required();
  user_add->add_option("--name", o.name, "Full name");
  user_add->add_option("--role", o.role, "requester, agent, supervisor or admin")->required();
  user_add->add_flag("--password-stdin", o.password_stdin, "Read the password from standard input");
  auto* user_list = user->add_subcommand("list", "List users");
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "Create an API token; prints it on stdout");
  token_create->add_option("email", o.email, "The user the token acts as")->required();
  token_create->add_option("--name", o.token_name, "A name to recognise the token by");
  auto* mail_ingest = app.add_subcommand(
      "mail-ingest",
      "Take one RFC 5322 message from standard input (an MTA's pipe); exits 0 once it is "
      "committed, 75 when it could not be (try again)");
  mail_ingest->add_option("--mailbox", o.mailbox, "The mailbox address it was delivered to");
  auto* version = app.add_subcommand("version", "Print the version");

  CLI11_PARSE(app, argc, argv);
  try {
    // One JSON object per line; messages supply their own fields.
    spdlog::set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})",
                        spdlog::pattern_time_type::utc);
    spdlog::set_level(spdlog::level::from_str(o.log_level));
    auth::init();
    mail::init_mime();
    mail::init_curl();
    if (*mail_ingest) return cmd_mail_ingest(o);
    if (*serve) return cmd_serve(o);
    if (*migrate) return cmd_migrate(o);
    if (*demo) return cmd_demo(o);
    if (*user_add) return cmd_user_add(o);
    if (*user_list) return cmd_user_list(o);
    if (*token_create) return cmd_token_create(o);
    if (*version) {
      std::cout << "servicedesk " << SD_VERSION << "\n";
      return 0;
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
