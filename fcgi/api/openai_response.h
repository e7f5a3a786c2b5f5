// JSON bodies of OpenAI responses: chat.completion, chat.completion.chunk, text_completion,
// their logprobs blocks and usage — built from what the engine produced, with no I/O.
// Thread-safety: pure functions.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/value.h>

#include "core/sampler.h"

namespace deepgate {
class Tokenizer;
}

namespace deepgate::api {

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};
Json::Value UsageJson(const Usage& usage);

// One generated token's logprob entry.
struct TokenLogprobs {
  int32_t token;
  SampleResult sample;
};

// chat: {"content": [{"token","logprob","bytes","top_logprobs":[...]}...]}
Json::Value ChatLogprobsJson(const Tokenizer& tokenizer, const std::vector<TokenLogprobs>& tokens);
// legacy completions: {"tokens","token_logprobs","top_logprobs","text_offset"}
Json::Value CompletionLogprobsJson(const Tokenizer& tokenizer, const std::vector<TokenLogprobs>& tokens);

struct ChatChoice {
  int index = 0;
  std::string content;
  std::optional<std::string> reasoning_content;  // R1-style models only
  std::string finish_reason;                     // "stop" or "length"
  std::optional<Json::Value> logprobs;
};

// Common envelope fields of one response (every chunk of a stream repeats them).
struct Envelope {
  std::string id;       // "chatcmpl-…" / "cmpl-…"
  int64_t created = 0;  // unix seconds
  std::string model;
};

Json::Value ChatCompletionJson(const Envelope& env, const std::vector<ChatChoice>& choices, const Usage& usage);

// One streamed chat delta. Fields left empty are omitted from the delta.
struct ChatDelta {
  int index = 0;
  bool role = false;                         // first chunk: "role":"assistant"
  std::optional<std::string> content;
  std::optional<std::string> reasoning_content;
  std::optional<std::string> finish_reason;
  std::optional<Json::Value> logprobs;
};
Json::Value ChatChunkJson(const Envelope& env, const ChatDelta& delta);
// The final usage chunk of a stream (choices empty), sent when include_usage was asked.
Json::Value ChatUsageChunkJson(const Envelope& env, const Usage& usage);

struct TextChoice {
  int index = 0;
  std::string text;
  std::optional<std::string> finish_reason;  // null in intermediate stream chunks
  std::optional<Json::Value> logprobs;
};
Json::Value CompletionJson(const Envelope& env, const std::vector<TextChoice>& choices,
                           const std::optional<Usage>& usage);

}  // namespace deepgate::api
