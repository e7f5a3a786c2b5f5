// Routes for the integration tests only, registered when the worker runs with
// DEEPGATE_FCGI_TEST_ROUTES=1 (never in a packaged service):
//   GET /_test/sleep?ms=N   answers 200 after N ms, or 503 "cancelled" once asked to stop
//   GET /_test/stream?n=N   streams N SSE events (one every 50 ms) then [DONE]
//   POST /_test/chat/echo   a chat completion body; streams its last message back as
//                           chat.completion.chunk events (reasoning_content, then content)
// They exercise graceful shutdown and SSE through nginx before the engine exists.
#pragma once

#include "fcgi/http/router.h"

namespace deepgate::fcgi {

void AddTestRoutes(Router& router);

// Integer value of `name` in a query string ("a=1&ms=250"), or def.
long QueryInt(const std::string& query, const std::string& name, long def, long lo, long hi);

}  // namespace deepgate::fcgi
