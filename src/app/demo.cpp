#include "app/demo.hpp"

#include "auth/crypto.hpp"
#include "domain/lifecycle.hpp"
#include "domain/priority.hpp"

#include <random>

namespace sd::app {
namespace {

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
    {"Hardware", nullptr},         {"Equipo de cómputo", "Hardware"},
    {"Impresoras", "Hardware"},    {"Software", nullptr},
    {"Correo electrónico", "Software"}, {"Sistemas institucionales", "Software"},
    {"Red y comunicaciones", nullptr},  {"Telefonía", "Red y comunicaciones"},
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

}  // namespace

std::vector<DemoLogin> demo_logins() {
  std::vector<DemoLogin> out;
  for (const auto& p : kStaff) out.push_back({p.email, std::string(to_string(p.role))});
  out.push_back({kRequesters[0].email, "requester"});
  return out;
}

Result<DemoResult> load_demo(store::Store& store, long tickets, Millis now) {
  DemoResult out;
  const std::string hash = auth::hash_password(kDemoPassword);
  std::mt19937_64 rng(20261127);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };

  std::vector<Id> staff_ids, requester_ids, group_ids, category_ids;
  std::vector<std::optional<Id>> requester_orgs;
  auto setup = store.write([&](store::Tx& tx) -> Result<bool> {
    if (tx.find_user_by_email(kStaff[0].email))
      return make_error(ErrorCode::conflict, "the demo is already loaded");
    Organisation org{0, "Instituto Ficticio de Servicios Digitales", false, now};
    org.id = tx.insert_organisation(org);
    Organisation org2{0, "Dirección Ejemplo de Planeación", true, now};
    org2.id = tx.insert_organisation(org2);
    for (const auto& p : kStaff) {
      User u;
      u.email = p.email;
      u.name = p.name;
      u.phone = p.phone;
      u.role = p.role;
      u.created_at = now;
      u.id = tx.insert_user(u, hash);
      staff_ids.push_back(u.id);
    }
    std::size_t i = 0;
    for (const auto& p : kRequesters) {
      User u;
      u.email = p.email;
      u.name = p.name;
      u.phone = p.phone;
      u.role = p.role;
      u.organisation_id = (i++ % 3 == 2) ? org2.id : org.id;
      u.created_at = now;
      u.id = tx.insert_user(u, hash);
      requester_ids.push_back(u.id);
      requester_orgs.push_back(u.organisation_id);
    }
    const char* group_names[] = {"Mesa de Servicio (N1)", "Asistencia Técnica (N2)",
                                 "Especialistas (N3)"};
    for (int level = 1; level <= 3; ++level) {
      Group g{0, group_names[level - 1], level, now};
      g.id = tx.insert_group(g);
      group_ids.push_back(g.id);
    }
    // agents 1-2 serve level 1 (and the supervisor), the technician level 2,
    // the specialist level 3.
    tx.set_group_members(group_ids[0], {staff_ids[1], staff_ids[2], staff_ids[3]});
    tx.set_group_members(group_ids[1], {staff_ids[4]});
    tx.set_group_members(group_ids[2], {staff_ids[5]});
    for (const auto& c : kCategories) {
      Category cat{0, c[0], std::nullopt, now};
      if (c[1])
        for (std::size_t k = 0; k < category_ids.size(); ++k)
          if (std::string(kCategories[k][0]) == c[1]) cat.parent_id = category_ids[k];
      cat.id = tx.insert_category(cat);
      category_ids.push_back(cat.id);
    }
    return true;
  });
  if (!setup) return setup.error();

