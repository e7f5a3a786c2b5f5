// POST /admin/cache/purge (route "admin.cache.purge", admin role): empties the response
// cache, or with {"subject": "<key id or sub>"} only the entries that subject stored. Answers
// {"purged": N}. Audited as the request's own entry (route admin.cache.purge, the caller's
// subject); the purged subject and count go to the worker log.
// Thread-safety: the cache is thread-safe.
#pragma once

#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

void AddAdminCacheRoutes(Router& router, cache::ResponseCache& cache);

}  // namespace deepgate::fcgi
