// Registers the generation routes, POST /v1/chat/completions ("chat.completions") and
// POST /v1/completions ("completions"), served by the engine that ModelService owns.
#pragma once

#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

void AddEngineRoutes(Router& router, const ModelService& models);

}  // namespace deepgate::fcgi
