// WorkerMetrics: the series deepgate-fcgi counts itself, on the request path. Requests by
// route and status, duration per route, served tokens, auth failures by reason, 429s — all
// fed from the one audit record every request ends with (MetricsAuditSink), so the metrics
// and the audit trail can never disagree — and time to first token / inter-token latency fed
// by the generation flow (TokenTimingObserver, handed to it at start-up). Gauges read from elsewhere at scrape time
// (engine, cache, audit sink, process) are rendered by fcgi/api/metrics_route.cpp.
// Thread-safety: every method may be called from any thread; updates are atomics.
#pragma once

#include "fcgi/audit/audit_record.h"
#include "fcgi/base/token_timing.h"
#include "fcgi/metrics/counter.h"
#include "fcgi/metrics/exposition.h"
#include "fcgi/metrics/family.h"
#include "fcgi/metrics/histogram.h"

namespace deepgate::fcgi::metrics {

class WorkerMetrics final : public TokenTimingObserver {
 public:
  WorkerMetrics();
  WorkerMetrics(const WorkerMetrics&) = delete;
  WorkerMetrics& operator=(const WorkerMetrics&) = delete;

  // One finished request (or a refusal): what the pipeline hands the audit sink.
  void ObserveRequest(const AuditRecord& record);

  void FirstToken(double seconds) override { ttft_.Observe(seconds); }
  void InterToken(double seconds) override { itl_.Observe(seconds); }

  // Appends this object's families.
  void Render(ExpositionWriter& w) const;

 private:
  Family<Counter> requests_{{"route", "status"}};
  Family<Histogram> duration_{{"route"}, [] { return std::make_unique<Histogram>(Histogram::LatencyBounds()); }};
  Family<Counter> auth_failures_{{"reason"}};
  Counter rate_limited_;
  Counter prompt_tokens_;
  Counter completion_tokens_;
  Histogram ttft_{Histogram::LatencyBounds()};
  Histogram itl_{Histogram::TokenBounds()};
};

}  // namespace deepgate::fcgi::metrics
