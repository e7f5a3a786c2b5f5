#include "fcgi/policy/overflow_policy.h"

#include <algorithm>

namespace deepgate::fcgi {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

const char* OverflowVerdictName(OverflowVerdict v) {
  switch (v) {
    case OverflowVerdict::kAllowed: return "allowed";
    case OverflowVerdict::kDisabled: return "disabled";
    case OverflowVerdict::kUnauthenticated: return "unauthenticated";
    case OverflowVerdict::kRoleNotAllowed: return "role_not_allowed";
    case OverflowVerdict::kLocalOnly: return "local_only";
    case OverflowVerdict::kCountryNotAllowed: return "country_not_allowed";
  }
  return "unknown";
}

OverflowVerdict DecideOverflow(const OverflowConfig& c, const Principal& p, const ClientOrigin& origin) {
  if (!c.enabled) return OverflowVerdict::kDisabled;
  if (!p.authenticated) return OverflowVerdict::kUnauthenticated;
  if (!Contains(c.roles, p.role)) return OverflowVerdict::kRoleNotAllowed;
  const bool local_only =
      p.data_policy == DataPolicy::kDeploymentDefault ? c.local_only_default : p.data_policy == DataPolicy::kLocalOnly;
  if (local_only) return OverflowVerdict::kLocalOnly;
  // An unplaceable client ("" country) is not in any list: with a list set it stays local.
  if (!c.allow_countries.empty() && !Contains(c.allow_countries, origin.country))
    return OverflowVerdict::kCountryNotAllowed;
  return OverflowVerdict::kAllowed;
}

}  // namespace deepgate::fcgi
