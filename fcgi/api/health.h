// Liveness and readiness probes: GET /health (200 while the process serves requests) and
// GET /ready (200 once the model is loaded; 503 + Retry-After while loading, 503 if it failed).
// With Redis configured /ready also checks it (one PING) and reports it in a "redis" block:
// {"state": "up" | "down", "on_failure": ...}; down under limits.on_backend_failure =
// fail_closed is 503 limits_unavailable (this worker refuses limited requests meanwhile).
#pragma once

#include "fcgi/auth/key_store.h"
#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/redis_setup.h"

namespace deepgate::fcgi {

// `key_store` (may be null): /ready also reports its backend and state (key_store object).
// `redis`: null when none is configured.
void AddHealthRoutes(Router& router, const ModelService& models, const auth::KeyStore* key_store = nullptr,
                     RedisState* redis = nullptr);

}  // namespace deepgate::fcgi
