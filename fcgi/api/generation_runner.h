// GenerationRunner: the part the chat and completions handlers share — submit one engine
// request per choice, then pump their events in arrival order to the handler while watching
// for the client going away, the request deadline and shutdown (any of which cancels every
// choice and waits for the engine to confirm, so no sequence outlives its request).
// Thread-safety: one runner per request, used by the request's thread.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/engine.h"
#include "fcgi/base/token_timing.h"
#include "fcgi/http/api_error.h"
#include "fcgi/http/response_writer.h"
#include "fcgi/policy/engine_share.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

class GenerationRunner {
 public:
  // `share` apportions the engine among subjects (one per worker, like the engine; it must
  // outlive the runner). `timing` (may be null) hears each choice's first token and
  // inter-token gaps.
  GenerationRunner(policy::EngineShare& share, TokenTimingObserver* timing) : engine_share_(share), timing_(timing) {}

  // Submits every request (choice i gets requests[i]); on any refusal the ones already
  // submitted are cancelled and the error to answer with is returned. First the requests
  // are counted against the principal's sequences, tokens and engine share
  // (fcgi/policy/engine_share.h): n choices are n sequences, each reserving its prompt +
  // max_tokens; the reservation is held until the runner goes.
  std::optional<ApiError> Submit(RequestContext& ctx, Engine& engine, std::vector<EngineRequest> requests,
                                 int retry_after_s);

  // Calls on_event(choice, event) for each event until every choice has finished. on_event
  // returns false when the client is gone. Returns false when the run was cut short (client
  // gone, deadline, shutdown); every stream has then been cancelled and drained.
  bool Pump(const RequestContext& ctx, const std::function<bool(size_t choice, const EngineEvent& event)>& on_event);

  size_t size() const { return streams_.size(); }

 private:
  void CancelAndDrain();
  void NoteToken(size_t choice);
  std::optional<ApiError> ReserveShare(RequestContext& ctx, const std::vector<EngineRequest>& requests,
                                       int retry_after_s);
  policy::EngineShare& engine_share_;
  TokenTimingObserver* const timing_;
  policy::EngineShare::Ticket share_;  // declared before the streams: released after they are gone
  std::vector<std::shared_ptr<EngineStream>> streams_;
  std::vector<bool> finished_;
  std::chrono::steady_clock::time_point submitted_;
  std::vector<std::chrono::steady_clock::time_point> last_token_;  // [choice]; epoch = none yet
};

// OpenAI's finish_reason for a finished choice ("stop" or "length").
const char* FinishReasonText(FinishReason reason);

// The answer when a non-streamed request was cut short (deadline or shutdown).
ApiError CancelledError(int retry_after_s);

// A failure after the SSE headers went out travels as an {"error": ...} event, as OpenAI's
// streams do. Returns false when the client is gone.
bool WriteStreamError(ResponseWriter& out, const Status& failure, int retry_after_s);

}  // namespace deepgate::fcgi
