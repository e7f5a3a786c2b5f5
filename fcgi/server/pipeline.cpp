#include "fcgi/server/pipeline.h"

#include <exception>

#include "fcgi/audit/credential_mask.h"
#include "fcgi/policy/overflow_policy.h"

namespace deepgate::fcgi {
namespace {

using Clock = std::chrono::steady_clock;

AuditRecord StartRecord(const Request& r) {
  AuditRecord a;
  a.request_id = r.request_id;
  a.remote_addr = r.remote_addr;
  a.method = r.method;
  a.path = r.path;
  a.request_bytes = r.body.size();
  return a;
}

// The security event a refusal is recorded under.
AuditEvent RefusalEvent(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kBadCredentials: return AuditEvent::kAuthFailure;
    case RefusalReason::kRateLimited:
    case RefusalReason::kClientThrottled: return AuditEvent::kRateLimited;
    case RefusalReason::kEngineShare:
    case RefusalReason::kLimitsUnavailable: return AuditEvent::kRequest;
    case RefusalReason::kModelRejected: return AuditEvent::kModelRejected;
    case RefusalReason::kCredentialsRequired:
    case RefusalReason::kRoleNotPermitted:
    case RefusalReason::kModelNotAllowed:
    case RefusalReason::kCountryBlocked: break;
  }
  return AuditEvent::kForbidden;
}

// The audit fields of a refusal: its event, reason and the key a refused credential named.
void NoteRefusal(const Refusal& r, AuditRecord& audit) {
  audit.event = RefusalEvent(r.reason);
  audit.reason = AuditReason(r);
  if (!r.key_id.empty()) audit.key_id = r.key_id;
}

// Runs the route's handler: "ok", or "error" when it threw (answered 500 if nothing was
// sent yet, and never allowed to take the worker down).
const char* RunHandler(RequestContext& ctx, ResponseWriter& out) {
  try {
    ctx.route.handler(ctx, out);
    if (!out.started()) out.SendError(ApiError::Internal("The handler produced no response"));
    return "ok";
  } catch (const std::exception& e) {
    std::fprintf(stderr, "deepgate-fcgi: request %s: handler threw: %s\n", ctx.request.request_id.c_str(),
                 audit::MaskSecrets(e.what()).c_str());
    if (!out.started()) out.SendError(ApiError::Internal("The server failed to process the request"));
    return "error";
  }
}

}  // namespace

