// POST /v1/completions: raw prompts (a string, or an array of strings — one group of `n`
// choices per prompt, indexed prompt * n + j) → engine, answered whole or as SSE.
// Prompt text is tokenized with special-token parsing off: a client cannot smuggle control
// tokens in as text.
#include <ctime>

#include "core/tokenizer/tokenizer.h"
#include "fcgi/api/completion_request_builder.h"
#include "fcgi/api/generation_handlers.h"
#include "fcgi/api/generation_runner.h"
#include "fcgi/api/openai_request.h"
#include "fcgi/api/openai_response.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi {
namespace {

struct TextChoiceState {
  std::string text;
  std::vector<api::TokenLogprobs> logprobs;
  FinishReason finish = FinishReason::kLength;
  Status status;
  int32_t completion_tokens = 0;
};


}  // namespace

void HandleCompletions(RequestContext& ctx, ResponseWriter& out, const ModelService& models,
                       TokenTimingObserver* timing) {
  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
  if (!body.ok()) {
    out.SendError(ApiError::BadRequest(body.status().message()));
    return;
  }
  api::CompletionRequest request;
  api::RequestError bad;
  if (!api::ParseCompletionRequest(*body, &request, &bad)) {
    out.SendError(ApiError::BadRequest(bad.message, bad.param));
    return;
  }
  ServingModel serving;
  if (auto error = ResolveModel(ctx, models, request.model, &serving)) {
    out.SendError(*error);
    return;
  }
  ctx.usage.model = serving.id;  // audit + tokens/min (RequestContext::usage)
  const Tokenizer& tokenizer = serving.model->tokenizer();
  const api::SamplingRequest& params = request.params;
  std::vector<EngineRequest> engine_requests;
  api::Usage usage;
  for (const std::string& text : request.prompts) {
    std::vector<int32_t> prompt = tokenizer.Encode(text, /*add_special=*/true, /*parse_special=*/false);
    usage.prompt_tokens += static_cast<int64_t>(prompt.size());
    if (auto error = BuildEngineRequests(prompt, params, serving.engine->options().n_ctx, ctx.deadline, "prompt",
                                         &engine_requests)) {
      out.SendError(*error);
      return;
    }
  }
  GenerationRunner runner(timing);
  if (auto error = runner.Submit(*serving.engine, std::move(engine_requests), ctx.config.retry_after_s)) {
    out.SendError(*error);
    return;
  }
  std::vector<TextChoiceState> choices(runner.size());
  ctx.usage.prompt_tokens = usage.prompt_tokens;  // as the usage object reports it
  const api::Envelope env{"cmpl-" + out.request_id(), static_cast<int64_t>(std::time(nullptr)), serving.id};

  if (!params.stream) {
    const bool complete = runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
      TextChoiceState& c = choices[i];
      c.text += e.text;
      if (!e.done && params.logprobs) c.logprobs.push_back({e.token, e.sample});
      if (e.done) {
        c.finish = e.finish;
        c.status = e.status;
        c.completion_tokens = e.completion_tokens;
        ctx.usage.completion_tokens += e.completion_tokens;
      }
      return true;
    });
    if (!complete) {
      out.SendError(CancelledError(ctx.config.retry_after_s));
      return;
    }
    std::vector<api::TextChoice> result;
    for (size_t i = 0; i < choices.size(); ++i) {
      TextChoiceState& c = choices[i];
      if (!c.status.ok()) {
        out.SendError(ApiError::FromStatus(c.status, ctx.config.retry_after_s));
        return;
      }
      usage.completion_tokens += c.completion_tokens;
      api::TextChoice choice;
      choice.index = static_cast<int>(i);
      choice.text = std::move(c.text);
      choice.finish_reason = FinishReasonText(c.finish);
      if (params.logprobs) choice.logprobs = api::CompletionLogprobsJson(tokenizer, c.logprobs);
      result.push_back(std::move(choice));
    }
    out.SendJson(200, api::CompletionJson(env, result, usage));
    return;
  }

  if (!out.StartStream()) {
    runner.Pump(ctx, [](size_t, const EngineEvent&) { return false; });
    return;
  }
  auto send = [&](const Json::Value& chunk) { return out.WriteEvent(WriteJson(chunk)); };
  std::optional<Status> failure;
  const bool complete = runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
    api::TextChoice chunk;
    chunk.index = static_cast<int>(i);
    chunk.text = e.text;
    if (!e.done && params.logprobs) chunk.logprobs = api::CompletionLogprobsJson(tokenizer, {{e.token, e.sample}});
    if (e.done) {
      usage.completion_tokens += e.completion_tokens;
      ctx.usage.completion_tokens += e.completion_tokens;
      if (!e.status.ok()) {
        failure = e.status;
        return true;
      }
      chunk.finish_reason = FinishReasonText(e.finish);
    } else if (chunk.text.empty() && !chunk.logprobs) {
      return true;
    }
    return send(api::CompletionJson(env, {chunk}, std::nullopt));
  });
  if (!complete) return;
  if (failure && !WriteStreamError(out, *failure, ctx.config.retry_after_s)) return;
  if (params.include_usage) {
    Json::Value last = api::CompletionJson(env, {}, usage);
    if (!send(last)) return;
  }
  out.FinishStream();
}

}  // namespace deepgate::fcgi
