#include "fcgi/api/openai_request.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/stop_strings.h"
#include "core/tokenizer/unicode.h"

namespace deepgate::api {
namespace {

// Field access with the error bookkeeping in one place.
class Fields {
 public:
  Fields(const Json::Value& body, RequestError* error) : body_(body), error_(error) {}

  bool Fail(const std::string& param, const std::string& message) {
    if (ok_) {
      error_->param = param;
      error_->message = message;
      ok_ = false;
    }
    return false;
  }
  bool ok() const { return ok_; }

  // Absent or null: leaves *out unchanged.
  void Number(const char* name, double lo, double hi, float* out) {
    const Json::Value& v = body_[name];
    if (v.isNull()) return;
    if (!v.isNumeric() || v.isBool()) {
      Fail(name, std::string("'") + name + "' must be a number");
      return;
    }
    const double d = v.asDouble();
    if (!std::isfinite(d) || d < lo || d > hi) {
      Fail(name, std::string("'") + name + "' must be between " + Format(lo) + " and " + Format(hi) + ", got " + Format(d));
      return;
    }
    *out = static_cast<float>(d);
  }

  template <typename Int>
  void Integer(const char* name, int64_t lo, int64_t hi, Int* out) {
    const Json::Value& v = body_[name];
    if (v.isNull()) return;
    if (!IsInteger(v)) {
      Fail(name, std::string("'") + name + "' must be an integer");
      return;
    }
    const int64_t i = v.isUInt64() && !v.isInt64() ? std::numeric_limits<int64_t>::max() : v.asInt64();
    if (i < lo || i > hi) {
      Fail(name, std::string("'") + name + "' must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                     ", got " + std::to_string(i));
      return;
    }
    *out = static_cast<Int>(i);
  }

  void Bool(const char* name, bool* out) {
    const Json::Value& v = body_[name];
    if (v.isNull()) return;
    if (!v.isBool()) {
      Fail(name, std::string("'") + name + "' must be a boolean");
      return;
    }
    *out = v.asBool();
  }

  void String(const char* name, std::string* out, bool required) {
    const Json::Value& v = body_[name];
    if (v.isNull()) {
      if (required) Fail(name, std::string("'") + name + "' is required");
      return;
    }
    if (!v.isString()) {
      Fail(name, std::string("'") + name + "' must be a string");
      return;
    }
    *out = v.asString();
    if (!IsValidUtf8(*out)) Fail(name, std::string("'") + name + "' is not valid UTF-8");
  }

  // Refuses a feature we do not implement when the client actually asks for it.
  void Unsupported(const char* name, const std::string& why) {
    const Json::Value& v = body_[name];
    if (v.isNull() || (v.isBool() && !v.asBool()) || ((v.isArray() || v.isObject()) && v.empty())) return;
    Fail(name, std::string("'") + name + "' is not supported: " + why);
  }

  const Json::Value& operator[](const char* name) const { return body_[name]; }

  static bool IsInteger(const Json::Value& v) {
    if (v.isBool()) return false;
    if (v.isInt64() || v.isUInt64()) return true;
    return v.isDouble() && std::isfinite(v.asDouble()) && std::floor(v.asDouble()) == v.asDouble() &&
           std::fabs(v.asDouble()) < 9.0e15;
  }

 private:
  static std::string Format(double d) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%g", d);
    return buf;
  }
  const Json::Value& body_;
  RequestError* error_;
  bool ok_ = true;
};

void ParseStop(Fields& f, std::vector<std::string>* out) {
  const Json::Value& v = f["stop"];
  if (v.isNull()) return;
  if (v.isString()) {
    out->push_back(v.asString());
  } else if (v.isArray()) {
    for (const Json::Value& s : v) {
      if (!s.isString()) {
        f.Fail("stop", "'stop' must be a string or an array of strings");
        return;
      }
      out->push_back(s.asString());
    }
  } else {
    f.Fail("stop", "'stop' must be a string or an array of strings");
    return;
  }
  for (const auto& s : *out) {
    if (!IsValidUtf8(s)) {
      f.Fail("stop", "'stop' is not valid UTF-8");
      return;
    }
  }
  Status valid = StopStringMatcher::Validate(*out);
  if (!valid.ok()) f.Fail("stop", valid.message());
}

void ParseLogitBias(Fields& f, SamplerParams* sampling) {
  const Json::Value& v = f["logit_bias"];
  if (v.isNull()) return;
  if (!v.isObject()) {
    f.Fail("logit_bias", "'logit_bias' must be an object mapping token ids to numbers");
    return;
  }
  if (v.size() > kMaxLogitBiasEntries) {
    f.Fail("logit_bias", "'logit_bias' has more than " + std::to_string(kMaxLogitBiasEntries) + " entries");
    return;
  }
  for (const std::string& key : v.getMemberNames()) {
    char* end = nullptr;
    errno = 0;
    const long long id = std::strtoll(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || errno != 0 || id < 0 || id > std::numeric_limits<int32_t>::max()) {
      f.Fail("logit_bias", "'logit_bias' key '" + key.substr(0, 32) + "' is not a token id");
      return;
    }
    const Json::Value& bias = v[key];
    if (!bias.isNumeric() || bias.isBool() || !std::isfinite(bias.asDouble()) || bias.asDouble() < -100 ||
        bias.asDouble() > 100) {
      f.Fail("logit_bias", "'logit_bias' values must be numbers between -100 and 100");
      return;
    }
    sampling->logit_bias.emplace_back(static_cast<int32_t>(id), static_cast<float>(bias.asDouble()));
  }
}

// Fields common to both endpoints; `max_tokens_default` is -1 for chat (fill the context)
// and 16 for legacy completions (OpenAI's documented default there).
void ParseSampling(Fields& f, int32_t max_tokens_default, SamplingRequest* out) {
  SamplerParams& s = out->sampling;
  s.temperature = 1.0f;  // OpenAI's defaults
  s.top_p = 1.0f;
  f.Number("temperature", 0.0, 2.0, &s.temperature);
  f.Number("top_p", 0.0, 1.0, &s.top_p);
  if (s.top_p == 0.0f) {  // only the most likely token survives: greedy
    s.top_p = 1.0f;
    s.temperature = 0.0f;
  }
  f.Number("presence_penalty", -2.0, 2.0, &s.presence_penalty);
  f.Number("frequency_penalty", -2.0, 2.0, &s.frequency_penalty);
  f.Number("min_p", 0.0, 1.0, &s.min_p);
  f.Number("repetition_penalty", 0.01, 10.0, &s.repetition_penalty);
  f.Integer("top_k", 0, 1 << 30, &s.top_k);
  int64_t seed = 0;
  f.Integer("seed", std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &seed);
  s.seed = static_cast<uint64_t>(seed);
  ParseLogitBias(f, &s);
  out->max_tokens = max_tokens_default;
  f.Integer("max_tokens", 1, 1 << 24, &out->max_tokens);
  f.Integer("max_completion_tokens", 1, 1 << 24, &out->max_tokens);
  ParseStop(f, &out->stop);
  f.Integer("n", 1, kMaxChoices, &out->n);
  f.Bool("stream", &out->stream);
  const Json::Value& options = f["stream_options"];
  if (!options.isNull()) {
    if (!options.isObject()) {
      f.Fail("stream_options", "'stream_options' must be an object");
    } else if (!out->stream) {
      f.Fail("stream_options", "'stream_options' is only allowed when 'stream' is true");
    } else if (!options["include_usage"].isNull()) {
      if (!options["include_usage"].isBool()) {
        f.Fail("stream_options", "'stream_options.include_usage' must be a boolean");
      } else {
        out->include_usage = options["include_usage"].asBool();
      }
    }
  }
  f.String("user", &out->user, false);
  f.Unsupported("tools", "this server does not call tools");
  f.Unsupported("functions", "this server does not call functions");
  f.Unsupported("best_of", "use 'n' instead");
}

bool ParseContent(const Json::Value& content, size_t index, Fields& f, std::string* out) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  if (content.isNull()) return true;  // an assistant turn that only had tool calls
  if (content.isString()) {
    *out = content.asString();
  } else if (content.isArray()) {
    for (const Json::Value& part : content) {
      if (!part.isObject() || !part["type"].isString()) return f.Fail(param, "'" + param + "' parts must be objects with a 'type'");
      if (part["type"].asString() != "text") {
        return f.Fail(param, "'" + param + "' part type '" + part["type"].asString().substr(0, 32) +
                                 "' is not supported (text only)");
      }
      if (!part["text"].isString()) return f.Fail(param, "'" + param + "' text parts need a string 'text'");
      *out += part["text"].asString();
    }
  } else {
    return f.Fail(param, "'" + param + "' must be a string or an array of text parts");
  }
  if (!IsValidUtf8(*out)) return f.Fail(param, "'" + param + "' is not valid UTF-8");
  return true;
}

}  // namespace

