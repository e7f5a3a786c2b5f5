// Turning a validated OpenAI request into engine requests: context-length checks with
// OpenAI's wording, max_tokens defaulting to the rest of the context, one request per
// choice with its own seed (so n > 1 gives n different samples), and the deadline.
// Thread-safety: pure functions.
#pragma once
#include <optional>
#include <vector>

#include "core/engine.h"
#include "fcgi/api/openai_request.h"
#include "fcgi/http/api_error.h"

namespace deepgate::fcgi {

// Fills `out` with params.n requests for one prompt, or returns the 400 to answer.
// `prompt_param` names the request field the prompt came from ("messages" or "prompt").
std::optional<ApiError> BuildEngineRequests(const std::vector<int32_t>& prompt, const api::SamplingRequest& params,
                                            int32_t n_ctx, std::chrono::steady_clock::time_point deadline,
                                            const char* prompt_param, std::vector<EngineRequest>* out);

}  // namespace deepgate::fcgi
