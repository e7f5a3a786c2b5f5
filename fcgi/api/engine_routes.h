// Registers the generation routes, POST /v1/chat/completions ("chat.completions") and
// POST /v1/completions ("completions"), served by the engine that ModelService owns.
#pragma once

#include "fcgi/base/token_timing.h"
#include "fcgi/cache/cache_key.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"
#include "fcgi/policy/engine_share.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

// `share` (the worker's one EngineShare, outliving the router) apportions the engine's
// sequences among subjects. With a cache, both routes answer deterministic requests through it (fcgi/api/cached_generation.h).
// `timing` (may be null) hears every generation's token timing (fcgi/metrics).
void AddEngineRoutes(Router& router, const ModelService& models, policy::EngineShare& share,
                     cache::ResponseCache* cache = nullptr,
                     cache::CacheScope scope = cache::CacheScope::kKey, TokenTimingObserver* timing = nullptr);

}  // namespace deepgate::fcgi
