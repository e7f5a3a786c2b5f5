// GET /metrics (route "metrics": roles monitor and admin; nginx also limits it to loopback):
// Prometheus text format 0.0.4. Counts from WorkerMetrics, and at scrape time the engine's
// queue/active/KV gauges and its own token counters, the response cache's counters, the
// audit sink's entry and send-error counts, and the process's RSS and start time.
// Thread-safety: every source is thread-safe; a scrape takes no lock on the request path
// (the engine's stats() and the cache's stats() each take their own mutex briefly).
#pragma once

#include "fcgi/audit/journal_audit_sink.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/router.h"
#include "fcgi/metrics/worker_metrics.h"
#include "fcgi/audit/backend_health.h"
#include "fcgi/server/model_service.h"

namespace deepgate::fcgi {

struct MetricsSources {
  const metrics::WorkerMetrics* requests = nullptr;
  const ModelService* models = nullptr;          // null: no engine series
  const audit::JournalAuditSink* audit = nullptr;  // null: no audit series
  const cache::ResponseCache* cache = nullptr;     // null: cache disabled (series at 0)
  const auth::KeyStore* key_store = nullptr;       // null: no key store series
  const audit::BackendHealth* redis = nullptr;     // null: no Redis configured (no backend series)
};

// The whole exposition text.
std::string RenderMetrics(const MetricsSources& sources);

void AddMetricsRoute(Router& router, MetricsSources sources);

}  // namespace deepgate::fcgi
