// Liveness and readiness probes: GET /health (200 while the process serves requests) and
// GET /ready (200 once the model is loaded; 503 + Retry-After while loading, 503 if it failed).
#pragma once

#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

void AddHealthRoutes(Router& router, const ModelService& models);

}  // namespace deepgate::fcgi
