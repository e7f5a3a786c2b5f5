#include "fcgi/api/completion_request_builder.h"

#include <string>

namespace deepgate::fcgi {

std::optional<ApiError> BuildEngineRequests(const std::vector<int32_t>& prompt, const api::SamplingRequest& params,
                                            int32_t n_ctx, std::chrono::steady_clock::time_point deadline,
                                            const char* prompt_param, std::vector<EngineRequest>* out) {
  const int32_t n_prompt = static_cast<int32_t>(prompt.size());
  if (n_prompt == 0) return ApiError::BadRequest("The prompt is empty", prompt_param);
  if (n_prompt >= n_ctx) {
    return ApiError::BadRequest("This model's maximum context length is " + std::to_string(n_ctx) +
                                    " tokens. However, your " + prompt_param + " resulted in " +
                                    std::to_string(n_prompt) + " tokens.",
                                prompt_param, "context_length_exceeded");
  }
  int32_t max_tokens = params.max_tokens;
  if (max_tokens < 0) {
    max_tokens = n_ctx - n_prompt;  // not given: whatever the context still holds
  } else if (static_cast<int64_t>(n_prompt) + max_tokens > n_ctx) {
    return ApiError::BadRequest("This model's maximum context length is " + std::to_string(n_ctx) +
                                    " tokens. However, you requested " + std::to_string(n_prompt + int64_t{max_tokens}) +
                                    " tokens (" + std::to_string(n_prompt) + " in the " + prompt_param + ", " +
                                    std::to_string(max_tokens) + " in the completion). Please reduce the length.",
                                "max_tokens", "context_length_exceeded");
  }
  for (int i = 0; i < params.n; ++i) {
    EngineRequest r;
    r.prompt = prompt;
    r.max_tokens = max_tokens;
    r.sampling = params.sampling;
    r.sampling.seed = params.sampling.seed + static_cast<uint64_t>(i);
    r.sampling.logprobs = params.logprobs;  // no full-vocabulary softmax per token unless asked
    r.stop = params.stop;
    r.deadline = deadline;
    out->push_back(std::move(r));
  }
  return std::nullopt;
}

}  // namespace deepgate::fcgi