  const PriorityMatrix matrix;
  const Millis span = 90LL * 24 * 3600 * 1000;  // tickets spread over 90 days
  const long batch = 2000;
  for (long done = 0; done < tickets;) {
    const long n = std::min(batch, tickets - done);
    auto r = store.write([&](store::Tx& tx) -> Result<bool> {
      for (long k = 0; k < n; ++k) {
        const long index = done + k;
        const Subject& s = kSubjects[pick(std::size(kSubjects))];
        Ticket t;
        t.type = s.type;
        t.channel = static_cast<Channel>(pick(enum_count<Channel>()));
        t.impact = static_cast<Impact>(pick(3));
        t.criticality = static_cast<Criticality>(pick(3));
        t.priority = matrix.at(t.impact, t.criticality);
        t.support_level = default_support_level(t.impact, t.criticality);
        const std::size_t who = pick(requester_ids.size());
        t.requester_id = requester_ids[who];
        t.organisation_id = requester_orgs[who];
        t.category_id = category_ids[static_cast<std::size_t>(s.category)];
        t.subject = s.text;
        t.description = "Reporte de demostración número " + std::to_string(index + 1) +
                        ". Datos ficticios para conocer la mesa de servicio.";
        Millis at = now - span + (span * index) / std::max(tickets, 1L);
        t.created_at = t.updated_at = at;
        const Id agent = staff_ids[2 + t.support_level - 1 + (t.support_level == 1 ? pick(2) : 1)];
        // Where in its lifecycle the ticket is: 0 new .. 5 closed, 6 cancelled.
        // As at a real desk, the newest few hundred are spread over every
        // status and older ones are nearly all closed.
        const bool recent = tickets - index <= std::max(300L, tickets / 50);
        const std::size_t roll = pick(20);
        const int stage = recent ? static_cast<int>(pick(7)) : roll < 18 ? 5 : roll == 18 ? 6 : 4;
        t.id = tx.insert_ticket(t);
        Event e;
        e.ticket_id = t.id;
        e.actor_id = t.requester_id;
        e.kind = EventKind::created;
        e.field = "status";
        e.new_value = "new";
        e.created_at = at;
        tx.insert_event(e);
        auto move = [&](TicketStatus to, Id actor) {
          at += 600'000 + static_cast<Millis>(pick(3'600'000));
          const auto old = t.status;
          if (!apply_transition(t, to, at)) return;
          Event s{};
          s.ticket_id = t.id;
          s.actor_id = actor;
          s.kind = EventKind::status_change;
          s.field = "status";
          s.old_value = std::string(to_string(old));
          s.new_value = std::string(to_string(to));
          s.created_at = at;
          tx.insert_event(s);
        };
        auto say = [&](EventKind kind, const char* text, Id actor) {
          at += 300'000 + static_cast<Millis>(pick(1'800'000));
          Event c{};
          c.ticket_id = t.id;
          c.actor_id = actor;
          c.kind = kind;
          c.internal = kind == EventKind::note;
          c.body = text;
          c.created_at = at;
          tx.insert_event(c);
          t.updated_at = at;
        };
        if (stage == 6) move(TicketStatus::cancelled, t.requester_id);
        if (stage >= 1 && stage <= 5) {
          t.assignee_id = agent;
          t.group_id = group_ids[static_cast<std::size_t>(t.support_level - 1)];
          Event asg{};
          asg.ticket_id = t.id;
          asg.actor_id = staff_ids[1];
          asg.kind = EventKind::assignment;
          asg.internal = true;
          asg.field = "assignee_id";
          asg.new_value = std::to_string(agent);
          asg.created_at = at;
          tx.insert_event(asg);
          move(TicketStatus::assigned, staff_ids[1]);
        }
        if (stage >= 2 && stage <= 5) {
          move(TicketStatus::in_progress, agent);
          say(EventKind::reply, kReplies[pick(std::size(kReplies))], agent);
          say(EventKind::note, kNotes[pick(std::size(kNotes))], agent);
        }
        if (stage == 3) move(TicketStatus::pending, agent);
        if (stage == 4 || stage == 5) {
          say(EventKind::reply, kReplies[3], agent);
          move(TicketStatus::resolved, agent);
        }
        if (stage == 5) move(TicketStatus::closed, t.requester_id);
        t.updated_at = std::max(t.updated_at, at);
        tx.update_ticket(t);
      }
      return true;
    });
    if (!r) return r.error();
    done += n;
    out.tickets = done;
  }
  return out;
}

}  // namespace sd::app
