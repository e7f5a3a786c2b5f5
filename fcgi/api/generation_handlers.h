// POST /v1/chat/completions and POST /v1/completions over the engine.
// Thread-safety: handlers run on acceptor threads, any number at once; all shared state is
// behind ModelService and Engine.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "core/engine.h"
#include "core/model/model.h"
#include "fcgi/base/token_timing.h"
#include "fcgi/http/api_error.h"
#include "fcgi/http/response_writer.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

// The model and engine a request names, or the error to answer: 404 for an unknown model,
// 503 (+ Retry-After) while loading or when loading failed.
struct ServingModel {
  std::shared_ptr<Model> model;
  std::shared_ptr<Engine> engine;
  std::string id;
};
std::optional<ApiError> ResolveModel(RequestContext& ctx, const ModelService& models,
                                     const std::string& requested_id, ServingModel* out);

void HandleChatCompletions(RequestContext& ctx, ResponseWriter& out, const ModelService& models,
                           TokenTimingObserver* timing);
void HandleCompletions(RequestContext& ctx, ResponseWriter& out, const ModelService& models,
                       TokenTimingObserver* timing);

}  // namespace deepgate::fcgi
