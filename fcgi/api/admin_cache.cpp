#include "fcgi/api/admin_cache.h"

#include <cstdio>

#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

void AddAdminCacheRoutes(Router& router, cache::ResponseCache& cache) {
  router.Add({"POST", "/admin/cache/purge", "admin.cache.purge", false, [&cache](RequestContext& ctx, ResponseWriter& out) {
                std::string subject;
                const bool has_body = ctx.request.body.find_first_not_of(" \t\r\n") != std::string::npos;
                if (has_body) {
                  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
                  if (!body.ok()) return (void)out.SendError(ApiError::BadRequest(body.status().message()));
                  for (const std::string& member : body->getMemberNames())
                    if (member != "subject")
                      return (void)out.SendError(ApiError::BadRequest("Unknown field '" + member.substr(0, 64) + "'", member.substr(0, 64)));
                  const Json::Value& s = body->get("subject", Json::Value());
                  if (!s.isNull() && (!s.isString() || s.asString().empty() || s.asString().size() > 256))
                    return (void)out.SendError(ApiError::BadRequest("'subject' must be a non-empty string", "subject"));
                  if (s.isString()) subject = s.asString();
                }
                const size_t n = subject.empty() ? cache.PurgeAll() : cache.PurgeSubject(subject);
                std::fprintf(stderr, "deepgate-fcgi: cache purge by %s: %zu entr%s%s\n", ctx.principal.subject.c_str(), n,
                             n == 1 ? "y" : "ies", subject.empty() ? "" : " (one subject)");
                Json::Value answer(Json::objectValue);
                answer["purged"] = Json::UInt64(n);
                if (!subject.empty()) answer["subject"] = subject;
                out.SendJson(200, answer);
              }});
}

}  // namespace deepgate::fcgi
