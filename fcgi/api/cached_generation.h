// ServeCached: step 3 of the generation flow (fcgi/api/generation_flow.h) — the response
// cache around a generation. It runs inside the handler stage, after the body was parsed and
// the key's model allow-list checked, so a hit has been authenticated, authorised,
// rate-limited and is audited like any request.
//   bypass — not deterministic (fcgi/cache/cache_key.h), or the request says
//            `Cache-Control: no-cache` / `no-store`: the handler runs, nothing is stored.
//   hit    — the stored answer is replayed (a stream as the same SSE events and [DONE]), with
//            this request's response id; its `usage` is reported to the audit record and
//            charged to the tokens/min limit as if generated (a hit costs no compute, but
//            the limit is about what a key receives, and charging keeps it from being
//            farmed by repeating one deterministic request).
//   miss   — the handler runs under a ResponseTap; a 200 JSON body, or a stream that reached
//            [DONE] with no error event and the client still there, is stored. A stream cut
//            by a disconnect, the deadline or shutdown never reaches [DONE] and is not stored.
// Header `x-deepgate-cache: hit|miss|bypass`. The flow checks the key's model allow-list before
// this step (under scope "shared" a key must not read another model's answers through the cache).
// Thread-safety: as the handler; the cache is thread-safe.
#pragma once

#include <json/value.h>

#include <functional>
#include <string>

#include "fcgi/cache/cache_key.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// `body` is the request's parsed body; `generate` answers it when there is no hit.
// `response_id_prefix` is the endpoint's id prefix ("chatcmpl-", "cmpl-").
void ServeCached(cache::ResponseCache& cache, cache::CacheScope scope, const std::string& response_id_prefix,
                 RequestContext& ctx, ResponseWriter& out, const Json::Value& body,
                 const std::function<void()>& generate);

}  // namespace deepgate::fcgi
