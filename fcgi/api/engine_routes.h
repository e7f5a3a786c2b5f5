// The generation routes, POST /v1/chat/completions and POST /v1/completions, as they stand
// before the engine is attached: the body is parsed and validated as JSON (400 on malformed
// input) and the request is answered 503 "engine not attached".
//
// Engine seam: replace AddEngineRoutes with the real chat/completions handlers (same route
// names "chat.completions" / "completions"); they get the parsed body via ParseJsonObject,
// the model via ModelService::model(), cancellation via RequestContext::ShouldStop(), and
// stream with ResponseWriter::StartStream / WriteEvent / FinishStream.
#pragma once

#include "fcgi/http/router.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

void AddEngineRoutes(Router& router, const ModelService& models);

}  // namespace deepgate::fcgi
