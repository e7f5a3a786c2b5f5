// Router: method + path → route. Paths are exact ("/v1/models") or end in one parameter that
// takes the rest of the path ("/v1/models/{id}", id may contain '/'). An unknown path is 404;
// a known path with the wrong method is 405 with an Allow header listing the right ones.
// Thread-safety: built once at startup, then read-only (Match is const).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "fcgi/http/api_error.h"
#include "fcgi/http/request.h"
#include "fcgi/http/response_writer.h"

namespace deepgate::fcgi {

struct RequestContext;  // fcgi/server/pipeline.h
using Handler = std::function<void(RequestContext& ctx, ResponseWriter& out)>;

struct Route {
  std::string method;
  std::string pattern;   // "/v1/models" or "/v1/models/{id}"
  std::string name;      // stable name for authorisation and audit ("models.get")
  bool is_public = false;  // liveness/readiness probes: no credentials needed
  Handler handler;
  // A public route the policy stage still guards: country rules and the default rate limits
  // per client address (the OAuth token endpoint, which takes credentials in its body).
  bool policy_when_public = false;
};

struct RouteMatch {
  const Route* route = nullptr;  // null: `error` says why
  std::string param;             // the {…} part, "" for exact routes
  ApiError error;
};

class Router {
 public:
  void Add(Route route);
  RouteMatch Match(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  // Matches path against pattern; on a match sets *param.
  static bool PathMatches(const std::string& pattern, const std::string& path, std::string* param);
  std::vector<Route> routes_;
};

}  // namespace deepgate::fcgi
