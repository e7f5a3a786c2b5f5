#include "fcgi/api/health.h"

#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {
// The key store's backend and whether it answers. Public (/ready needs no credentials), so
// no error text: that may name hosts; it goes to the worker log and the journal.
Json::Value KeyStoreState(const auth::KeyStore& store) {
  const auth::KeyStoreHealth h = store.Health();
  Json::Value v(Json::objectValue);
  v["backend"] = h.backend;
  v["reachable"] = h.reachable;
  if (h.backend != "sqlite") v["listening"] = h.listening;
  return v;
}

// The "redis" block of /ready; false when the worker cannot serve because of it.
bool RedisReadiness(RedisState& redis, Json::Value* block) {
  const bool up = redis.Probe();
  (*block)["state"] = up ? "up" : "down";
  (*block)["on_failure"] = redis.health->fallback();
  return up || !redis.fail_closed;
}
}  // namespace

void AddHealthRoutes(Router& router, const ModelService& models, const auth::KeyStore* key_store, RedisState* redis) {
  router.Add({"GET", "/health", "health", true, [](RequestContext&, ResponseWriter& out) {
                Json::Value body(Json::objectValue);
                body["status"] = "ok";
                out.SendJson(200, body);
              }});
  router.Add({"GET", "/ready", "ready", true, [&models, key_store, redis](RequestContext& ctx, ResponseWriter& out) {
                switch (models.state()) {
                  case ModelState::kReady: {
                    Json::Value body(Json::objectValue);
                    body["status"] = "ready";
                    // Still ready when the key store is not: recently verified keys keep working.
                    if (key_store != nullptr) body["key_store"] = KeyStoreState(*key_store);
                    if (redis != nullptr && !RedisReadiness(*redis, &body["redis"])) {
                      out.SendError(ApiError::Unavailable("Redis, which holds the rate limits, is unreachable",
                                                          "limits_unavailable", ctx.config.retry_after_s));
                      return;
                    }
                    out.SendJson(200, body);
                    return;
                  }
                  case ModelState::kLoading:
                    out.SendError(ApiError::Unavailable("The model is still loading", "model_loading",
                                                        ctx.config.retry_after_s));
                    return;
                  case ModelState::kFailed:
                    // The reason goes to the log at load time; the probe says only that it failed.
                    out.SendError(ApiError::Unavailable("The model failed to load; see the worker log",
                                                        "model_load_failed", 0));
                    return;
                }
              }});
}

}  // namespace deepgate::fcgi
