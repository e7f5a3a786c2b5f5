#include "fcgi/api/admin_cache.h"

#include <cstdio>
#include <ctime>

#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

namespace {
// With a shared store (PostgreSQL) the purge is queued so other hosts' workers apply it too.
// A SQLite store keeps the single-host behaviour: the purge stays in this worker.
bool QueueForOtherHosts(auth::KeyStore* store, const std::string& subject, int64_t now, ResponseWriter& out) {
  if (store == nullptr || store->Health().backend == "sqlite") return true;
  if (Result<int64_t> seq = store->RecordCachePurge(subject, now); seq.ok()) return true;
  out.SendError(ApiError::Unavailable("The key store is unavailable: this worker's cache was purged, other hosts' "
                                      "were not; try again shortly",
                                      "key_store_unavailable", 5));
  return false;
}
}  // namespace

void AddAdminCacheRoutes(Router& router, cache::ResponseCache& cache, auth::KeyStore* store) {
  router.Add({"POST", "/admin/cache/purge", "admin.cache.purge", false, [&cache, store](RequestContext& ctx, ResponseWriter& out) {
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
                if (!QueueForOtherHosts(store, subject, std::time(nullptr), out)) return;
                Json::Value answer(Json::objectValue);
                answer["purged"] = Json::UInt64(n);
                if (!subject.empty()) answer["subject"] = subject;
                out.SendJson(200, answer);
              }});
}

}  // namespace deepgate::fcgi
