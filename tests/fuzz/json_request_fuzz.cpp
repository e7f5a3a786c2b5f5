// Fuzz target: a request body through the worker's JSON parse helper, the OpenAI request
// validators (chat and completions) and the error writer, as the pipeline does for every
// POST. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fcgi/api/openai_request.h"
#include "fcgi/http/api_error.h"
#include "fcgi/http/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  deepgate::Result<Json::Value> v = deepgate::fcgi::ParseJsonObject(body);
  if (v.ok()) {
    (void)deepgate::fcgi::WriteJson(*v);
    deepgate::api::ChatCompletionRequest chat;
    deepgate::api::CompletionRequest completion;
    deepgate::api::RequestError error;
    if (!deepgate::api::ParseChatCompletionRequest(*v, &chat, &error)) {
      (void)deepgate::fcgi::ApiError::BadRequest(error.message, error.param).Body();
    }
    if (!deepgate::api::ParseCompletionRequest(*v, &completion, &error)) {
      (void)deepgate::fcgi::ApiError::BadRequest(error.message, error.param).Body();
    }
  } else {
    // The error message quotes parser output: it must still make a valid body.
    (void)deepgate::fcgi::ApiError::BadRequest(v.status().message()).Body();
  }
  return 0;
}
