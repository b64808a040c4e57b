// Who is acting: a signed-in person, or the desk itself (automation, jobs).
// Every use case of desk/ takes one, and every event it writes names it.
#pragma once

#include <optional>
#include <string>

#include "domain/enums.hpp"
#include "domain/model.hpp"

namespace sd {

struct Actor {
  ActorKind kind = ActorKind::user;
  Id id = 0;  // the user; 0 for the system
  Role role = Role::requester;
  std::optional<Id> organisation_id;
  bool organisation_shares_tickets = false;
  std::string name;  // for the system: which automation ("auto_close")

  static Actor user(Id id, Role role, std::optional<Id> organisation_id = std::nullopt,
                    bool organisation_shares_tickets = false) {
    return Actor{ActorKind::user, id, role, organisation_id, organisation_shares_tickets, {}};
  }
  // The desk acting on its own: it may do what an admin may, and no more.
  static Actor system(std::string automation) {
    return Actor{ActorKind::system, 0, Role::admin, std::nullopt, false, std::move(automation)};
  }
  bool is_system() const { return kind == ActorKind::system; }
};

}  // namespace sd
