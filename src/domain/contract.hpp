// Contracts (issue 8: coverage = the warranty period): per organisation,
// the dates it covers, the service-level policies it brings, and what
// happens to a request outside coverage. A ticket's coverage is decided
// when it is opened and kept.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "domain/enums.hpp"
#include "domain/error.hpp"
#include "domain/time.hpp"

namespace sd {

// Outside coverage: accept with a warning on the ticket, or refuse.
enum class OutsideCoverage : std::uint8_t { warn, refuse };
template <>
struct EnumNames<OutsideCoverage> {
  static constexpr std::array names{std::string_view{"warn"}, std::string_view{"refuse"}};
};

// What a ticket's coverage was when it was opened: its organisation had no
// contract at all (none), one in force (covered), or only ones out of force
// (outside).
enum class Coverage : std::uint8_t { none, covered, outside };
template <>
struct EnumNames<Coverage> {
  static constexpr std::array names{std::string_view{"none"}, std::string_view{"covered"},
                                    std::string_view{"outside"}};
};

struct Contract {
  Id id = 0;
  Id organisation_id = 0;
  std::string name;
  std::string starts_on, ends_on;  // YYYY-MM-DD, both days included (UTC)
  // The policies that apply to its tickets (empty: any policy that fits).
  std::vector<Id> policy_ids;
  OutsideCoverage outside = OutsideCoverage::warn;
  Instant created_at{};
  Instant updated_at{};
};

// Field errors of a contract, its organisation's and policies' existence
// aside: a name, real dates, the end not before the start.
std::vector<FieldError> check_contract(const Contract& c);

// Whether `c` is in force on the UTC date of `at`.
bool in_force(const Contract& c, Instant at);

// The coverage of a ticket opened at `at` by someone of an organisation
// with these contracts, and the contract that decides it: the one in force
// that ends last, or else the one that ended last (whose `outside` rule
// applies).
struct CoverageDecision {
  Coverage coverage = Coverage::none;
  std::optional<Contract> contract;
};
CoverageDecision decide_coverage(const std::vector<Contract>& of_organisation, Instant at);

// Days from the UTC date of `at` to the contract's end (negative once ended).
long days_left(const Contract& c, Instant at);

}  // namespace sd
