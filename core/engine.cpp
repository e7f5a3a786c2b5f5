#include "core/engine.h"

#include <algorithm>

#include "core/model/model.h"
#include "core/threadpool.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {

// ---- EngineStream ----

bool EngineStream::Next(EngineEvent* event, std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(mu_);
  if (finished_) return false;
  if (!cv_.wait_until(lock, until, [&] { return !events_.empty(); })) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  if (event->done) finished_ = true;
  return true;
}

void EngineStream::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
}

bool EngineStream::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void EngineStream::Push(EngineEvent event) {
  {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

// ---- Engine ----

struct Engine::Sequence {
  EngineRequest request;
  std::shared_ptr<EngineStream> stream;
  CompletionTracker tracker;
  std::unique_ptr<SequenceState> state;
  std::vector<float> logits;  // [n_vocab]
  int32_t prefilled = 0;      // prompt tokens evaluated
  int32_t next_token = -1;    // sampled, to be evaluated in the next step
  bool has_logits = false;    // logits hold this step's output
  bool done = false;
  bool counted = false;       // included in stats_.active (from the moment it leaves the queue)
};

Result<std::unique_ptr<Engine>> Engine::Create(Model& model, EngineOptions options) {
  if (options.max_sequences < 1 || options.max_sequences > 256) {
    return Status::InvalidArgument("max_sequences must be in [1, 256]");
  }
  if (options.queue_capacity < 0) return Status::InvalidArgument("queue_capacity must be >= 0");
  if (options.prefill_chunk < 1) return Status::InvalidArgument("prefill_chunk must be >= 1");
  if (options.n_ctx < 2 || options.n_ctx > model.info().n_ctx_train) {
    return Status::InvalidArgument("n_ctx must be in [2, " + std::to_string(model.info().n_ctx_train) +
                                   "] (the model's context length)");
  }
  std::unique_ptr<Engine> engine(new Engine(model, options));
  // Size one KV cache to learn the per-sequence cost, and keep it for the first request.
  DG_ASSIGN_OR_RETURN(std::unique_ptr<SequenceState> probe, model.NewSequence(options.n_ctx));
  engine->kv_bytes_per_sequence_ = probe->memory_bytes();
  if (engine->kv_bytes_per_sequence_ > options.kv_budget_bytes) {
    return Status::InvalidArgument("kv_budget_bytes (" + std::to_string(options.kv_budget_bytes) +
                                   ") is below the KV cache of one sequence of n_ctx " +
                                   std::to_string(options.n_ctx) + " (" +
                                   std::to_string(engine->kv_bytes_per_sequence_) + " bytes)");
  }
  engine->max_active_ = static_cast<int32_t>(std::min<uint64_t>(
      static_cast<uint64_t>(options.max_sequences), options.kv_budget_bytes / engine->kv_bytes_per_sequence_));
  engine->free_states_.push_back(std::move(probe));
  engine->thread_ = std::thread([e = engine.get()] { e->Loop(); });
  return engine;
}

Engine::Engine(Model& model, EngineOptions options) : model_(model), options_(options) {}

Engine::~Engine() { Shutdown(std::chrono::steady_clock::now()); }

Result<std::shared_ptr<EngineStream>> Engine::Submit(EngineRequest request) {
  const int32_t n_prompt = static_cast<int32_t>(request.prompt.size());
  if (n_prompt == 0) return Status::InvalidArgument("the prompt is empty");
  if (n_prompt >= options_.n_ctx) {
    return Status::InvalidArgument("the prompt has " + std::to_string(n_prompt) +
                                   " tokens; the context holds " + std::to_string(options_.n_ctx) +
                                   " including the completion");
  }
  const int32_t n_vocab = model_.info().n_vocab;
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= n_vocab) return Status::InvalidArgument("token id " + std::to_string(id) + " is out of range");
  }
  DG_ASSIGN_OR_RETURN(CompletionTracker tracker,
                      CompletionTracker::Create(model_.tokenizer(), request.sampling, request.stop,
                                                request.max_tokens, request.ignore_eos));
  tracker.AcceptPrompt(request.prompt);
  auto stream = std::make_shared<EngineStream>();
  auto seq = std::unique_ptr<Sequence>(new Sequence{std::move(request), stream, std::move(tracker), nullptr, {}});
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Unavailable("the server is shutting down");
    // Room = free active slots + the waiting line. stats_.active is what the engine thread
    // last admitted; requests queued since then take free slots first.
    const int32_t room = options_.queue_capacity + std::max(0, max_active_ - stats_.active);
    if (static_cast<int32_t>(queue_.size()) >= room) {
      ++stats_.rejected;
      return Status::ResourceExhausted("the server is busy: " + std::to_string(queue_.size()) +
                                       " requests are already waiting");
    }
    queue_.push_back(std::move(seq));
    stats_.queued = static_cast<int32_t>(queue_.size());
  }
  cv_.notify_all();
  return stream;
}

