#include "fcgi/auth/roles.h"

namespace deepgate::fcgi::auth {

RoleMap DefaultRoles() {
  return {
      {"admin", {"*"}},
      {"developer", {"chat.completions", "completions", "models.*", "me.usage"}},
      {"monitor", {"health", "ready", "metrics", "admin.audit", "admin.usage"}},
  };
}

namespace {
bool Matches(const std::string& pattern, const std::string& name) {
  if (pattern == "*") return true;
  if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, ".*") == 0)
    return name.size() > pattern.size() - 1 && name.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  return pattern == name;
}
}  // namespace

bool RoleTable::Allows(const std::string& role, const std::string& route_name) const {
  auto it = roles_.find(role);
  if (it == roles_.end()) return false;
  for (const auto& p : it->second)
    if (Matches(p, route_name)) return true;
  return false;
}

std::set<std::string> RoleTable::Names() const {
  std::set<std::string> out;
  for (const auto& [name, patterns] : roles_) out.insert(name);
  return out;
}

bool IsValidRoutePattern(const std::string& p) {
  if (p == "*") return true;
  std::string name = p;
  if (name.size() > 2 && name.compare(name.size() - 2, 2, ".*") == 0) name.resize(name.size() - 2);
  if (name.empty() || name.size() > 128) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return false;
  return true;
}

}  // namespace deepgate::fcgi::auth