void Pipeline::Serve(RequestSource& source, ByteSink& sink, const WorkerConfig& config,
                     const std::atomic<bool>& cancel) {
  const auto start = Clock::now();
  Request request;
  ApiError error;
  const bool parsed = BuildRequest(source, config.max_body_bytes, &request, &error);
  ResponseWriter out(sink, request.request_id);
  AuditRecord audit = StartRecord(request);
  const ClientOrigin origin = stages_.admission->Locate(request);
  audit.client_ip = origin.ip;
  audit.client_country = origin.country;
  auto finish = [&](const char* outcome) {
    audit.status = out.status();
    audit.response_bytes = out.body_bytes();
    audit.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    audit.outcome = out.client_gone() ? "client_gone" : outcome;
    stages_.audit->Record(audit);
  };
  auto fail = [&](const ApiError& e) {
    out.SendError(e);
    finish("error");
  };
  // A stage said no: the client gets the public message, the audit trail the reason.
  auto refuse = [&](const Refusal& r, std::vector<std::pair<std::string, std::string>> headers = {}) {
    NoteRefusal(r, audit);
    ApiError e = ApiError::FromRefusal(r, config.retry_after_s);
    for (auto& h : headers) e.headers.push_back(std::move(h));
    fail(e);
  };

  // 1. parse
  if (!parsed) return fail(error);
  // 2. route
  RouteMatch match = router_.Match(request.method, request.path);
  if (match.route == nullptr) return fail(match.error);
  const Route& route = *match.route;
  audit.route = route.name;

  Principal principal;
  const bool admitted = !route.is_public || route.policy_when_public;
  if (admitted) {
    // 3a. screen: the client's country and failed-credential count, before any credential
    Admission screen = stages_.admission->Screen(request, origin);
    if (screen.refusal) return refuse(*screen.refusal, std::move(screen.headers));
  }
  if (!route.is_public) {
    // 3. authenticate
    if (auto no = stages_.authenticator->Authenticate(request, &principal)) {
      // A key store outage (503) is not the client's failed credential.
      if (no->status.code() != StatusCode::kUnavailable) stages_.admission->NoteAuthFailure(origin);
      return refuse(*no);
    }
    audit.subject = AuditSubject(principal);
    audit.key_id = principal.key_id;
    audit.role = principal.role;
    // 4. authorise
    if (auto no = stages_.authoriser->Authorise(principal, route, request)) return refuse(*no);
  } else if (route.policy_when_public) {
    principal.subject = "client:" + origin.ip;  // limits keyed on the address, defaults apply
  }
  std::string lease;  // the concurrency slot Admit handed out, given back to Release
  if (admitted) {
    // 5. policy
    Admission admission = stages_.admission->Admit(principal, route, request, origin);
    if (!admission.anomaly.empty()) {
      AuditRecord anomaly = audit;
      anomaly.event = AuditEvent::kAnomaly;
      anomaly.reason = admission.anomaly;
      stages_.audit->Record(anomaly);
    }
    if (admission.refusal) return refuse(*admission.refusal, std::move(admission.headers));
    for (auto& [name, value] : admission.headers) out.AddHeader(std::move(name), std::move(value));
    lease = std::move(admission.lease);
  }
  if (!route.is_public) audit.subject = AuditSubject(principal);
  // May nginx's @overflow serve this request off-site if it is answered 503? Only a request
  // that got this far (authenticated, authorised, admitted) can be marked.
  const bool may_overflow =
      !route.is_public && DecideOverflow(config.overflow, principal, origin) == OverflowVerdict::kAllowed;
  if (may_overflow) out.AddHeader(kOverflowHeader, kOverflowAllowed);

  // 6. handle. Handlers answer errors themselves; an escaping exception is a bug (RunHandler).
  RequestContext ctx{request, route, std::move(match.param), principal, config,
                     start + std::chrono::milliseconds(config.request_deadline_ms), cancel, origin, {}, std::nullopt};
  ctx.sink = &sink;
  const char* outcome = RunHandler(ctx, out);
  if (cancel.load() && outcome == std::string("ok")) outcome = "cancelled";
  if (admitted) stages_.admission->Release(principal, route, ctx.usage, lease);
  // A failed token exchange counts against the client like a failed credential.
  if (ctx.refusal && ctx.refusal->reason == RefusalReason::kBadCredentials &&
      ctx.refusal->status.code() != StatusCode::kUnavailable)  // a key store outage is not the client's
    stages_.admission->NoteAuthFailure(origin);
  // 7. audit
  if (ctx.refusal) NoteRefusal(*ctx.refusal, audit);
  audit.model = ctx.usage.model;
  audit.prompt_tokens = ctx.usage.prompt_tokens;
  audit.completion_tokens = ctx.usage.completion_tokens;
  if (out.status() >= 400 && outcome == std::string("ok")) outcome = "error";
  if (may_overflow && out.status() == 503) audit.upstream = "overflow";  // nginx sends it on
  finish(outcome);
}

void Pipeline::Refuse(RequestSource& source, ByteSink& sink, const WorkerConfig& config, const ApiError& error) {
  const auto start = Clock::now();
  Request request;
  ApiError ignored;
  (void)BuildRequest(source, config.max_body_bytes, &request, &ignored);
  ResponseWriter out(sink, request.request_id);
  out.SendError(error);
  AuditRecord audit = StartRecord(request);
  audit.client_ip = request.remote_addr;
  audit.status = out.status();
  audit.response_bytes = out.body_bytes();
  audit.duration = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  audit.outcome = "refused";
  audit.reason = error.code;
  stages_.audit->Record(audit);
}

}  // namespace deepgate::fcgi
