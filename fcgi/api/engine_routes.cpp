#include "fcgi/api/engine_routes.h"

#include "fcgi/api/cached_generation.h"
#include "fcgi/api/generation_handlers.h"
#include "fcgi/auth/auth_stages.h"

namespace deepgate::fcgi {

std::optional<ApiError> ResolveModel(RequestContext& ctx, const ModelService& models,
                                     const std::string& requested_id, ServingModel* out) {
  // The key's model allow-list, checked before existence so a key learns nothing of others.
  if (auto denied = auth::CheckModelAllowed(ctx.principal, requested_id)) {
    ctx.Refuse(*denied);
    return ApiError::FromRefusal(*denied, ctx.config.retry_after_s);
  }
  if (!models.FindCard(requested_id)) {
    return ApiError::NotFound("The model '" + requested_id.substr(0, 200) + "' does not exist", "model_not_found");
  }
  switch (models.state()) {
    case ModelState::kLoading:
      return ApiError::Unavailable("The model is still loading", "model_loading", ctx.config.retry_after_s);
    case ModelState::kFailed:
      return ApiError::Unavailable("The model could not be loaded", "model_unavailable", ctx.config.retry_after_s);
    case ModelState::kReady:
      break;
  }
  out->model = models.model();
  out->engine = models.engine();
  out->id = requested_id;
  if (!out->model || !out->engine) {
    return ApiError::Unavailable("Text generation is not available in this worker", "engine_not_attached",
                                 ctx.config.retry_after_s);
  }
  return std::nullopt;
}

void AddEngineRoutes(Router& router, const ModelService& models, cache::ResponseCache* cache,
                     cache::CacheScope scope, TokenTimingObserver* timing) {
  Handler chat = [&models, timing](RequestContext& ctx, ResponseWriter& out) {
    HandleChatCompletions(ctx, out, models, timing);
  };
  Handler text = [&models, timing](RequestContext& ctx, ResponseWriter& out) {
    HandleCompletions(ctx, out, models, timing);
  };
  if (cache != nullptr) {
    chat = CachedGeneration(*cache, scope, "chatcmpl-", std::move(chat));
    text = CachedGeneration(*cache, scope, "cmpl-", std::move(text));
  }
  router.Add({"POST", "/v1/chat/completions", "chat.completions", false, std::move(chat)});
  router.Add({"POST", "/v1/completions", "completions", false, std::move(text)});
}

}  // namespace deepgate::fcgi
