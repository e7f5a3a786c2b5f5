#include "fcgi/api/engine_routes.h"

#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

void AnswerEngineNotAttached(RequestContext& ctx, ResponseWriter& out, const ModelService& models) {
  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
  if (!body.ok()) {
    out.SendError(ApiError::BadRequest(body.status().message()));
    return;
  }
  if (models.state() == ModelState::kLoading) {
    out.SendError(ApiError::Unavailable("The model is still loading", "model_loading", ctx.config.retry_after_s));
    return;
  }
  out.SendError(ApiError::Unavailable("Text generation is not available: no engine is attached to this worker",
                                      "engine_not_attached", ctx.config.retry_after_s));
}

}  // namespace

void AddEngineRoutes(Router& router, const ModelService& models) {
  for (const char* path : {"/v1/chat/completions", "/v1/completions"}) {
    const char* name = std::string(path) == "/v1/completions" ? "completions" : "chat.completions";
    router.Add({"POST", path, name, false, [&models](RequestContext& ctx, ResponseWriter& out) {
                  AnswerEngineNotAttached(ctx, out, models);
                }});
  }
}

}  // namespace deepgate::fcgi
