// Parsing and validation of OpenAI request bodies (/v1/chat/completions, /v1/completions)
// into plain structs the handlers submit to the engine.
//
// Every field is type- and range-checked here, so a handler never sees a bad value; the
// error names the offending parameter (OpenAI's `param`) and says what was expected.
// Unknown fields are ignored (clients send vendor extensions), but features we do not
// implement (tools, non-text content, JSON mode, echo, best_of) are refused with 400 rather
// than silently ignored. llama.cpp-style extensions top_k, min_p and repetition_penalty are
// accepted. Thread-safety: pure functions.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <json/value.h>

#include "core/chat_template.h"
#include "core/sampler.h"

namespace deepgate::api {

inline constexpr int kMaxChoices = 16;     // `n`
inline constexpr size_t kMaxMessages = 1024;
inline constexpr size_t kMaxPrompts = 64;  // batch form of /v1/completions

// Fields shared by both endpoints.
struct SamplingRequest {
  SamplerParams sampling;         // temperature/top_p/... with OpenAI defaults
  int32_t max_tokens = -1;        // -1: not given (the handler fills the remaining context)
  std::vector<std::string> stop;
  int n = 1;
  bool stream = false;
  bool include_usage = false;     // stream_options.include_usage
  bool logprobs = false;
  std::string user;
};

struct ChatCompletionRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  SamplingRequest params;
};

struct CompletionRequest {
  std::string model;
  std::vector<std::string> prompts;  // one choice group per prompt
  SamplingRequest params;
};

// What was wrong, for the 400 body.
struct RequestError {
  std::string message;
  std::string param;  // "" when not about one parameter
};

// Both return false and fill *error on a bad body.
bool ParseChatCompletionRequest(const Json::Value& body, ChatCompletionRequest* out, RequestError* error);
bool ParseCompletionRequest(const Json::Value& body, CompletionRequest* out, RequestError* error);

}  // namespace deepgate::api