void Engine::Shutdown(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ || deadline < stop_deadline_) stop_deadline_ = deadline;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void Engine::Loop() {
  while (true) {
    bool stopping;
    std::chrono::steady_clock::time_point deadline;
    {
      std::lock_guard lock(mu_);
      stopping = stopping_;
      deadline = stop_deadline_;
    }
    if (stopping && std::chrono::steady_clock::now() >= deadline) {
      CancelEverything(Status::Unavailable("the server is shutting down"));
      return;
    }
    Admit();
    if (Step()) continue;
    std::unique_lock lock(mu_);
    if (stopping_ && queue_.empty() && active_.empty()) return;
    // Idle: sleep until work arrives or shutdown begins.
    cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
  }
}

void Engine::Admit() {
  const size_t max_active = static_cast<size_t>(max_active_);
  while (active_.size() < max_active) {
    std::unique_ptr<Sequence> seq;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) break;
      seq = std::move(queue_.front());
      queue_.pop_front();
      stats_.queued = static_cast<int32_t>(queue_.size());
      // Counted active in the same step it leaves the queue, so Submit never sees a free
      // slot that is already taken.
      ++stats_.active;
      stats_.kv_bytes_in_use += kv_bytes_per_sequence_;
      seq->counted = true;
    }
    if (!free_states_.empty()) {
      seq->state = std::move(free_states_.back());
      free_states_.pop_back();
      seq->state->Truncate(0);
    } else {
      Result<std::unique_ptr<SequenceState>> state = model_.NewSequence(options_.n_ctx);
      if (!state.ok()) {
        Finish(*seq, FinishReason::kCancelled, state.status());
        continue;
      }
      seq->state = std::move(*state);
    }
    seq->logits.resize(static_cast<size_t>(model_.info().n_vocab));
    active_.push_back(std::move(seq));
  }
  std::lock_guard lock(mu_);
  stats_.active = static_cast<int32_t>(active_.size());
  stats_.kv_bytes_in_use = active_.size() * kv_bytes_per_sequence_;
}

