// Engine: the continuous-batching scheduler. Every active sequence advances in ONE forward
// pass per step (decoding sequences contribute one token, prefilling ones a chunk of their
// prompt), new requests join between steps, and finished or cancelled ones leave between
// steps — so a long prompt never stalls the others for more than one chunk.
//
// Bounded everywhere: at most max_sequences active, at most queue_capacity waiting
// (Submit answers ResourceExhausted beyond that: the API's 503 + Retry-After), each
// sequence's KV cache sized from n_ctx and counted against kv_budget_bytes, and every
// request carries a deadline.
//
// Results flow through an EngineStream per request: the engine thread pushes events, the
// caller's thread (a FastCGI acceptor) pops them and writes them to the client; when the
// client is gone the caller calls Cancel() and the sequence is dropped at the next step.
// Thread-safety: Submit, Cancel, stats and Shutdown may be called from any thread; one engine
// thread owns the model while running.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/completion_tracker.h"
#include "core/sampler.h"
#include "core/status.h"

namespace deepgate {

class Model;
class SequenceState;
struct BatchEntry;

// The one set of engine defaults: deepgate-fcgi's config (fcgi/config.h) starts from these.
struct EngineOptions {
  // Active at once (one forward pass per step serves all): batched decode on a CPU still
  // gains aggregate tokens/s at 8 streams; the KV budget lowers it for large models.
  int32_t max_sequences = 8;
  // Waiting beyond the active ones (0: only free slots). Two rounds of 8: a longer queue only
  // turns into waits past the deadline, where a 503 + Retry-After lets nginx go elsewhere.
  int32_t queue_capacity = 16;
  int32_t n_ctx = 4096;                // positions per sequence (prompt + completion)
  int32_t prefill_chunk = 256;         // prompt tokens per step across all prefilling sequences
  // Total KV memory of all active sequences: 8 x 4096 positions of a GQA 8B model in f16
  // (128 KiB per position).
  uint64_t kv_budget_bytes = 4ull << 30;
};

struct EngineRequest {
  std::vector<int32_t> prompt;
  int32_t max_tokens = 256;
  SamplerParams sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

struct EngineEvent {
  bool done = false;       // the last event of the stream
  int32_t token = -1;      // the sampled token (not set on the final event)
  std::string text;        // text released now (may be empty while text is held back)
  SampleResult sample;     // logprob and alternatives of `token`
  // Set on the final event:
  FinishReason finish = FinishReason::kLength;
  Status status;           // non-ok when the request failed (deadline, engine error, shutdown)
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
};

class EngineStream {
 public:
  // Waits for the next event until `until`; false on timeout. After the done event, Next
  // returns false at once.
  bool Next(EngineEvent* event, std::chrono::steady_clock::time_point until);
  // Asks the engine to drop the sequence; a final event (finish kCancelled) still arrives.
  void Cancel();
  bool cancelled() const;

 private:
  friend class Engine;
  void Push(EngineEvent event);
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<EngineEvent> events_;  // GUARDED_BY(mu_)
  bool cancelled_ = false;          // GUARDED_BY(mu_)
  bool finished_ = false;           // GUARDED_BY(mu_): done event delivered to the reader
};

struct EngineStats {
  int32_t active = 0;
  int32_t queued = 0;
  uint64_t steps = 0;
  uint64_t completed = 0;
  uint64_t cancelled = 0;
  uint64_t rejected = 0;          // Submit refused: queue full
  uint64_t prompt_tokens = 0;
  uint64_t completion_tokens = 0;
  uint64_t kv_bytes_in_use = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> Create(Model& model, EngineOptions options);
  ~Engine();  // Shutdown(now)
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request. InvalidArgument for a bad request (empty prompt, prompt that does not
  // fit n_ctx, bad sampling values), ResourceExhausted when the queue is full, Unavailable
  // after Shutdown.
  Result<std::shared_ptr<EngineStream>> Submit(EngineRequest request);

  // Stops accepting; lets active and queued requests run until `deadline`, then cancels the
  // rest (their streams end with Unavailable) and joins the engine thread.
  void Shutdown(std::chrono::steady_clock::time_point deadline);

  EngineStats stats() const;
  const EngineOptions& options() const { return options_; }

 private:
  struct Sequence;
  Engine(Model& model, EngineOptions options);
  void Loop();
  void Admit();                        // queue → active while room
  bool Step();                         // one forward pass; false when idle
  void Finish(Sequence& seq, FinishReason reason, Status status);
  TrackedToken SampleNext(Sequence& seq);  // thread-safe across distinct sequences
  void Emit(Sequence& seq, TrackedToken next);
  void CancelEverything(const Status& why);  // shutdown deadline passed
  void DropFinished();                       // erase done sequences, publish the count

  Model& model_;
  const EngineOptions options_;
  uint64_t kv_bytes_per_sequence_ = 0;
  int32_t max_active_ = 0;  // max_sequences, lowered when the KV budget holds fewer

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Sequence>> queue_;  // GUARDED_BY(mu_)
  bool stopping_ = false;                        // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point stop_deadline_;  // GUARDED_BY(mu_)
  EngineStats stats_;                            // GUARDED_BY(mu_)

  std::vector<std::unique_ptr<Sequence>> active_;  // engine thread only
  std::vector<std::unique_ptr<SequenceState>> free_states_;  // engine thread only: reused KV caches
  std::vector<BatchEntry> batch_;                  // engine thread only: scratch per step
  std::vector<Sequence*> sampled_;                 // engine thread only: this step's sampled sequences
  std::vector<TrackedToken> next_;                 // engine thread only: their tokens
  std::thread thread_;
};

}  // namespace deepgate
