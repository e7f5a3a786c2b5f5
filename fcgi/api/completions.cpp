// POST /v1/completions: raw prompts (a string, or an array of strings — one group of `n`
// choices per prompt, indexed prompt * n + j) → engine, answered whole or as SSE.
// Prompt text is tokenized with special-token parsing off: a client cannot smuggle control
// tokens in as text. A stream's chunks carry text as it arrives; the last one of a choice
// carries its finish_reason.
#include "core/tokenizer/tokenizer.h"
#include "fcgi/api/generation_endpoints.h"
#include "fcgi/api/generation_runner.h"

namespace deepgate::fcgi {
namespace {

class CompletionsEndpoint final : public GenerationEndpoint {
 public:
  bool Parse(const Json::Value& body, api::RequestError* bad) override {
    return api::ParseCompletionRequest(body, &request_, bad);
  }
  const std::string& model_id() const override { return request_.model; }
  const api::SamplingRequest& params() const override { return request_.params; }

  const char* prompt_param() const override { return "prompt"; }
  std::optional<ApiError> BuildPrompts(const Model& model, std::vector<std::vector<int32_t>>* prompts) override {
    for (const std::string& text : request_.prompts)
      prompts->push_back(model.tokenizer().Encode(text, /*add_special=*/true, /*parse_special=*/false));
    return std::nullopt;
  }

  const char* id_prefix() const override { return "cmpl-"; }
  void StartChoices(size_t n, const Tokenizer& tokenizer) override {
    tokenizer_ = &tokenizer;
    texts_.resize(n);
  }

  void Collect(size_t choice, const EngineEvent& e) override { texts_[choice] += e.text; }
  Json::Value Whole(const api::Envelope& env, std::vector<ChoiceOutcome>& outcomes, const api::Usage& usage) override {
    std::vector<api::TextChoice> result;
    for (size_t i = 0; i < outcomes.size(); ++i) {
      api::TextChoice choice;
      choice.index = static_cast<int>(i);
      choice.text = std::move(texts_[i]);
      choice.finish_reason = FinishReasonText(outcomes[i].finish);
      if (request_.params.logprobs) choice.logprobs = api::CompletionLogprobsJson(*tokenizer_, outcomes[i].logprobs);
      result.push_back(std::move(choice));
    }
    return api::CompletionJson(env, result, usage);
  }

  std::vector<Json::Value> StreamOpening(const api::Envelope&) override { return {}; }
  std::vector<Json::Value> StreamEvent(const api::Envelope& env, size_t choice, const EngineEvent& e) override {
    if (e.done && !e.status.ok()) return {};  // the flow reports the failure
    api::TextChoice chunk;
    chunk.index = static_cast<int>(choice);
    chunk.text = e.text;
    if (!e.done && request_.params.logprobs)
      chunk.logprobs = api::CompletionLogprobsJson(*tokenizer_, {{e.token, e.sample}});
    if (e.done) chunk.finish_reason = FinishReasonText(e.finish);
    else if (chunk.text.empty() && !chunk.logprobs) return {};
    return {api::CompletionJson(env, {chunk}, std::nullopt)};
  }
  Json::Value StreamUsage(const api::Envelope& env, const api::Usage& usage) override {
    return api::CompletionJson(env, {}, usage);
  }

 private:
  api::CompletionRequest request_;
  const Tokenizer* tokenizer_ = nullptr;
  std::vector<std::string> texts_;  // [choice]
};

}  // namespace

std::unique_ptr<GenerationEndpoint> MakeCompletionsEndpoint() { return std::make_unique<CompletionsEndpoint>(); }

}  // namespace deepgate::fcgi
