#include "fcgi/api/generation_flow.h"

#include <ctime>

#include "fcgi/api/cached_generation.h"
#include "fcgi/api/completion_request_builder.h"
#include "fcgi/api/generation_runner.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi {
namespace {

// The model and engine a request names, or the error to answer: 404 for an unknown model,
// 503 (+ Retry-After) while loading or when loading failed.
struct ServingModel {
  std::shared_ptr<Model> model;
  std::shared_ptr<Engine> engine;
};

std::optional<ApiError> ResolveModel(const RequestContext& ctx, const ModelService& models, const std::string& id,
                                     ServingModel* out) {
  if (!models.FindCard(id))
    return ApiError::NotFound("The model '" + id.substr(0, 200) + "' does not exist", "model_not_found");
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
  if (!out->model || !out->engine)
    return ApiError::Unavailable("Text generation is not available in this worker", "engine_not_attached",
                                 ctx.config.retry_after_s);
  return std::nullopt;
}

// Pumps every choice to its end, collecting text (endpoint) and outcomes; one JSON answer.
void AnswerWhole(GenerationEndpoint& endpoint, GenerationRunner& runner, const api::Envelope& env, api::Usage usage,
                 RequestContext& ctx, ResponseWriter& out) {
  const bool logprobs = endpoint.params().logprobs;
  std::vector<ChoiceOutcome> choices(runner.size());
  const bool complete = runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
    endpoint.Collect(i, e);
    ChoiceOutcome& c = choices[i];
    if (!e.done && logprobs) c.logprobs.push_back({e.token, e.sample});
    if (e.done) {
      c.finish = e.finish;
      c.status = e.status;
      c.completion_tokens = e.completion_tokens;
      ctx.usage.completion_tokens += e.completion_tokens;
    }
    return true;
  });
  if (!complete) return (void)out.SendError(CancelledError(ctx.config.retry_after_s));
  for (const ChoiceOutcome& c : choices) {
    if (!c.status.ok()) return (void)out.SendError(ApiError::FromStatus(c.status, ctx.config.retry_after_s));
    usage.completion_tokens += c.completion_tokens;
  }
  out.SendJson(200, endpoint.Whole(env, choices, usage));
}

// SSE: the endpoint's opening chunks, its chunks per event as tokens arrive, a failure as an
// error event, the usage chunk when asked, and [DONE].
void AnswerStream(GenerationEndpoint& endpoint, GenerationRunner& runner, const api::Envelope& env, api::Usage usage,
                  RequestContext& ctx, ResponseWriter& out) {
  if (!out.StartStream()) {
    runner.Pump(ctx, [](size_t, const EngineEvent&) { return false; });
    return;
  }
  auto send = [&](const std::vector<Json::Value>& chunks) {
    for (const Json::Value& chunk : chunks)
      if (!out.WriteEvent(WriteJson(chunk))) return false;
    return true;
  };
  std::optional<Status> failure;
  const bool complete = send(endpoint.StreamOpening(env)) && runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
    if (e.done) {
      usage.completion_tokens += e.completion_tokens;
      ctx.usage.completion_tokens += e.completion_tokens;
      if (!e.status.ok()) failure = e.status;
    }
    return send(endpoint.StreamEvent(env, i, e));
  });
  if (!complete) return;  // the client is gone or the request was cut short: nothing more to say
  if (failure && !WriteStreamError(out, *failure, ctx.config.retry_after_s)) return;
  if (endpoint.params().include_usage && !send({endpoint.StreamUsage(env, usage)})) return;
  out.FinishStream();
}

// Steps 4 and 5: model, prompts, engine requests, submit, answer.
void Generate(GenerationEndpoint& endpoint, const GenerationServices& services, RequestContext& ctx,
              ResponseWriter& out) {
  ServingModel serving;
  if (auto error = ResolveModel(ctx, services.models, endpoint.model_id(), &serving))
    return (void)out.SendError(*error);
  ctx.usage.model = endpoint.model_id();  // audit + tokens/min (RequestContext::usage)
  std::vector<std::vector<int32_t>> prompts;
  if (auto error = endpoint.BuildPrompts(*serving.model, &prompts)) return (void)out.SendError(*error);
  api::Usage usage;
  std::vector<EngineRequest> requests;
  for (const std::vector<int32_t>& prompt : prompts) {
    usage.prompt_tokens += static_cast<int64_t>(prompt.size());
    if (auto error = BuildEngineRequests(prompt, endpoint.params(), serving.engine->options().n_ctx, ctx.deadline,
                                         endpoint.prompt_param(), &requests))
      return (void)out.SendError(*error);
  }
  GenerationRunner runner(services.engine_share, services.timing);
  if (auto error = runner.Submit(ctx, *serving.engine, std::move(requests), ctx.config.retry_after_s))
    return (void)out.SendError(*error);
  ctx.usage.prompt_tokens = usage.prompt_tokens;  // as the usage object reports it
  endpoint.StartChoices(runner.size(), serving.model->tokenizer());
  const api::Envelope env{endpoint.id_prefix() + out.request_id(), static_cast<int64_t>(std::time(nullptr)),
                          endpoint.model_id()};
  if (endpoint.params().stream) AnswerStream(endpoint, runner, env, usage, ctx, out);
  else AnswerWhole(endpoint, runner, env, usage, ctx, out);
}

}  // namespace

void ServeGeneration(GenerationEndpoint& endpoint, const GenerationServices& services, RequestContext& ctx,
                     ResponseWriter& out) {
  // 1. parse, once
  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
  if (!body.ok()) return (void)out.SendError(ApiError::BadRequest(body.status().message()));
  api::RequestError bad;
  if (!endpoint.Parse(*body, &bad)) return (void)out.SendError(ApiError::BadRequest(bad.message, bad.param));
  // 2. the key's model allow-list, before existence so a key learns nothing of other models
  if (std::optional<Refusal> denied = auth::CheckModelAllowed(ctx.principal, endpoint.model_id())) {
    ctx.Refuse(*denied);
    return (void)out.SendError(ApiError::FromRefusal(*denied, ctx.config.retry_after_s));
  }
  // 3. the response cache; 4-5. generation
  if (services.cache == nullptr) return Generate(endpoint, services, ctx, out);
  ServeCached(*services.cache, services.cache_scope, endpoint.id_prefix(), ctx, out, *body,
              [&] { Generate(endpoint, services, ctx, out); });
}

}  // namespace deepgate::fcgi
