#include "fcgi/http/router.h"

namespace deepgate::fcgi {

void Router::Add(Route route) { routes_.push_back(std::move(route)); }

bool Router::PathMatches(const std::string& pattern, const std::string& path, std::string* param) {
  const size_t brace = pattern.find('{');
  if (brace == std::string::npos) return pattern == path;
  // Prefix up to the parameter must match exactly; the parameter must not be empty.
  if (path.size() <= brace || path.compare(0, brace, pattern, 0, brace) != 0) return false;
  *param = path.substr(brace);
  return true;
}

RouteMatch Router::Match(const std::string& method, const std::string& path) const {
  RouteMatch m;
  std::string allow;
  for (const Route& r : routes_) {
    std::string param;
    if (!PathMatches(r.pattern, path, &param)) continue;
    if (r.method == method) {
      m.route = &r;
      m.param = std::move(param);
      return m;
    }
    if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!allow.empty()) m.error = ApiError::MethodNotAllowed(method, path, allow);
  else m.error = ApiError::NotFound("Unknown route: " + method + " " + path, "unknown_route");
  return m;
}

}  // namespace deepgate::fcgi
