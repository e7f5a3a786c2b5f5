// The two GenerationEndpoints (fcgi/api/generation_flow.h): each file holds one endpoint's
// request fields, prompt builder and response formatter.
//   chat_completions.cpp — POST /v1/chat/completions: messages → chat template; R1-style
//                          reasoning returned apart as `reasoning_content`;
//   completions.cpp      — POST /v1/completions: raw prompts (string or array).
// Thread-safety: a fresh endpoint per request.
#pragma once

#include <memory>

#include "fcgi/api/generation_flow.h"

namespace deepgate::fcgi {

std::unique_ptr<GenerationEndpoint> MakeChatCompletionsEndpoint();
std::unique_ptr<GenerationEndpoint> MakeCompletionsEndpoint();

}  // namespace deepgate::fcgi
