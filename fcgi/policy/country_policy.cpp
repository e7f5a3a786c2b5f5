#include "fcgi/policy/country_policy.h"

namespace deepgate::fcgi::policy {

CountryVerdict CountryPolicy::Check(const std::string& country) const {
  if (country.empty()) return allow_unknown_ ? CountryVerdict{} : CountryVerdict{false, "country_unknown"};
  if (!allow_.empty() && !allow_.count(country)) return {false, "country_not_allowed"};
  if (deny_.count(country)) return {false, "country_denied"};
  return {};
}

}  // namespace deepgate::fcgi::policy