bool Engine::Step() {
  const auto now = std::chrono::steady_clock::now();
  // Drop cancelled and expired sequences before spending a forward pass on them.
  for (auto& seq : active_) {
    if (seq->stream->cancelled()) {
      Finish(*seq, FinishReason::kCancelled, Status::Ok());
    } else if (now >= seq->request.deadline) {
      Finish(*seq, FinishReason::kCancelled, Status::Unavailable("the request deadline passed"));
    }
  }
  DropFinished();
  if (active_.empty()) return false;

  // Decoding sequences take one token each; prefilling ones share the chunk budget, in
  // arrival order, so prompt processing never blocks decoding for more than one chunk.
  batch_.clear();
  std::vector<Sequence*> in_batch;
  int32_t prefill_budget = options_.prefill_chunk;
  for (auto& seq : active_) {
    const int32_t n_prompt = static_cast<int32_t>(seq->request.prompt.size());
    seq->has_logits = false;
    BatchEntry entry;
    entry.state = seq->state.get();
    if (seq->prefilled < n_prompt) {
      const int32_t n = std::min(n_prompt - seq->prefilled, prefill_budget);
      if (n == 0) continue;
      prefill_budget -= n;
      entry.tokens = seq->request.prompt.data() + seq->prefilled;
      entry.n_tokens = n;
      seq->has_logits = seq->prefilled + n == n_prompt;
      seq->prefilled += n;
    } else {
      entry.tokens = &seq->next_token;
      entry.n_tokens = 1;
      seq->has_logits = true;
    }
    entry.logits = seq->has_logits ? seq->logits.data() : nullptr;
    batch_.push_back(entry);
    in_batch.push_back(seq.get());
  }
  Status status = model_.Eval(batch_);
  {
    std::lock_guard lock(mu_);
    ++stats_.steps;
  }
  if (!status.ok()) {
    for (Sequence* seq : in_batch) Finish(*seq, FinishReason::kCancelled, status);
    DropFinished();
    return true;
  }
  // Sampling is per sequence (its own sampler, decoder and stop matcher) and each pass reads
  // a whole vocabulary of logits, so the batch's sequences are sampled on the model's pool;
  // events are then pushed in batch order.
  sampled_.clear();
  for (Sequence* seq : in_batch) {
    if (seq->has_logits) sampled_.push_back(seq);
  }
  next_.resize(sampled_.size());
  model_.thread_pool().ParallelFor(static_cast<int64_t>(sampled_.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) next_[static_cast<size_t>(i)] = SampleNext(*sampled_[static_cast<size_t>(i)]);
  });
  for (size_t i = 0; i < sampled_.size(); ++i) Emit(*sampled_[i], std::move(next_[i]));
  DropFinished();
  return true;
}

void Engine::DropFinished() {
  std::erase_if(active_, [](const std::unique_ptr<Sequence>& s) { return s->done; });
  // Submit sizes its admission room from this, so it must drop as soon as slots free up.
  std::lock_guard lock(mu_);
  stats_.active = static_cast<int32_t>(active_.size());
  stats_.kv_bytes_in_use = active_.size() * kv_bytes_per_sequence_;
}

TrackedToken Engine::SampleNext(Sequence& seq) {
  const int32_t positions_left = seq.state->n_ctx() - seq.state->n_past() - 1;
  return seq.tracker.Next(seq.logits.data(), positions_left);
}

void Engine::Emit(Sequence& seq, TrackedToken next) {
  EngineEvent event;
  event.token = next.token;
  event.text = std::move(next.text);
  event.sample = std::move(next.sample);
  seq.stream->Push(std::move(event));
  if (next.finish) {
    Finish(seq, *next.finish, Status::Ok());
  } else {
    seq.next_token = next.token;
  }
}

void Engine::Finish(Sequence& seq, FinishReason reason, Status status) {
  EngineEvent event;
  event.done = true;
  event.finish = reason;
  if (status.ok() && reason != FinishReason::kCancelled) event.text = seq.tracker.Tail();
  event.status = std::move(status);
  event.prompt_tokens = static_cast<int32_t>(seq.request.prompt.size());
  event.completion_tokens = seq.tracker.completion_tokens();
  {
    std::lock_guard lock(mu_);
    if (reason == FinishReason::kCancelled) {
      ++stats_.cancelled;
    } else {
      ++stats_.completed;
    }
    stats_.prompt_tokens += static_cast<uint64_t>(seq.prefilled);
    stats_.completion_tokens += static_cast<uint64_t>(event.completion_tokens);
    // The slot is free before the client hears "done": a Submit right after it must fit.
    if (seq.counted) {
      --stats_.active;
      stats_.kv_bytes_in_use -= kv_bytes_per_sequence_;
      seq.counted = false;
    }
  }
  seq.stream->Push(std::move(event));
  seq.done = true;
  if (seq.state) free_states_.push_back(std::move(seq.state));
}

void Engine::CancelEverything(const Status& why) {
  for (auto& seq : active_) Finish(*seq, FinishReason::kCancelled, why);
  active_.clear();
  std::deque<std::unique_ptr<Sequence>> queued;
  {
    std::lock_guard lock(mu_);
    queued.swap(queue_);
    stats_.queued = 0;
    stats_.active = 0;
  }
  for (auto& seq : queued) Finish(*seq, FinishReason::kCancelled, why);
}

}  // namespace deepgate
