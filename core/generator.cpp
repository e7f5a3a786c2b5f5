#include "core/generator.h"

#include <algorithm>
#include <chrono>

#include "core/model/model.h"

namespace deepgate {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Result<GenerateResult> Generate(Model& model, SequenceState& state, const GenerateRequest& request,
                                const std::function<bool(const GenerateStep&)>& on_step) {
  const int32_t n_vocab = model.info().n_vocab;
  const int32_t n_prompt = static_cast<int32_t>(request.prompt.size());
  if (n_prompt == 0) return Status::InvalidArgument("the prompt is empty");
  if (request.prefill_chunk <= 0) return Status::InvalidArgument("prefill_chunk must be positive");
  if (n_prompt >= state.n_ctx()) {
    return Status::InvalidArgument("the prompt has " + std::to_string(n_prompt) +
                                   " tokens but the context holds " + std::to_string(state.n_ctx()));
  }
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= n_vocab) return Status::InvalidArgument("prompt token id " + std::to_string(id) + " is out of range");
  }
  DG_ASSIGN_OR_RETURN(CompletionTracker tracker,
                      CompletionTracker::Create(model.tokenizer(), request.sampling, request.stop,
                                                request.max_tokens, request.ignore_eos));

  // Reuse a cached prefix (the caller guarantees the state holds a prefix of this prompt);
  // the last prompt token is always evaluated so its logits exist.
  const int32_t reuse = std::min(state.n_past(), n_prompt - 1);
  if (state.n_past() > reuse) state.Truncate(reuse);

  GenerateResult result;
  result.prompt_tokens = n_prompt;
  std::vector<float> logits(static_cast<size_t>(n_vocab));  // [n_vocab]

  const auto prefill_start = std::chrono::steady_clock::now();
  for (int32_t pos = reuse; pos < n_prompt; pos += request.prefill_chunk) {
    const int32_t n = std::min(request.prefill_chunk, n_prompt - pos);
    const bool last = pos + n == n_prompt;
    DG_RETURN_IF_ERROR(model.Eval(state, request.prompt.data() + pos, n, last ? logits.data() : nullptr, false));
  }
  result.prefill_seconds = SecondsSince(prefill_start);
  tracker.AcceptPrompt(request.prompt);

  const auto decode_start = std::chrono::steady_clock::now();
  while (true) {
    TrackedToken next = tracker.Next(logits.data(), state.n_ctx() - state.n_past() - 1);
    GenerateStep step{next.token, std::move(next.text), std::move(next.sample)};
    if (!on_step(step)) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    if (next.finish) {
      result.finish = *next.finish;
      break;
    }
    DG_RETURN_IF_ERROR(model.Eval(state, &step.token, 1, logits.data(), false));
  }
  result.decode_seconds = SecondsSince(decode_start);
  result.completion_tokens = tracker.completion_tokens();
  if (result.finish != FinishReason::kCancelled) result.tail = tracker.Tail();
  return result;
}

}  // namespace deepgate