bool ParseChatCompletionRequest(const Json::Value& body, ChatCompletionRequest* out, RequestError* error) {
  if (!body.isObject()) {
    *error = {"the request body must be a JSON object", ""};
    return false;
  }
  Fields f(body, error);
  f.String("model", &out->model, true);
  const Json::Value& messages = body["messages"];
  if (messages.isNull()) return f.Fail("messages", "'messages' is required");
  if (!messages.isArray() || messages.empty()) return f.Fail("messages", "'messages' must be a non-empty array");
  if (messages.size() > kMaxMessages) {
    return f.Fail("messages", "'messages' has more than " + std::to_string(kMaxMessages) + " entries");
  }
  for (Json::ArrayIndex i = 0; i < messages.size(); ++i) {
    const Json::Value& m = messages[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.isObject()) return f.Fail(param, "'" + param + "' must be an object");
    if (!m["role"].isString()) return f.Fail(param + ".role", "'" + param + ".role' must be a string");
    ChatMessage message;
    message.role = m["role"].asString();
    if (message.role == "developer") message.role = "system";  // OpenAI's newer name for it
    if (message.role != "system" && message.role != "user" && message.role != "assistant") {
      return f.Fail(param + ".role", "'" + param + ".role' must be system, user or assistant, got '" +
                                         message.role.substr(0, 32) + "'");
    }
    if (!ParseContent(m["content"], i, f, &message.content)) return false;
    out->messages.push_back(std::move(message));
  }
  ParseSampling(f, -1, &out->params);
  f.Bool("logprobs", &out->params.logprobs);
  f.Integer("top_logprobs", 0, kMaxTopLogprobs, &out->params.sampling.top_logprobs);
  if (f.ok() && out->params.sampling.top_logprobs > 0 && !out->params.logprobs) {
    f.Fail("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
  }
  const Json::Value& format = body["response_format"];
  if (f.ok() && !format.isNull() && !(format.isObject() && format["type"] == "text")) {
    f.Fail("response_format", "'response_format' other than {\"type\": \"text\"} is not supported");
  }
  return f.ok();
}

bool ParseCompletionRequest(const Json::Value& body, CompletionRequest* out, RequestError* error) {
  if (!body.isObject()) {
    *error = {"the request body must be a JSON object", ""};
    return false;
  }
  Fields f(body, error);
  f.String("model", &out->model, true);
  const Json::Value& prompt = body["prompt"];
  if (prompt.isNull()) return f.Fail("prompt", "'prompt' is required");
  if (prompt.isString()) {
    out->prompts.push_back(prompt.asString());
  } else if (prompt.isArray() && !prompt.empty() && prompt.size() <= kMaxPrompts) {
    for (const Json::Value& p : prompt) {
      if (!p.isString()) return f.Fail("prompt", "'prompt' must be a string or an array of strings");
      out->prompts.push_back(p.asString());
    }
  } else {
    return f.Fail("prompt", "'prompt' must be a string or an array of 1 to " + std::to_string(kMaxPrompts) + " strings");
  }
  for (const auto& p : out->prompts) {
    if (!IsValidUtf8(p)) return f.Fail("prompt", "'prompt' is not valid UTF-8");
  }
  ParseSampling(f, 16, &out->params);
  int top = 0;
  f.Integer("logprobs", 0, 5, &top);  // the legacy API's logprobs is a count
  out->params.logprobs = !body["logprobs"].isNull();
  out->params.sampling.top_logprobs = top;
  f.Unsupported("echo", "the prompt is not echoed");
  f.Unsupported("suffix", "insertion is not supported");
  return f.ok();
}

}  // namespace deepgate::api
