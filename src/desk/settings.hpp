// The desk's settings: the priority matrix (impact x criticality ->
// priority) and the auto-close policy. Stored as small JSON documents; the
// same shapes are what the API reads and writes.
#pragma once

#include <boost/json/object.hpp>

#include "desk/outcome.hpp"
#include "domain/actor.hpp"
#include "domain/error.hpp"
#include "domain/priority.hpp"
#include "domain/ticket_rules.hpp"
#include "store/tx.hpp"

namespace sd::desk {

// The matrix in force (the default one until an admin sets another).
PriorityMatrix priority_matrix(store::Tx& tx);
Result<Outcome<PriorityMatrix>> set_priority_matrix(store::Tx& tx, const Actor& a,
                                                    const PriorityMatrix& m, Instant now);

// How new tickets are routed: to a group serving their support level.
struct RoutingPolicy {
  bool group_by_level = true;
};
RoutingPolicy routing_policy(store::Tx& tx);
Result<Outcome<RoutingPolicy>> set_routing_policy(store::Tx& tx, const Actor& a,
                                                  const RoutingPolicy& p, Instant now);

AutoClosePolicy auto_close_policy(store::Tx& tx);
Result<Outcome<AutoClosePolicy>> set_auto_close_policy(store::Tx& tx, const Actor& a,
                                                       const AutoClosePolicy& p, Instant now);

// A secret key of the desk's, made once and shared by every node: it seals
// list cursors, and later signs the desk's mail. `name` tells keys apart.
std::string server_secret(store::Tx& tx, const std::string& name);

// {"not_critical": {"low": "low", ...}, ...}
boost::json::object matrix_to_json(const PriorityMatrix& m);
// Every one of the nine cells must be present; field errors name the cells.
Result<PriorityMatrix> matrix_from_json(const boost::json::object& matrix);

// {"enabled": true, "after_hours": 72}
boost::json::object auto_close_to_json(const AutoClosePolicy& p);
Result<AutoClosePolicy> auto_close_from_json(const boost::json::object& o);

}  // namespace sd::desk
