#include "fcgi/api/metrics_route.h"

#include "fcgi/metrics/exposition.h"
#include "fcgi/metrics/process_metrics.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

using metrics::ExpositionWriter;

void One(ExpositionWriter& w, const char* name, const char* type, const char* help, double value) {
  w.Family(name, type, help);
  w.Sample(name, {}, value);
}

void RenderEngine(ExpositionWriter& w, const ModelService* models) {
  EngineStats s;
  uint64_t budget = 0, per_token = 0;
  if (models != nullptr) {
    if (std::shared_ptr<Engine> engine = models->engine()) {
      s = engine->stats();
      budget = engine->options().kv_budget_bytes;
    }
    if (std::shared_ptr<Model> model = models->model()) per_token = model->info().kv_bytes_per_token;
  }
  One(w, "deepgate_engine_queue_depth", "gauge", "Generation requests waiting for a batch slot.", s.queued);
  One(w, "deepgate_engine_active_sequences", "gauge", "Sequences generating in the current batch.", s.active);
  One(w, "deepgate_engine_kv_cache_bytes_in_use", "gauge", "KV cache bytes held by active sequences.",
      static_cast<double>(s.kv_bytes_in_use));
  One(w, "deepgate_engine_kv_cache_budget_bytes", "gauge", "KV cache bytes all sequences may use together.",
      static_cast<double>(budget));
  One(w, "deepgate_engine_kv_cache_bytes_per_token", "gauge",
      "KV cache bytes one position takes over all layers (deepseek2: the latent, not per-head keys/values).",
      static_cast<double>(per_token));
  One(w, "deepgate_engine_steps_total", "counter", "Engine forward steps.", static_cast<double>(s.steps));
  One(w, "deepgate_engine_sequences_completed_total", "counter", "Sequences that finished.",
      static_cast<double>(s.completed));
  One(w, "deepgate_engine_sequences_cancelled_total", "counter", "Sequences cancelled (client gone, deadline, shutdown).",
      static_cast<double>(s.cancelled));
  One(w, "deepgate_engine_rejected_total", "counter", "Submits refused because the queue was full (answered 503).",
      static_cast<double>(s.rejected));
  One(w, "deepgate_engine_prompt_tokens_total", "counter", "Prompt tokens the engine evaluated (cache hits excluded).",
      static_cast<double>(s.prompt_tokens));
  One(w, "deepgate_engine_completion_tokens_total", "counter",
      "Completion tokens the engine generated (cache hits excluded).", static_cast<double>(s.completion_tokens));
}

void RenderCache(ExpositionWriter& w, const cache::ResponseCache* c) {
  const cache::ResponseCacheStats s = c ? c->stats() : cache::ResponseCacheStats{};
  One(w, "deepgate_cache_hits_total", "counter", "Deterministic generation requests answered from the cache.",
      static_cast<double>(s.hits));
  One(w, "deepgate_cache_misses_total", "counter", "Deterministic generation requests not in the cache.",
      static_cast<double>(s.misses));
  One(w, "deepgate_cache_bypass_total", "counter", "Non-deterministic generation requests (never cached).",
      static_cast<double>(s.bypasses));
  One(w, "deepgate_cache_stores_total", "counter", "Complete answers stored.", static_cast<double>(s.stores));
  One(w, "deepgate_cache_evictions_total", "counter", "Entries dropped for space (LRU) or age (TTL).",
      static_cast<double>(s.evictions));
  One(w, "deepgate_cache_purged_total", "counter", "Entries dropped by a purge.", static_cast<double>(s.purged));
  One(w, "deepgate_cache_bytes", "gauge", "Bytes held by cached answers.", static_cast<double>(s.bytes));
  One(w, "deepgate_cache_max_bytes", "gauge", "The cache's byte bound (0: disabled).",
      c ? static_cast<double>(c->max_bytes()) : 0.0);
  One(w, "deepgate_cache_entries", "gauge", "Cached answers.", static_cast<double>(s.entries));
}

// The key store backend (PostgreSQL outages and the stale-key window in use).
void RenderKeyStore(ExpositionWriter& w, const auth::KeyStore* store) {
  if (store == nullptr) return;
  const auth::KeyStoreHealth h = store->Health();
  One(w, "deepgate_key_store_up", "gauge", "1 while the key store answers, 0 during an outage.", h.reachable ? 1 : 0);
  One(w, "deepgate_key_store_outages_total", "counter", "Key store outages (backend_degraded events).",
      static_cast<double>(h.outages));
  One(w, "deepgate_key_store_stale_answers_total", "counter",
      "Keys accepted from the stale window while the key store was unreachable.", static_cast<double>(h.stale_answers));
}

void RenderBackend(ExpositionWriter& w, const audit::BackendHealth& h) {
  const metrics::Labels labels{{"backend", h.backend()}};
  w.Family("deepgate_backend_up", "gauge", "1 while the shared backend answers, 0 during an outage.");
  w.Sample("deepgate_backend_up", labels, h.up() ? 1 : 0);
  w.Family("deepgate_backend_outages_total", "counter", "Outages of the shared backend (backend_degraded events).");
  w.Sample("deepgate_backend_outages_total", labels, static_cast<double>(h.outages()));
  w.Family("deepgate_backend_degraded_decisions_total", "counter",
           "Limit decisions made without the shared backend (local fallback or 503 limits_unavailable).");
  w.Sample("deepgate_backend_degraded_decisions_total", labels, static_cast<double>(h.degraded_calls()));
}

}  // namespace

std::string RenderMetrics(const MetricsSources& src) {
  ExpositionWriter w;
  if (src.requests != nullptr) src.requests->Render(w);
  RenderEngine(w, src.models);
  RenderCache(w, src.cache);
  RenderKeyStore(w, src.key_store);
  if (src.redis != nullptr) RenderBackend(w, *src.redis);
  One(w, "deepgate_audit_entries_total", "counter", "Audit entries written.",
      src.audit ? static_cast<double>(src.audit->entries()) : 0.0);
  One(w, "deepgate_audit_send_errors_total", "counter", "Audit entries journald refused (sd_journal_send errors).",
      src.audit ? static_cast<double>(src.audit->send_errors()) : 0.0);
  One(w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
      static_cast<double>(metrics::ResidentBytes()));
  One(w, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
      metrics::ProcessStartTimeSeconds());
  return w.text();
}

void AddMetricsRoute(Router& router, MetricsSources sources) {
  router.Add({"GET", "/metrics", "metrics", false, [sources](RequestContext&, ResponseWriter& out) {
                out.AddHeader("Cache-Control", "no-store");
                out.SendBody(200, metrics::kExpositionContentType, RenderMetrics(sources));
              }});
}

}  // namespace deepgate::fcgi
