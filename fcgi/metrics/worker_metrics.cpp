#include "fcgi/metrics/worker_metrics.h"

#include "fcgi/auth/auth_failure.h"

namespace deepgate::fcgi::metrics {

WorkerMetrics::WorkerMetrics() {
  // Every reason exists from the first scrape, so rate() over a fresh reason is never a gap.
  for (int f = static_cast<int>(auth::AuthFailure::kNone) + 1; f <= static_cast<int>(auth::kLastAuthFailure); ++f)
    auth_failures_.Get({auth::AuthFailureName(static_cast<auth::AuthFailure>(f))});
}

void WorkerMetrics::ObserveRequest(const AuditRecord& r) {
  switch (r.event) {
    case AuditEvent::kRequest:
    case AuditEvent::kAuthFailure:
    case AuditEvent::kForbidden:
    case AuditEvent::kRateLimited:
      break;
    default:
      return;  // key, anomaly, reload and model events are not requests
  }
  if (r.status <= 0) return;
  const std::string route = r.route.empty() ? "unrouted" : r.route;
  requests_.Get({route, std::to_string(r.status)}).Add();
  duration_.Get({route}).Observe(static_cast<double>(r.duration.count()) / 1e6);
  if (r.event == AuditEvent::kAuthFailure) auth_failures_.Get({r.reason.empty() ? "unknown" : r.reason}).Add();
  if (r.status == 429) rate_limited_.Add();
  if (r.prompt_tokens > 0) prompt_tokens_.Add(static_cast<uint64_t>(r.prompt_tokens));
  if (r.completion_tokens > 0) completion_tokens_.Add(static_cast<uint64_t>(r.completion_tokens));
}

void WorkerMetrics::Render(ExpositionWriter& w) const {
  w.Family("deepgate_requests_total", "counter", "Requests answered, by route name and HTTP status.");
  requests_.ForEach([&](const LabelValues& v, const Counter& c) {
    w.Sample("deepgate_requests_total", {{"route", v[0]}, {"status", v[1]}}, static_cast<double>(c.Value()));
  });
  w.Family("deepgate_request_duration_seconds", "histogram",
           "Time from a request's arrival to its audit record, by route name (streams: until the last event).");
  duration_.ForEach([&](const LabelValues& v, const Histogram& h) {
    w.HistogramSamples("deepgate_request_duration_seconds", {{"route", v[0]}}, h.Snapshot());
  });
  w.Family("deepgate_time_to_first_token_seconds", "histogram",
           "Time from submitting a generation to its first token, per choice.");
  w.HistogramSamples("deepgate_time_to_first_token_seconds", {}, ttft_.Snapshot());
  w.Family("deepgate_inter_token_latency_seconds", "histogram", "Gap between two consecutive tokens of one choice.");
  w.HistogramSamples("deepgate_inter_token_latency_seconds", {}, itl_.Snapshot());
  w.Family("deepgate_prompt_tokens_total", "counter", "Prompt tokens reported in answers' usage (cache hits included).");
  w.Sample("deepgate_prompt_tokens_total", {}, static_cast<double>(prompt_tokens_.Value()));
  w.Family("deepgate_completion_tokens_total", "counter",
           "Completion tokens reported in answers' usage (cache hits included).");
  w.Sample("deepgate_completion_tokens_total", {}, static_cast<double>(completion_tokens_.Value()));
  w.Family("deepgate_auth_failures_total", "counter", "Refused credentials, by internal reason.");
  auth_failures_.ForEach([&](const LabelValues& v, const Counter& c) {
    w.Sample("deepgate_auth_failures_total", {{"reason", v[0]}}, static_cast<double>(c.Value()));
  });
  w.Family("deepgate_rate_limited_total", "counter", "Requests answered 429 (rate or token limits).");
  w.Sample("deepgate_rate_limited_total", {}, static_cast<double>(rate_limited_.Value()));
}

}  // namespace deepgate::fcgi::metrics
