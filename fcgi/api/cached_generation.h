// CachedGeneration: wraps a generation handler (/v1/chat/completions, /v1/completions) with
// the response cache. It runs inside the handler stage, so a hit has been authenticated,
// authorised, rate-limited and is audited like any request.
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
// Header `x-deepgate-cache: hit|miss|bypass`. The key's model allow-list is checked before a
// lookup (under scope "shared" a key must not read another model's answers through the cache).
// Thread-safety: as the handler; the cache is thread-safe.
#pragma once

#include "fcgi/cache/cache_key.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// `response_id_prefix` is the handler's id prefix ("chatcmpl-", "cmpl-").
Handler CachedGeneration(cache::ResponseCache& cache, cache::CacheScope scope, std::string response_id_prefix,
                         Handler inner);

}  // namespace deepgate::fcgi
