// POST /v1/chat/completions: messages → chat template → engine, answered whole or as SSE.
// R1-style models (templates that open a <think> block) have their reasoning returned as
// `reasoning_content` apart from `content`, streamed as deltas of their own — as DeepSeek's
// API does.
#include <ctime>

#include "core/chat_prompt.h"
#include "core/reasoning.h"
#include "core/tokenizer/tokenizer.h"
#include "fcgi/api/completion_request_builder.h"
#include "fcgi/api/generation_handlers.h"
#include "fcgi/api/generation_runner.h"
#include "fcgi/api/openai_request.h"
#include "fcgi/api/openai_response.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi {
namespace {

struct ChoiceState {
  std::optional<ReasoningStreamSplitter> splitter;  // set for reasoning templates
  std::string content, reasoning;
  std::vector<api::TokenLogprobs> logprobs;
  FinishReason finish = FinishReason::kLength;
  Status status;
  int32_t completion_tokens = 0;
};

ReasoningSplit Split(ChoiceState& c, const std::string& text, bool final) {
  if (!c.splitter) {
    ReasoningSplit s;
    s.content = text;
    return s;
  }
  ReasoningSplit s = c.splitter->Push(text);
  if (final) {
    ReasoningSplit tail = c.splitter->Finish();
    s.reasoning += tail.reasoning;
    s.content += tail.content;
  }
  return s;
}


}  // namespace

void HandleChatCompletions(RequestContext& ctx, ResponseWriter& out, const ModelService& models,
                           TokenTimingObserver* timing) {
  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
  if (!body.ok()) {
    out.SendError(ApiError::BadRequest(body.status().message()));
    return;
  }
  api::ChatCompletionRequest request;
  api::RequestError bad;
  if (!api::ParseChatCompletionRequest(*body, &request, &bad)) {
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
  Result<ChatTemplateKind> kind = ChatTemplateForModel(tokenizer, serving.model->info().chat_template);
  if (!kind.ok()) {
    out.SendError(ApiError::BadRequest("This model has no chat template we can use (" + kind.status().message() +
                                           "); use /v1/completions",
                                       "model", "no_chat_template"));
    return;
  }
  Result<std::vector<int32_t>> prompt = TokenizeChat(tokenizer, *kind, request.messages);
  if (!prompt.ok()) {
    out.SendError(ApiError::BadRequest(prompt.status().message(), "messages"));
    return;
  }
  std::vector<EngineRequest> engine_requests;
  if (auto error = BuildEngineRequests(*prompt, request.params, serving.engine->options().n_ctx, ctx.deadline,
                                       "messages", &engine_requests)) {
    out.SendError(*error);
    return;
  }
  GenerationRunner runner(timing);
  if (auto error = runner.Submit(*serving.engine, std::move(engine_requests), ctx.config.retry_after_s)) {
    out.SendError(*error);
    return;
  }

  const bool reasoning = ChatTemplateOpensReasoning(*kind);
  std::vector<ChoiceState> choices(runner.size());
  for (auto& c : choices) {
    if (reasoning) c.splitter.emplace(true);
  }
  const api::Envelope env{"chatcmpl-" + out.request_id(), static_cast<int64_t>(std::time(nullptr)), serving.id};
  const api::SamplingRequest& params = request.params;
  api::Usage usage;
  usage.prompt_tokens = static_cast<int64_t>(prompt->size());
  ctx.usage.prompt_tokens = usage.prompt_tokens;  // as the usage object reports it

  if (!params.stream) {
    const bool complete = runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
      ChoiceState& c = choices[i];
      ReasoningSplit s = Split(c, e.text, e.done);
      c.reasoning += s.reasoning;
      c.content += s.content;
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
    std::vector<api::ChatChoice> result;
    for (size_t i = 0; i < choices.size(); ++i) {
      ChoiceState& c = choices[i];
      if (!c.status.ok()) {
        out.SendError(ApiError::FromStatus(c.status, ctx.config.retry_after_s));
        return;
      }
      usage.completion_tokens += c.completion_tokens;
      api::ChatChoice choice;
      choice.index = static_cast<int>(i);
      choice.content = std::move(c.content);
      if (reasoning) choice.reasoning_content = std::move(c.reasoning);
      choice.finish_reason = FinishReasonText(c.finish);
      if (params.logprobs) choice.logprobs = api::ChatLogprobsJson(tokenizer, c.logprobs);
      result.push_back(std::move(choice));
    }
    out.SendJson(200, api::ChatCompletionJson(env, result, usage));
    return;
  }

  // Streaming: a role chunk per choice, then deltas as tokens arrive, a finish chunk per
  // choice, the usage chunk when asked, and [DONE].
  if (!out.StartStream()) {
    runner.Pump(ctx, [](size_t, const EngineEvent&) { return false; });
    return;
  }
  auto send = [&](const Json::Value& chunk) { return out.WriteEvent(WriteJson(chunk)); };
  bool client_ok = true;
  for (size_t i = 0; i < choices.size() && client_ok; ++i) {
    api::ChatDelta d;
    d.index = static_cast<int>(i);
    d.role = true;
    d.content = "";
    client_ok = send(api::ChatChunkJson(env, d));
  }
  std::optional<Status> failure;
  const bool complete = client_ok && runner.Pump(ctx, [&](size_t i, const EngineEvent& e) {
    ChoiceState& c = choices[i];
    ReasoningSplit s = Split(c, e.text, e.done);
    api::ChatDelta d;
    d.index = static_cast<int>(i);
    if (!s.content.empty()) d.content = s.content;
    if (!s.reasoning.empty()) d.reasoning_content = s.reasoning;
    if (!e.done && params.logprobs) d.logprobs = api::ChatLogprobsJson(tokenizer, {{e.token, e.sample}});
    if ((d.content || d.reasoning_content || d.logprobs) && !send(api::ChatChunkJson(env, d))) return false;
    if (!e.done) return true;
    usage.completion_tokens += e.completion_tokens;
    ctx.usage.completion_tokens += e.completion_tokens;
    if (!e.status.ok()) {
      failure = e.status;
      return true;
    }
    api::ChatDelta fin;
    fin.index = static_cast<int>(i);
    fin.finish_reason = FinishReasonText(e.finish);
    return send(api::ChatChunkJson(env, fin));
  });
  if (!complete) return;  // the client is gone or the request was cut short: nothing more to say
  if (failure && !WriteStreamError(out, *failure, ctx.config.retry_after_s)) return;
  if (params.include_usage && !send(api::ChatUsageChunkJson(env, usage))) return;
  out.FinishStream();
}

}  // namespace deepgate::fcgi
