#include "fcgi/api/openai_response.h"

#include <cmath>

#include <json/writer.h>

#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace deepgate::api {
namespace {

Json::Value Bytes(const std::string& piece) {
  Json::Value bytes(Json::arrayValue);
  for (unsigned char c : piece) bytes.append(static_cast<int>(c));
  return bytes;
}

// A token's text as OpenAI shows it. A piece that is not whole UTF-8 (a byte token, half a
// character) is shown with U+FFFD so the JSON stays valid; its exact bytes are in "bytes".
std::string PieceText(const Tokenizer& tokenizer, int32_t token) {
  return SanitizeUtf8(tokenizer.TokenToPiece(token));
}

double Finite(float logprob) { return std::isfinite(logprob) ? logprob : -9999.0; }

Json::Value EnvelopeJson(const api::Envelope& env, const char* object) {
  Json::Value v(Json::objectValue);
  v["id"] = env.id;
  v["object"] = object;
  v["created"] = static_cast<Json::Int64>(env.created);
  v["model"] = env.model;
  return v;
}

}  // namespace

Json::Value UsageJson(const Usage& usage) {
  Json::Value v(Json::objectValue);
  v["prompt_tokens"] = static_cast<Json::Int64>(usage.prompt_tokens);
  v["completion_tokens"] = static_cast<Json::Int64>(usage.completion_tokens);
  v["total_tokens"] = static_cast<Json::Int64>(usage.prompt_tokens + usage.completion_tokens);
  return v;
}

Json::Value ChatLogprobsJson(const Tokenizer& tokenizer, const std::vector<TokenLogprobs>& tokens) {
  Json::Value content(Json::arrayValue);
  for (const TokenLogprobs& t : tokens) {
    Json::Value entry(Json::objectValue);
    entry["token"] = PieceText(tokenizer, t.token);
    entry["logprob"] = Finite(t.sample.logprob);
    entry["bytes"] = Bytes(tokenizer.TokenToPiece(t.token));
    Json::Value top(Json::arrayValue);
    for (const TokenLogprob& alt : t.sample.top) {
      Json::Value a(Json::objectValue);
      a["token"] = PieceText(tokenizer, alt.token);
      a["logprob"] = Finite(alt.logprob);
      a["bytes"] = Bytes(tokenizer.TokenToPiece(alt.token));
      top.append(a);
    }
    entry["top_logprobs"] = top;
    content.append(entry);
  }
  Json::Value v(Json::objectValue);
  v["content"] = content;
  return v;
}

Json::Value CompletionLogprobsJson(const Tokenizer& tokenizer, const std::vector<TokenLogprobs>& tokens) {
  Json::Value v(Json::objectValue);
  Json::Value texts(Json::arrayValue), logprobs(Json::arrayValue), tops(Json::arrayValue), offsets(Json::arrayValue);
  int64_t offset = 0;
  for (const TokenLogprobs& t : tokens) {
    texts.append(PieceText(tokenizer, t.token));
    logprobs.append(Finite(t.sample.logprob));
    Json::Value top(Json::objectValue);
    for (const TokenLogprob& alt : t.sample.top) top[PieceText(tokenizer, alt.token)] = Finite(alt.logprob);
    tops.append(top);
    offsets.append(static_cast<Json::Int64>(offset));  // byte offset into the completion text
    offset += static_cast<int64_t>(tokenizer.TokenToPiece(t.token).size());
  }
  v["tokens"] = texts;
  v["token_logprobs"] = logprobs;
  v["top_logprobs"] = tops;
  v["text_offset"] = offsets;
  return v;
}

Json::Value ChatCompletionJson(const api::Envelope& env, const std::vector<ChatChoice>& choices, const Usage& usage) {
  Json::Value v = EnvelopeJson(env, "chat.completion");
  Json::Value list(Json::arrayValue);
  for (const ChatChoice& c : choices) {
    Json::Value choice(Json::objectValue);
    choice["index"] = c.index;
    Json::Value message(Json::objectValue);
    message["role"] = "assistant";
    message["content"] = c.content;
    if (c.reasoning_content) message["reasoning_content"] = *c.reasoning_content;
    choice["message"] = message;
    choice["logprobs"] = c.logprobs ? *c.logprobs : Json::Value(Json::nullValue);
    choice["finish_reason"] = c.finish_reason;
    list.append(choice);
  }
  v["choices"] = list;
  v["usage"] = UsageJson(usage);
  return v;
}

Json::Value ChatChunkJson(const api::Envelope& env, const ChatDelta& delta) {
  Json::Value v = EnvelopeJson(env, "chat.completion.chunk");
  Json::Value choice(Json::objectValue);
  choice["index"] = delta.index;
  Json::Value d(Json::objectValue);
  if (delta.role) d["role"] = "assistant";
  if (delta.content) d["content"] = *delta.content;
  if (delta.reasoning_content) d["reasoning_content"] = *delta.reasoning_content;
  choice["delta"] = d;
  choice["logprobs"] = delta.logprobs ? *delta.logprobs : Json::Value(Json::nullValue);
  choice["finish_reason"] = delta.finish_reason ? Json::Value(*delta.finish_reason) : Json::Value(Json::nullValue);
  Json::Value list(Json::arrayValue);
  list.append(choice);
  v["choices"] = list;
  return v;
}

Json::Value ChatUsageChunkJson(const api::Envelope& env, const Usage& usage) {
  Json::Value v = EnvelopeJson(env, "chat.completion.chunk");
  v["choices"] = Json::Value(Json::arrayValue);
  v["usage"] = UsageJson(usage);
  return v;
}

Json::Value CompletionJson(const api::Envelope& env, const std::vector<TextChoice>& choices,
                           const std::optional<Usage>& usage) {
  Json::Value v = EnvelopeJson(env, "text_completion");
  Json::Value list(Json::arrayValue);
  for (const TextChoice& c : choices) {
    Json::Value choice(Json::objectValue);
    choice["index"] = c.index;
    choice["text"] = c.text;
    choice["logprobs"] = c.logprobs ? *c.logprobs : Json::Value(Json::nullValue);
    choice["finish_reason"] = c.finish_reason ? Json::Value(*c.finish_reason) : Json::Value(Json::nullValue);
    list.append(choice);
  }
  v["choices"] = list;
  if (usage) v["usage"] = UsageJson(*usage);
  return v;
}

}  // namespace deepgate::api
