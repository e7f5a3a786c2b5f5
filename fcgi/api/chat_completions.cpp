// POST /v1/chat/completions: messages → chat template → engine, answered whole or as SSE.
// R1-style models (templates that open a <think> block) have their reasoning returned as
// `reasoning_content` apart from `content`, streamed as deltas of their own — as DeepSeek's
// API does. A stream opens with a role chunk per choice and ends each choice with a finish
// chunk of its own.
#include "core/chat_prompt.h"
#include "core/reasoning.h"
#include "core/tokenizer/tokenizer.h"
#include "fcgi/api/generation_endpoints.h"
#include "fcgi/api/generation_runner.h"

namespace deepgate::fcgi {
namespace {

class ChatCompletionsEndpoint final : public GenerationEndpoint {
 public:
  bool Parse(const Json::Value& body, api::RequestError* bad) override {
    return api::ParseChatCompletionRequest(body, &request_, bad);
  }
  const std::string& model_id() const override { return request_.model; }
  const api::SamplingRequest& params() const override { return request_.params; }

  const char* prompt_param() const override { return "messages"; }
  std::optional<ApiError> BuildPrompts(const Model& model, std::vector<std::vector<int32_t>>* prompts) override {
    Result<ChatTemplateKind> kind = ChatTemplateForModel(model.tokenizer(), model.info().chat_template);
    if (!kind.ok())
      return ApiError::BadRequest(
          "This model has no chat template we can use (" + kind.status().message() + "); use /v1/completions", "model",
          "no_chat_template");
    Result<std::vector<int32_t>> prompt = TokenizeChat(model.tokenizer(), *kind, request_.messages);
    if (!prompt.ok()) return ApiError::BadRequest(prompt.status().message(), "messages");
    reasoning_ = ChatTemplateOpensReasoning(*kind);
    prompts->push_back(std::move(prompt).value());
    return std::nullopt;
  }

  const char* id_prefix() const override { return "chatcmpl-"; }
  void StartChoices(size_t n, const Tokenizer& tokenizer) override {
    tokenizer_ = &tokenizer;
    texts_.resize(n);
    for (ChoiceText& t : texts_)
      if (reasoning_) t.splitter.emplace(true);
  }

  void Collect(size_t choice, const EngineEvent& e) override {
    ReasoningSplit s = Split(choice, e);
    texts_[choice].reasoning += s.reasoning;
    texts_[choice].content += s.content;
  }
  Json::Value Whole(const api::Envelope& env, std::vector<ChoiceOutcome>& outcomes, const api::Usage& usage) override {
    std::vector<api::ChatChoice> result;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      api::ChatChoice choice;
      choice.index = static_cast<int>(i);
      choice.content = std::move(texts_[i].content);
      if (reasoning_) choice.reasoning_content = std::move(texts_[i].reasoning);
      choice.finish_reason = FinishReasonText(outcomes[i].finish);
      if (request_.params.logprobs) choice.logprobs = api::ChatLogprobsJson(*tokenizer_, outcomes[i].logprobs);
      result.push_back(std::move(choice));
    }
    return api::ChatCompletionJson(env, result, usage);
  }

  std::vector<Json::Value> StreamOpening(const api::Envelope& env) override {
    std::vector<Json::Value> chunks;
    for (size_t i = 0; i < texts_.size(); ++i) {
      api::ChatDelta d;
      d.index = static_cast<int>(i);
      d.role = true;
      d.content = "";
      chunks.push_back(api::ChatChunkJson(env, d));
    }
    return chunks;
  }
  std::vector<Json::Value> StreamEvent(const api::Envelope& env, size_t choice, const EngineEvent& e) override {
    std::vector<Json::Value> chunks;
    ReasoningSplit s = Split(choice, e);
    api::ChatDelta d;
    d.index = static_cast<int>(choice);
    if (!s.content.empty()) d.content = s.content;
    if (!s.reasoning.empty()) d.reasoning_content = s.reasoning;
    if (!e.done && request_.params.logprobs) d.logprobs = api::ChatLogprobsJson(*tokenizer_, {{e.token, e.sample}});
    if (d.content || d.reasoning_content || d.logprobs) chunks.push_back(api::ChatChunkJson(env, d));
    if (e.done && e.status.ok()) {
      api::ChatDelta fin;
      fin.index = static_cast<int>(choice);
      fin.finish_reason = FinishReasonText(e.finish);
      chunks.push_back(api::ChatChunkJson(env, fin));
    }
    return chunks;
  }
  Json::Value StreamUsage(const api::Envelope& env, const api::Usage& usage) override {
    return api::ChatUsageChunkJson(env, usage);
  }

 private:
  struct ChoiceText {
    std::optional<ReasoningStreamSplitter> splitter;  // set for reasoning templates
    std::string content, reasoning;
  };

  // The event's text as content and reasoning; the final event flushes the splitter.
  ReasoningSplit Split(size_t choice, const EngineEvent& e) {
    ChoiceText& t = texts_[choice];
    if (!t.splitter) {
      ReasoningSplit s;
      s.content = e.text;
      return s;
    }
    ReasoningSplit s = t.splitter->Push(e.text);
    if (e.done) {
      ReasoningSplit tail = t.splitter->Finish();
      s.reasoning += tail.reasoning;
      s.content += tail.content;
    }
    return s;
  }

  api::ChatCompletionRequest request_;
  bool reasoning_ = false;
  const Tokenizer* tokenizer_ = nullptr;
  std::vector<ChoiceText> texts_;  // [choice]
};

}  // namespace

std::unique_ptr<GenerationEndpoint> MakeChatCompletionsEndpoint() {
  return std::make_unique<ChatCompletionsEndpoint>();
}

}  // namespace deepgate::fcgi
