// Pipeline: the fixed sequence every request goes through, one stage per step:
//   parse (BuildRequest) → route → screen (country, failed-credential limit) → authenticate →
//   authorise → admit (policy) → handle → audit.
// Public routes (/health, /ready) skip authenticate/authorise/admit. Whatever a stage or
// handler does — error, exception, client gone — the client gets one well-formed answer and
// the audit sink gets one record — a refused request under its refusal event (auth_failure,
// forbidden, rate_limited) with the stage's internal reason, plus an `anomaly` record when
// the policy stage flags one. Thread-safety: Serve is called concurrently; the router and
// stages are shared and must be thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>

#include "fcgi/audit/audit_record.h"
#include "fcgi/config.h"
#include "fcgi/http/request.h"
#include "fcgi/http/response_writer.h"
#include "fcgi/http/router.h"
#include "fcgi/server/open_stages.h"

namespace deepgate::fcgi {

// What a handler gets besides the writer.
struct RequestContext {
  const Request& request;
  const Route& route;
  std::string route_param;        // the {id} of "/v1/models/{id}"
  Principal principal;
  const WorkerConfig& config;     // snapshot for this request (SIGHUP swaps the next one)
  std::chrono::steady_clock::time_point deadline;  // request_deadline_ms after arrival
  const std::atomic<bool>& cancel;                 // set when shutdown's deadline passes
  ClientOrigin origin;            // client address and country (policy stage)
  RequestUsage usage;             // generation handlers fill this in: audit + tokens/min
  // A refusal a handler makes itself (a key's model allow-list, the OAuth token exchange):
  // the request's one audit entry records it under its refusal event instead of "request".
  std::optional<Refusal> refusal;
  void Refuse(Refusal r) { refusal = std::move(r); }

  ByteSink* sink = nullptr;       // the connection to nginx, asked whether the client left

  // A long-running handler (generation) polls this between steps and stops when true:
  // shutdown, the deadline, or nginx closed the connection (the client left).
  bool ShouldStop() const {
    return cancel.load(std::memory_order_relaxed) || std::chrono::steady_clock::now() >= deadline ||
           (sink != nullptr && sink->PeerGone());
  }
};

struct PipelineStages {
  std::unique_ptr<Authenticator> authenticator = std::make_unique<OpenAccessAuthenticator>();
  std::unique_ptr<Authoriser> authoriser = std::make_unique<AllowAllAuthoriser>();
  std::unique_ptr<AdmissionPolicy> admission = std::make_unique<UnlimitedAdmission>();
  std::unique_ptr<AuditSink> audit = std::make_unique<StderrAuditSink>();
};

class Pipeline {
 public:
  Pipeline(const Router& router, PipelineStages stages) : router_(router), stages_(std::move(stages)) {}
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Serves one request from source to sink.
  void Serve(RequestSource& source, ByteSink& sink, const WorkerConfig& config, const std::atomic<bool>& cancel);

  // Answers a request that arrived while the worker is shutting down: 503 + Retry-After.
  void Refuse(RequestSource& source, ByteSink& sink, const WorkerConfig& config, const ApiError& error);

 private:
  const Router& router_;
  PipelineStages stages_;
};

}  // namespace deepgate::fcgi
