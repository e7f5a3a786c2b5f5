// CountryPolicy: which client countries may use the API (export control). Either an
// allow-list (only these) or a deny-list (all but these), never both; addresses the GeoIP
// database cannot place follow `allow_unknown`. Pure and thread-safe (immutable).
#pragma once

#include <set>
#include <string>
#include <vector>

namespace deepgate::fcgi::policy {

struct CountryRules {
  std::vector<std::string> allow;  // ISO alpha-2, upper case; non-empty: allow-list mode
  std::vector<std::string> deny;   // deny-list mode
  bool allow_unknown = true;       // country "" (not in the database, loopback, ...)
};

struct CountryVerdict {
  bool allowed = true;
  std::string reason;  // refused: "country_denied", "country_not_allowed", "country_unknown"
};

class CountryPolicy {
 public:
  explicit CountryPolicy(const CountryRules& rules)
      : allow_(rules.allow.begin(), rules.allow.end()),
        deny_(rules.deny.begin(), rules.deny.end()),
        allow_unknown_(rules.allow_unknown) {}

  CountryVerdict Check(const std::string& country) const;

 private:
  std::set<std::string> allow_, deny_;
  bool allow_unknown_;
};

}  // namespace deepgate::fcgi::policy
