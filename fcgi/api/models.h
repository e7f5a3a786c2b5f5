// OpenAI's model listing: GET /v1/models and GET /v1/models/{id}.
#pragma once

#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

void AddModelRoutes(Router& router, const ModelService& models);

}  // namespace deepgate::fcgi
