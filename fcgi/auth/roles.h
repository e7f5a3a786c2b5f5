// RoleTable: which routes each role may call, by route name (fcgi/http/router.h). A pattern is
// a route name ("chat.completions"), a family ("models.*" matches "models.list") or "*".
// Roles come from config; DefaultRoles() is what ships.
// Thread-safety: immutable after construction.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace deepgate::fcgi::auth {

using RoleMap = std::map<std::string, std::vector<std::string>>;

// admin: everything, /admin/* included; developer: inference, /v1/models and its own usage;
// monitor: probes, metrics and the read-only audit/usage API.
RoleMap DefaultRoles();

class RoleTable {
 public:
  explicit RoleTable(RoleMap roles) : roles_(std::move(roles)) {}
  bool Exists(const std::string& role) const { return roles_.count(role) != 0; }
  bool Allows(const std::string& role, const std::string& route_name) const;
  std::set<std::string> Names() const;

 private:
  RoleMap roles_;
};

// True when a pattern is well formed: a name of [a-z0-9_.-], optionally ending in ".*", or "*".
bool IsValidRoutePattern(const std::string& pattern);

}  // namespace deepgate::fcgi::auth
