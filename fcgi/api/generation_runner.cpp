#include "fcgi/api/generation_runner.h"

#include <json/writer.h>

#include "fcgi/http/json.h"
#include "fcgi/policy/policy_admission.h"

namespace deepgate::fcgi {

using Clock = std::chrono::steady_clock;

std::optional<ApiError> GenerationRunner::ReserveShare(RequestContext& ctx, const std::vector<EngineRequest>& requests,
                                                       int retry_after_s) {
  int64_t tokens = 0;
  for (const EngineRequest& r : requests) tokens += static_cast<int64_t>(r.prompt.size()) + r.max_tokens;
  const policy::LimitSpec own = policy::DefaultLimits(ctx.principal, ctx.config.rate_limits);
  const int64_t reserved = ctx.config.engine_reserved_sequences;  // 0: no per-subject share
  const policy::ShareLimits limits{
      own.max_concurrent, own.tokens_per_minute,
      reserved == 0 ? 0 : std::max<int64_t>(1, int64_t{ctx.config.max_sequences} - reserved)};
  policy::ShareRefusal refusal;
  if (engine_share_.Reserve(ctx.principal.subject, static_cast<int64_t>(requests.size()), tokens, limits,
                                   &share_, &refusal))
    return std::nullopt;
  const bool rate_limited = refusal.status.code() == StatusCode::kResourceExhausted;
  ctx.Refuse(Refusal(rate_limited ? RefusalReason::kRateLimited : RefusalReason::kEngineShare, refusal.status,
                     refusal.reason));
  return ApiError::FromStatus(refusal.status, retry_after_s);
}

std::optional<ApiError> GenerationRunner::Submit(RequestContext& ctx, Engine& engine,
                                                 std::vector<EngineRequest> requests, int retry_after_s) {
  if (auto refused = ReserveShare(ctx, requests, retry_after_s)) return refused;
  submitted_ = Clock::now();
  for (EngineRequest& request : requests) {
    Result<std::shared_ptr<EngineStream>> stream = engine.Submit(std::move(request));
    if (!stream.ok()) {
      CancelAndDrain();
      streams_.clear();
      const Status& s = stream.status();
      if (s.code() == StatusCode::kResourceExhausted) {
        return ApiError::Unavailable("The server is overloaded: " + s.message() + "; retry later", "overloaded",
                                     retry_after_s);
      }
      if (s.code() == StatusCode::kUnavailable) {
        return ApiError::Unavailable(s.message(), "shutting_down", retry_after_s);
      }
      return ApiError::FromStatus(s, retry_after_s);
    }
    streams_.push_back(std::move(stream).value());
    finished_.push_back(false);
    last_token_.push_back(Clock::time_point{});
  }
  return std::nullopt;
}

bool GenerationRunner::Pump(const RequestContext& ctx,
                            const std::function<bool(size_t choice, const EngineEvent& event)>& on_event) {
  size_t remaining = streams_.size();
  EngineEvent event;
  while (remaining > 0) {
    for (size_t i = 0; i < streams_.size(); ++i) {
      if (finished_[i]) continue;
      // One choice: wait for its events; several: poll so none starves the others.
      const auto wait = streams_.size() == 1 ? std::chrono::milliseconds(50) : std::chrono::milliseconds(2);
      while (streams_[i]->Next(&event, Clock::now() + wait)) {
        if (!event.done) NoteToken(i);
        if (event.done) {
          finished_[i] = true;
          --remaining;
        }
        if (!on_event(i, event)) {
          CancelAndDrain();
          return false;
        }
        if (event.done) break;
        // A stream that never pauses must still notice a deadline or shutdown.
        if (ctx.ShouldStop()) {
          CancelAndDrain();
          return false;
        }
      }
    }
    if (ctx.ShouldStop()) {
      CancelAndDrain();
      return false;
    }
  }
  return true;
}

void GenerationRunner::NoteToken(size_t choice) {
  if (timing_ == nullptr) return;
  const Clock::time_point now = Clock::now();
  Clock::time_point& last = last_token_[choice];
  const bool first = last == Clock::time_point{};
  const double s = std::chrono::duration<double>(now - (first ? submitted_ : last)).count();
  if (first) timing_->FirstToken(s);
  else timing_->InterToken(s);
  last = now;
}

void GenerationRunner::CancelAndDrain() {
  for (auto& s : streams_) s->Cancel();
  // The engine confirms each cancel with a final event within one step.
  EngineEvent event;
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (finished_[i]) continue;
    const auto give_up = Clock::now() + std::chrono::seconds(30);
    while (streams_[i]->Next(&event, give_up)) {
      if (event.done) break;
    }
    finished_[i] = true;
  }
}

const char* FinishReasonText(FinishReason reason) { return reason == FinishReason::kStop ? "stop" : "length"; }

ApiError CancelledError(int retry_after_s) {
  return ApiError::Unavailable("The request was cancelled before it completed (deadline or shutdown)", "cancelled",
                               retry_after_s);
}

bool WriteStreamError(ResponseWriter& out, const Status& failure, int retry_after_s) {
  const ApiError error = ApiError::FromStatus(failure, retry_after_s);
  Json::Value event(Json::objectValue);
  event["error"]["message"] = error.message;
  event["error"]["type"] = error.type;
  event["error"]["code"] = error.code;
  event["error"]["param"] = Json::Value(Json::nullValue);
  return out.WriteEvent(WriteJson(event));
}

}  // namespace deepgate::fcgi
