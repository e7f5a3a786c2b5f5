#include "core/generator.h"

#include <algorithm>
#include <chrono>

#include "core/model/model.h"
#include "core/stop_strings.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

Result<GenerateResult> Generate(Model& model, SequenceState& state, const GenerateRequest& request,
                                const std::function<bool(const GenerateStep&)>& on_step) {
  const Tokenizer& tokenizer = model.tokenizer();
  const int32_t n_vocab = model.info().n_vocab;
  const int32_t n_prompt = static_cast<int32_t>(request.prompt.size());
  if (n_prompt == 0) return Status::InvalidArgument("the prompt is empty");
  if (request.max_tokens <= 0) return Status::InvalidArgument("max_tokens must be positive");
  if (request.prefill_chunk <= 0) return Status::InvalidArgument("prefill_chunk must be positive");
  if (n_prompt >= state.n_ctx()) {
    return Status::InvalidArgument("the prompt has " + std::to_string(n_prompt) +
                                   " tokens but the context holds " + std::to_string(state.n_ctx()));
  }
  for (int32_t id : request.prompt) {
    if (id < 0 || id >= n_vocab) return Status::InvalidArgument("prompt token id " + std::to_string(id) + " is out of range");
  }
  DG_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(request.sampling, n_vocab));
  DG_ASSIGN_OR_RETURN(StopStringMatcher stops, StopStringMatcher::Create(request.stop));

  // Reuse a cached prefix; at least the last prompt token is always evaluated so its logits
  // exist.
  const int32_t reuse = std::min(state.n_past(), n_prompt - 1);
  if (state.n_past() > reuse) state.Truncate(reuse);

  GenerateResult result;
  result.prompt_tokens = n_prompt;
  std::vector<float> logits(static_cast<size_t>(n_vocab));

  const auto prefill_start = std::chrono::steady_clock::now();
  for (int32_t pos = reuse; pos < n_prompt; pos += request.prefill_chunk) {
    const int32_t n = std::min(request.prefill_chunk, n_prompt - pos);
    const bool last = pos + n == n_prompt;
    DG_RETURN_IF_ERROR(model.Eval(state, request.prompt.data() + pos, n, last ? logits.data() : nullptr, false));
  }
  result.prefill_seconds = SecondsSince(prefill_start);
  // Penalties look at the prompt too, as llama.cpp's and OpenAI's do.
  for (int32_t id : request.prompt) sampler.Accept(id);

  StreamDecoder decoder(tokenizer);
  const auto decode_start = std::chrono::steady_clock::now();
  result.finish = FinishReason::kLength;
  while (true) {
    GenerateStep step;
    step.sample = sampler.Sample(logits.data());
    step.token = step.sample.token;
    sampler.Accept(step.token);
    ++result.completion_tokens;
    const bool end = !request.ignore_eos && tokenizer.IsEndOfGeneration(step.token);
    if (end) {
      result.finish = FinishReason::kStop;
    } else {
      StopPushResult pushed = stops.Push(decoder.Push(step.token));
      step.text = std::move(pushed.emit);
      if (pushed.stopped) result.finish = FinishReason::kStop;
    }
    if (!on_step(step)) {
      result.finish = FinishReason::kCancelled;
      break;
    }
    if (end || stops.stopped()) break;
    if (result.completion_tokens >= request.max_tokens || state.n_past() + 1 >= state.n_ctx()) break;
    DG_RETURN_IF_ERROR(model.Eval(state, &step.token, 1, logits.data(), false));
  }
  result.decode_seconds = SecondsSince(decode_start);
  if (!stops.stopped() && result.finish != FinishReason::kCancelled) {
    StopPushResult pushed = stops.Push(decoder.Flush());
    result.tail = std::move(pushed.emit);
    if (!pushed.stopped) {
      result.tail += stops.Flush();
    } else {
      result.finish = FinishReason::kStop;
    }
  }
  return result;
}

}  // namespace deepgate
