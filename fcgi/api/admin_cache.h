// POST /admin/cache/purge (route "admin.cache.purge", admin role): empties the response
// cache, or with {"subject": "<key id or sub>"} only the entries that subject stored. Answers
// {"purged": N}. Audited as the request's own entry (route admin.cache.purge, the caller's
// subject); the purged subject and count go to the worker log. With a shared key store
// (PostgreSQL) the purge is also queued there, so every worker on every host applies it
// (503 key_store_unavailable, after the local purge, when the store cannot be reached).
// Thread-safety: the cache is thread-safe.
#pragma once

#include "fcgi/auth/key_store.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// `store` may be null (tests): the purge stays local.
void AddAdminCacheRoutes(Router& router, cache::ResponseCache& cache, auth::KeyStore* store = nullptr);

}  // namespace deepgate::fcgi
