// The one generation flow behind POST /v1/chat/completions and POST /v1/completions, in the
// order it runs (fcgi/api/generation_flow.cpp):
//   1. parse the body, once: JSON, then the endpoint's fields (400 on bad input);
//   2. the key's model allow-list — the one place it is checked (403 model_not_allowed);
//   3. the response cache, when configured (fcgi/api/cached_generation.h): a hit is replayed;
//   4. resolve the model (404 / 503 while loading), the endpoint's prompt builder, one engine
//      request per choice (fcgi/api/completion_request_builder.h);
//   5. submit and pump the engine's events (GenerationRunner), answered by the endpoint's
//      response formatter as one JSON body or as SSE chunks.
// What differs per endpoint is a GenerationEndpoint (fcgi/api/generation_endpoints.h).
// Thread-safety: one endpoint object per request; the flow runs on its acceptor thread.
#pragma once

#include <json/value.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/model/model.h"
#include "fcgi/api/openai_request.h"
#include "fcgi/api/openai_response.h"
#include "fcgi/base/token_timing.h"
#include "fcgi/cache/cache_key.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/api_error.h"
#include "fcgi/http/response_writer.h"
#include "fcgi/policy/engine_share.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

// One choice's outcome besides its text (the endpoint's formatter keeps the text).
struct ChoiceOutcome {
  std::vector<api::TokenLogprobs> logprobs;  // when params.logprobs
  FinishReason finish = FinishReason::kLength;
  Status status;
  int32_t completion_tokens = 0;
};

class GenerationEndpoint {
 public:
  virtual ~GenerationEndpoint() = default;

  // --- the request ---
  // Reads the endpoint's fields from the parsed body; false with *bad on invalid input.
  [[nodiscard]] virtual bool Parse(const Json::Value& body, api::RequestError* bad) = 0;
  virtual const std::string& model_id() const = 0;
  virtual const api::SamplingRequest& params() const = 0;

  // --- the prompt builder ---
  virtual const char* prompt_param() const = 0;  // the field prompts come from ("messages", "prompt")
  // The token prompts (each gets params().n choices, in order), or the 400 to answer.
  virtual std::optional<ApiError> BuildPrompts(const Model& model, std::vector<std::vector<int32_t>>* prompts) = 0;

  // --- the response formatter (after BuildPrompts) ---
  virtual const char* id_prefix() const = 0;  // "chatcmpl-", "cmpl-"
  virtual void StartChoices(size_t n_choices, const Tokenizer& tokenizer) = 0;
  // Whole answer: every event's text is handed here, then Whole builds the body.
  virtual void Collect(size_t choice, const EngineEvent& event) = 0;
  virtual Json::Value Whole(const api::Envelope& env, std::vector<ChoiceOutcome>& choices, const api::Usage& usage) = 0;
  // Stream: the chunks that open it, those for one event (a failed final event gets no
  // finish chunk), and the usage chunk.
  virtual std::vector<Json::Value> StreamOpening(const api::Envelope& env) = 0;
  virtual std::vector<Json::Value> StreamEvent(const api::Envelope& env, size_t choice, const EngineEvent& event) = 0;
  virtual Json::Value StreamUsage(const api::Envelope& env, const api::Usage& usage) = 0;
};

// What the flow serves with, fixed at start-up.
struct GenerationServices {
  const ModelService& models;
  policy::EngineShare& engine_share;      // the worker's one share of its engine (BuildServer)
  cache::ResponseCache* cache = nullptr;  // null: no response cache
  cache::CacheScope cache_scope = cache::CacheScope::kKey;
  TokenTimingObserver* timing = nullptr;  // null: token timing not observed
};

void ServeGeneration(GenerationEndpoint& endpoint, const GenerationServices& services, RequestContext& ctx,
                     ResponseWriter& out);

}  // namespace deepgate::fcgi
