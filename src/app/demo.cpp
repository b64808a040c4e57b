#include "app/demo.hpp"

#include <date/date.h>

#include <random>

#include "desk/calendars.hpp"
#include "desk/contracts.hpp"
#include "desk/directory.hpp"
#include "desk/knowledge.hpp"
#include "desk/settings.hpp"
#include "desk/sla_policies.hpp"
#include "desk/tickets.hpp"
#include "store/repo/users.hpp"

namespace sd::app {
namespace {

// Mexico's official rest days (Ley Federal del Trabajo, art. 74) of one year.
std::vector<Holiday> mexico_holidays(int year) {
  using namespace date;
  const auto y = date::year{year};
  auto nth_monday = [&](date::month m, unsigned n) {
    return format("%F", sys_days{y / m / Monday[n]});
  };
  auto on = [&](date::month m, unsigned d) { return format("%F", sys_days{y / m / day{d}}); };
  std::vector<Holiday> h = {
      {on(January, 1), "Año Nuevo"},
      {nth_monday(February, 1), "Día de la Constitución"},
      {nth_monday(March, 3), "Natalicio de Benito Juárez"},
      {on(May, 1), "Día del Trabajo"},
      {on(September, 16), "Día de la Independencia"},
      {nth_monday(November, 3), "Día de la Revolución"},
      {on(December, 25), "Navidad"},
  };
  // Every six years (2024, 2030...), the day the new president takes office.
  if ((year - 2024) % 6 == 0)
    h.insert(h.begin() + 5, {on(October, 1), "Transmisión del Poder Ejecutivo Federal"});
  return h;
}

struct Person {
  const char* email;
  const char* name;
  const char* phone;
  Role role;
};

// Invented people; example.com addresses are reserved and reach no one.
constexpr Person kStaff[] = {
    {"admin@demo.example.com", "Administración Demo", "+52 55 0100 0001", Role::admin},
    {"supervisor@demo.example.com", "Sofía Ramírez Demo", "+52 55 0100 0002", Role::supervisor},
    {"agente1@demo.example.com", "Luis Hernández Demo", "+52 55 0100 0011", Role::agent},
    {"agente2@demo.example.com", "Ana Torres Demo", "+52 55 0100 0012", Role::agent},
    {"tecnico@demo.example.com", "Marco Salinas Demo", "+52 55 0100 0021", Role::agent},
    {"especialista@demo.example.com", "Elena Vidal Demo", "+52 55 0100 0031", Role::agent},
};

constexpr Person kRequesters[] = {
    {"usuario@demo.example.com", "Carmen Ortiz Demo", "+52 55 0200 0001", Role::requester},
    {"jorge.luna@demo.example.com", "Jorge Luna Demo", "+52 55 0200 0002", Role::requester},
    {"paula.rios@demo.example.com", "Paula Ríos Demo", "+52 55 0200 0003", Role::requester},
    {"diego.mora@demo.example.com", "Diego Mora Demo", "+52 55 0200 0004", Role::requester},
    {"irene.campos@demo.example.com", "Irene Campos Demo", "+52 55 0200 0005", Role::requester},
    {"raul.vega@demo.example.com", "Raúl Vega Demo", "+52 55 0200 0006", Role::requester},
};

struct Subject {
  TicketType type;
  const char* text;
  int category;  // index into kCategories
};

constexpr const char* kCategories[][2] = {
    {"Hardware", nullptr},
    {"Equipo de cómputo", "Hardware"},
    {"Impresoras", "Hardware"},
    {"Software", nullptr},
    {"Correo electrónico", "Software"},
    {"Sistemas institucionales", "Software"},
    {"Red y comunicaciones", nullptr},
    {"Telefonía", "Red y comunicaciones"},
    {"Accesos y cuentas", nullptr},
};

constexpr Subject kSubjects[] = {
    {TicketType::incident, "No enciende el equipo de escritorio", 1},
    {TicketType::incident, "La impresora del piso 3 no imprime", 2},
    {TicketType::incident, "Sin acceso al correo institucional", 4},
    {TicketType::incident, "El sistema de nómina muestra error 500", 5},
    {TicketType::incident, "Red inalámbrica intermitente en sala de juntas", 6},
    {TicketType::incident, "Extensión telefónica sin tono", 7},
    {TicketType::complaint, "El técnico no se presentó a la cita", 0},
    {TicketType::complaint, "Tiempo de respuesta excesivo en mi reporte anterior", 3},
    {TicketType::information_request, "¿Cómo configuro la firma del correo?", 4},
    {TicketType::information_request, "Horario de soporte en sitio", 0},
    {TicketType::information_request, "Requisitos para solicitar un equipo nuevo", 1},
    {TicketType::change_request, "Alta de usuario para personal de nuevo ingreso", 8},
    {TicketType::change_request, "Cambio de contraseña de la cuenta de red", 8},
    {TicketType::change_request, "Instalación de software de ofimática", 3},
    {TicketType::observation, "El cableado del site está sin etiquetar", 6},
    {TicketType::observation, "Sugerencia: publicar guía de VPN", 6},
};

struct Contact {
  int level;
  const char* role;
  const char* name;
  const char* office;
  const char* email;
  const char* mobile;
};
constexpr Contact kContacts[] = {
    {1, "Operador de mesa de servicio", "Daniela Quiroz Demo", "+52 55 0300 0101",
     "mesa@demo.example.com", "ext. 101"},
    {1, "Operador de mesa de servicio", "Tomás Arce Demo", "+52 55 0300 0102",
     "mesa@demo.example.com", "ext. 102"},
    {2, "Jefa de la mesa de servicio", "Sofía Ramírez Demo", "+52 55 0300 0201",
     "jefatura.mesa@demo.example.com", "+52 55 0400 0201"},
    {3, "Líder de proyecto", "Héctor Bravo Demo", "+52 55 0300 0301",
     "lider.proyecto@demo.example.com", "+52 55 0400 0301"},
    {4, "Director de integración tecnológica", "Julia Montes Demo", "+52 55 0300 0401",
     "direccion.ti@demo.example.com", "+52 55 0400 0401"},
};

constexpr const char* kReplies[] = {
    "Gracias por su reporte, lo estamos revisando.",
    "¿Podría indicarnos el número de inventario del equipo?",
    "Se aplicó la solución documentada en la base de conocimiento.",
    "El servicio quedó restablecido; por favor confirme.",
};
constexpr const char* kNotes[] = {
    "Se revisó el registro del servidor, sin errores aparentes.",
    "Posible falla de fuente de poder; se requiere visita en sitio.",
    "Caso similar resuelto la semana pasada.",
};

// The knowledge base's first articles: the first support level's immediate
// solutions to the demo's most frequent cases. Each Spanish one may have an
// English translation (`en_of`: index of the one it translates, or -1).
struct DemoArticle {
  const char* title;
  const char* language;
  bool internal;
  int category;  // index into kCategories
  const char* tags;
  int en_of;
  const char* body;
};

constexpr DemoArticle kArticles[] = {
    {"La impresora no imprime: revisión rápida", "es-MX", false, 2, "impresora,cola de impresión",
     -1,
     "Antes de levantar un reporte, revise estos puntos:\n\n"
     "1. Que la impresora esté **encendida** y sin luces de error.\n"
     "2. Que tenga papel y tóner (la pantalla lo indica).\n"
     "3. En su equipo, abra *Configuración → Impresoras* y elimine los trabajos atorados en la "
     "cola de impresión.\n"
     "4. Apague y encienda la impresora.\n\n"
     "| Luz | Significado |\n|---|---|\n| Verde fija | Lista |\n| Naranja | Falta papel o tóner |"
     "\n| Roja parpadeante | Atasco: abra la tapa frontal |\n\n"
     "Si sigue sin imprimir, levante un ticket indicando el **número de inventario**."},
    {"The printer does not print: quick checks", "en", false, 2, "printer,print queue", 0,
     "Before you open a ticket, check:\n\n"
     "1. The printer is **on** and shows no error light.\n"
     "2. It has paper and toner (its display says so).\n"
     "3. On your computer, open *Settings → Printers* and remove stuck jobs from the print "
     "queue.\n"
     "4. Turn the printer off and on again.\n\n"
     "If it still does not print, open a ticket with its **inventory number**."},
    {"Cómo configurar la firma del correo institucional", "es-MX", false, 4, "correo,firma", -1,
     "1. Entre al correo web y abra **Configuración**.\n"
     "2. En *Redacción*, elija **Firma** y escriba su nombre, cargo y extensión.\n"
     "3. Guarde los cambios.\n\n"
     "La firma institucional usa letra sin adornos y ningún logotipo como imagen."},
    {"How to set up your institutional email signature", "en", false, 4, "email,signature", 2,
     "1. Open web mail and go to **Settings**.\n"
     "2. Under *Compose*, choose **Signature** and type your name, title and extension.\n"
     "3. Save.\n\n"
     "The institutional signature uses plain text and no logo image."},
    {"Cambio de contraseña de la cuenta de red", "es-MX", false, 8, "contraseña,cuenta", -1,
     "Puede cambiar su contraseña usted mismo:\n\n"
     "- Presione `Ctrl` + `Alt` + `Supr` y elija **Cambiar contraseña**.\n"
     "- Use al menos 12 caracteres; no repita las últimas cinco.\n\n"
     "Si la olvidó, la mesa de servicio la restablece tras confirmar su identidad por teléfono."},
    {"Red inalámbrica intermitente: qué hacer", "es-MX", false, 6, "wifi,red inalámbrica", -1,
     "La aplicación de red se desconecta cuando hay muchos equipos en la sala.\n\n"
     "1. Olvide la red y vuelva a conectarse.\n"
     "2. Prefiera la red de 5 GHz si su equipo la muestra.\n"
     "3. Si la falla es de toda la sala, avísenos: puede ser el punto de acceso."},
    {"Wireless network keeps dropping: what to do", "en", false, 6, "wifi,wireless", 5,
     "1. Forget the network and connect again.\n"
     "2. Prefer the 5 GHz network if your computer shows it.\n"
     "3. If the whole room is affected, tell us: it may be the access point."},
    {"Requisitos para solicitar un equipo nuevo", "es-MX", false, 1, "equipo,solicitud", -1,
     "Para solicitar un equipo de cómputo nuevo necesita:\n\n"
     "- El visto bueno de su jefe inmediato.\n"
     "- El número de inventario del equipo que se reemplaza, si lo hay.\n\n"
     "El plazo de entrega es de 10 días hábiles."},
    {"Error 500 en el sistema de nómina: diagnóstico", "es-MX", true, 5, "nómina,error 500", -1,
     "Uso interno del personal de soporte.\n\n"
     "1. Revise el registro de la aplicación en el servidor de nómina.\n"
     "2. Si el error es de conexión a la base de datos, reinicie el servicio de conexión.\n"
     "3. Escale a nivel 3 si el error persiste más de 15 minutos."},
    {"Extensión telefónica sin tono", "es-MX", true, 7, "telefonía,extensión", -1,
     "Uso interno. Verifique en el conmutador que la extensión esté dada de alta y que el puerto "
     "del switch esté activo. Si el cable está dañado, programe una visita en sitio."},
};

}  // namespace

std::vector<DemoLogin> demo_logins() {
  std::vector<DemoLogin> out;
  for (const auto& p : kStaff) out.push_back({p.email, std::string(to_string(p.role))});
  out.push_back({kRequesters[0].email, "requester"});
  return out;
}

namespace {

// Unwraps a use case's outcome inside the loader; the first failure ends it.
template <class T>
Result<T> value_of(Result<desk::Outcome<T>> r) {
  if (!r) return r.error();
  return std::move(r->value);
}

}  // namespace

Result<DemoResult> load_demo(store::Store& store, long tickets, Instant now, long extra_articles) {
  DemoResult out;
  auto password = desk::prepare_password(kDemoPassword);
  if (!password) return password.error();
  std::mt19937_64 rng(20261127);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  // The loader is the desk itself putting history in place; people then act
  // on the tickets as they would have.
  const Actor loader = Actor::system("demo");

  std::vector<Actor> staff, requesters;
  std::vector<Id> group_ids, category_ids;
  AutoClosePolicy policy;
  Id office_calendar = 0;
  std::vector<Id> org_ids;
  auto setup = store.write([&](store::Tx& tx) -> Result<bool> {
    if (tx.users().find_by_email(kStaff[0].email))
      return make_error(ErrorCode::conflict, "the demo is already loaded");
    // Auto-close stays off while history is written (the closings that
    // would have happened are in the history); it is scheduled afterwards
    // for what is left resolved.
    policy = desk::auto_close_policy(tx);
    AutoClosePolicy off = policy;
    off.enabled = false;
    if (auto r = desk::set_auto_close_policy(tx, loader, off, now); !r) return r.error();
    auto org = value_of(desk::save_organisation(
        tx, loader, {std::nullopt, "Instituto Ficticio de Servicios Digitales", false}, now));
    if (!org) return org.error();
    auto org2 = value_of(desk::save_organisation(
        tx, loader, {std::nullopt, "Dirección Ejemplo de Planeación", true}, now));
    if (!org2) return org2.error();
    org_ids = {org->id, org2->id};
    auto add = [&](const Person& p, std::optional<Id> org_id) -> Result<User> {
      desk::CreateUser c;
      c.email = p.email;
      c.name = p.name;
      c.phone = p.phone;
      c.role = p.role;
      c.organisation_id = org_id;
      c.password = *password;
      return value_of(desk::create_user(tx, loader, c, now));
    };
    for (const auto& p : kStaff) {
      auto u = add(p, std::nullopt);
      if (!u) return u.error();
      staff.push_back(Actor::user(u->id, u->role));
      staff.back().name = u->name;
    }
    std::size_t i = 0;
    for (const auto& p : kRequesters) {
      const bool second = i++ % 3 == 2;
      auto u = add(p, second ? org2->id : org->id);
      if (!u) return u.error();
      requesters.push_back(Actor::user(u->id, u->role, u->organisation_id, second));
      requesters.back().name = u->name;
    }
    // Agents 1-2 serve level 1 (and the supervisor), the technician level 2,
    // the specialist level 3.
    const char* group_names[] = {"Mesa de Servicio (N1)", "Asistencia Técnica (N2)",
                                 "Especialistas (N3)"};
    const std::vector<std::vector<Id>> members = {
        {staff[1].id, staff[2].id, staff[3].id}, {staff[4].id}, {staff[5].id}};
    for (int level = 1; level <= 3; ++level) {
      auto g = value_of(desk::save_group(
          tx, loader, {std::nullopt, group_names[level - 1], level, members[level - 1]}, now));
      if (!g) return g.error();
      group_ids.push_back(g->group.id);
    }
    // Office hours in Mexico City, Monday to Friday 09:00-18:00, with this
    // year's and next year's official holidays (the 24x7 calendar is built in).
    {
      desk::SaveCalendar cal;
      cal.name = "Horario de oficina (Ciudad de México)";
      cal.time_zone = "America/Mexico_City";
      std::array<std::vector<OpenRange>, 7> week;
      for (int d = 0; d < 5; ++d) week[static_cast<std::size_t>(d)] = {{9 * 60, 18 * 60}};
      cal.hours = week;
      const int year =
          static_cast<int>(date::year_month_day{std::chrono::floor<date::days>(now)}.year());
      std::vector<Holiday> holidays = mexico_holidays(year);
      for (auto& h : mexico_holidays(year + 1)) holidays.push_back(std::move(h));
      cal.holidays = std::move(holidays);
      auto r = desk::save_calendar(tx, loader, cal, now);
      if (!r) return r.error();
      office_calendar = r->value.id;
    }
    // The escalation directory of the source document, levels 1-4, with
    // invented people.
    for (const auto& k : kContacts) {
      auto r = desk::save_contact(
          tx, loader, {std::nullopt, k.level, k.role, k.name, k.office, k.email, k.mobile}, now);
      if (!r) return r.error();
    }
    for (const auto& c : kCategories) {
      std::optional<Id> parent;
      if (c[1])
        for (std::size_t k = 0; k < category_ids.size(); ++k)
          if (std::string(kCategories[k][0]) == c[1]) parent = category_ids[k];
      auto cat = value_of(desk::save_category(tx, loader, {std::nullopt, c[0], parent}, now));
      if (!cat) return cat.error();
      category_ids.push_back(cat->id);
    }
    return true;
  });
  if (!setup) return setup.error();

  // Tickets spread over 90 days; as at a real desk, the newest (the last
  // five days) are in every status and older ones are nearly all closed.
  const Duration span = std::chrono::hours(24 * 90);
  const Duration recent_span = std::chrono::hours(24 * 5);
  const long recent_count = std::min(tickets, std::max(300L, tickets / 50));
  const long old_count = tickets - recent_count;
  const long batch = 2000;
  std::vector<Id> resolved;
  for (long done = 0; done < tickets;) {
    const long n = std::min(batch, tickets - done);
    auto r = store.write([&](store::Tx& tx) -> Result<bool> {
      for (long k = 0; k < n; ++k) {
        const long index = done + k;
        const bool recent = index >= old_count;
        Instant at = recent ? now - recent_span + recent_span * (index - old_count) / recent_count
                            : now - span + (span - recent_span) * index / std::max(old_count, 1L);
        const Subject& s = kSubjects[pick(std::size(kSubjects))];
        desk::CreateTicket c;
        c.type = s.type;
        c.arrived_by = static_cast<Channel>(pick(enum_count<Channel>()));
        // As at a real desk, most cases are small: not critical and of low
        // criticality (support level 1); one in ten needs a specialist.
        const std::size_t ri = pick(100), rc = pick(100);
        c.impact = ri < 80   ? Impact::not_critical
                   : ri < 95 ? Impact::critical
                             : Impact::loss_of_functionality;
        c.criticality = rc < 75   ? Criticality::low
                        : rc < 95 ? Criticality::medium
                                  : Criticality::high;
        c.category_id = category_ids[static_cast<std::size_t>(s.category)];
        c.subject = s.text;
        c.description = "Reporte de demostración número " + std::to_string(index + 1) +
                        ". Datos ficticios para conocer la mesa de servicio.";
        const Actor& requester = requesters[pick(requesters.size())];
        auto t = value_of(desk::create_ticket(tx, requester, c, at));
        if (!t) return t.error();
        const Id id = t->id;
        const int level = t->support_level;
        const Actor& agent = staff[2 + level - 1 + (level == 1 ? pick(2) : 1)];
        const Actor& supervisor = staff[1];
        // Where in its lifecycle the ticket is: 0 new .. 5 closed, 6 cancelled.
        const std::size_t roll = pick(20);
        const int stage = recent ? static_cast<int>(pick(7)) : roll < 19 ? 5 : 6;
        auto step = [&](Duration base, Duration spread) {
          at += base + Duration(static_cast<Duration::rep>(pick(spread.count())));
        };
        auto move = [&](TicketStatus to, const Actor& who) -> Status {
          step(std::chrono::minutes(10), std::chrono::hours(1));
          auto m = desk::transition_ticket(tx, who, {id, to, {}}, at);
          if (!m) return m.error();
          return {};
        };
        auto say = [&](const char* text, bool internal, const Actor& who) -> Status {
          step(std::chrono::minutes(5), std::chrono::minutes(30));
          auto m = desk::comment_on_ticket(tx, who, {id, text, internal, {}, {}}, at);
          if (!m) return m.error();
          return {};
        };
        Status st;
        if (stage == 6) st = move(TicketStatus::cancelled, requester);
        if (st && stage >= 1 && stage <= 5) {
          desk::UpdateTicket u;
          u.ticket_id = id;
          u.assignee_id = std::optional<Id>(agent.id);
          u.group_id = std::optional<Id>(group_ids[static_cast<std::size_t>(level - 1)]);
          auto m = desk::update_ticket(tx, supervisor, u, at);
          if (!m) return m.error();
        }
        if (st && stage >= 2 && stage <= 5) {
          st = move(TicketStatus::in_progress, agent);
          if (st) st = say(kReplies[pick(std::size(kReplies))], false, agent);
          if (st) st = say(kNotes[pick(std::size(kNotes))], true, agent);
        }
        if (st && stage == 3) st = move(TicketStatus::pending, agent);
        if (st && (stage == 4 || stage == 5)) {
          st = say(kReplies[3], false, agent);
          if (st) st = move(TicketStatus::resolved, agent);
        }
        if (st && stage == 5) st = move(TicketStatus::closed, requester);
        if (!st) return st.error();
        if (stage == 4) resolved.push_back(id);
      }
      return true;
    });
    if (!r) return r.error();
    done += n;
    out.tickets = done;
  }
  // Auto-close as configured, from now on; a ticket resolved long enough
  // ago closes as soon as a server runs its jobs.
  auto closing = store.write([&](store::Tx& tx) -> Result<bool> {
    if (auto r = desk::set_auto_close_policy(tx, loader, policy, now); !r) return r.error();
    // Service levels, set up after the history: the sweep a policy enqueues
    // puts the open tickets under them when a server first runs its jobs,
    // and the checks write the warnings and breaches their history earned.
    struct DemoPolicy {
      const char* name;
      std::optional<Priority> priority;
      bool office;
      std::int64_t first_response, resolution, rank;
    };
    const DemoPolicy policies[] = {
        {"Crítica (24x7)", Priority::critical, false, 15, 240, 10},
        {"Alta (horario de oficina)", Priority::high, true, 60, 480, 20},
        {"Estándar (horario de oficina)", std::nullopt, true, 240, 1620, 100},
    };
    for (const auto& dp : policies) {
      desk::SaveSlaPolicy c;
      c.name = dp.name;
      if (dp.office) c.calendar_id = office_calendar;
      c.rank = dp.rank;
      SlaMatch m;
      if (dp.priority) m.priorities = {*dp.priority};
      c.match = m;
      c.first_response_minutes = dp.first_response;
      c.resolution_minutes = dp.resolution;
      if (auto r = desk::save_sla_policy(tx, loader, c, now); !r) return r.error();
    }
    // Contracts: the institute's ends in three weeks (supervisors see it
    // coming); the directorate's ended last month, so its new requests are
    // accepted with a warning.
    const auto date_in = [&](int days) { return utc_date(now + std::chrono::days(days)); };
    Contract institute;
    institute.organisation_id = org_ids[0];
    institute.name = "Soporte integral 2026";
    institute.starts_on = date_in(-345);
    institute.ends_on = date_in(20);
    Contract directorate;
    directorate.organisation_id = org_ids[1];
    directorate.name = "Mesa de ayuda básica";
    directorate.starts_on = date_in(-400);
    directorate.ends_on = date_in(-35);
    for (auto& c : {institute, directorate})
      if (auto r = desk::save_contract(tx, loader, c, now); !r) return r.error();
    for (Id id : resolved)
      if (auto r = desk::schedule_auto_close(tx, loader, id, now); !r) return r.error();
    return true;
  });
  if (!closing) return closing.error();

  // The knowledge base, written by the supervisor (who publishes); then, for
  // load tests, more articles made from those, in batches.
  const Actor& author = staff[1];
  auto kb = store.write([&](store::Tx& tx) -> Result<bool> {
    std::vector<Id> ids;
    for (const auto& d : kArticles) {
      desk::ArticleInput in;
      in.title = d.title;
      in.body = d.body;
      in.language = d.language;
      in.visibility = d.internal ? ArticleVisibility::internal : ArticleVisibility::public_;
      in.status = ArticleStatus::published;
      in.category_id = std::optional<Id>(category_ids[static_cast<std::size_t>(d.category)]);
      std::vector<std::string> tags;
      for (std::string_view rest = d.tags; !rest.empty();) {
        const auto comma = rest.find(',');
        tags.emplace_back(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
      in.tags = std::move(tags);
      if (d.en_of >= 0)
        in.translation_of = std::optional<Id>(ids[static_cast<std::size_t>(d.en_of)]);
      auto a = value_of(desk::create_article(tx, author, in, now - std::chrono::hours(24 * 30)));
      if (!a) return a.error();
      ids.push_back(a->id);
    }
    out.articles = static_cast<long>(ids.size());
    return true;
  });
  if (!kb) return kb.error();
  for (long done = 0; done < extra_articles;) {
    const long n = std::min(500L, extra_articles - done);
    auto r = store.write([&](store::Tx& tx) -> Result<bool> {
      for (long k = 0; k < n; ++k) {
        const DemoArticle& d = kArticles[pick(std::size(kArticles))];
        const Subject& s = kSubjects[pick(std::size(kSubjects))];
        desk::ArticleInput in;
        in.title = std::string(d.title) + " (" + std::to_string(done + k + 1) + ")";
        in.body = std::string(d.body) + "\n\nCaso relacionado: " + s.text + ".";
        in.language = d.language;
        in.visibility = pick(4) == 0 ? ArticleVisibility::internal : ArticleVisibility::public_;
        in.status = pick(5) == 0 ? ArticleStatus::draft : ArticleStatus::published;
        in.category_id = std::optional<Id>(category_ids[static_cast<std::size_t>(d.category)]);
        auto a = value_of(desk::create_article(tx, author, in, now - std::chrono::hours(24)));
        if (!a) return a.error();
      }
      return true;
    });
    if (!r) return r.error();
    done += n;
    out.articles += n;
  }
  return out;
}

}  // namespace sd::app
