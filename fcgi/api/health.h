// Liveness and readiness probes: GET /health (200 while the process serves requests) and
// GET /ready (200 once the model is loaded; 503 + Retry-After while loading, 503 if it failed).
#pragma once

#include "fcgi/auth/key_store.h"
#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

// `key_store` (may be null): /ready also reports its backend and state (key_store object).
void AddHealthRoutes(Router& router, const ModelService& models, const auth::KeyStore* key_store = nullptr);

}  // namespace deepgate::fcgi
