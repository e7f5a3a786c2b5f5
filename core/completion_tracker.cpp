#include "core/completion_tracker.h"

#include <utility>

namespace deepgate {

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "unknown";
}

Result<CompletionTracker> CompletionTracker::Create(const Tokenizer& tokenizer, const SamplerParams& sampling,
                                                    std::vector<std::string> stop, int32_t max_tokens,
                                                    bool ignore_eos) {
  if (max_tokens <= 0) return Status::InvalidArgument("max_tokens must be positive");
  DG_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(sampling, tokenizer.n_vocab()));
  DG_ASSIGN_OR_RETURN(StopStringMatcher stops, StopStringMatcher::Create(std::move(stop)));
  return CompletionTracker(tokenizer, std::move(sampler), std::move(stops), max_tokens, ignore_eos);
}

CompletionTracker::CompletionTracker(const Tokenizer& tokenizer, Sampler sampler, StopStringMatcher stops,
                                     int32_t max_tokens, bool ignore_eos)
    : tokenizer_(&tokenizer),
      sampler_(std::move(sampler)),
      decoder_(tokenizer),
      stops_(std::move(stops)),
      max_tokens_(max_tokens),
      ignore_eos_(ignore_eos) {}

void CompletionTracker::AcceptPrompt(const std::vector<int32_t>& prompt) {
  for (int32_t id : prompt) sampler_.Accept(id);
}

TrackedToken CompletionTracker::Next(const float* logits, int32_t positions_left) {
  TrackedToken out;
  out.sample = sampler_.Sample(logits);
  out.token = out.sample.token;
  sampler_.Accept(out.token);
  ++completion_tokens_;
  if (!ignore_eos_ && tokenizer_->IsEndOfGeneration(out.token)) {
    out.finish = FinishReason::kStop;  // the end token itself is never shown
    return out;
  }
  StopPushResult pushed = stops_.Push(decoder_.Push(out.token));
  out.text = std::move(pushed.emit);
  if (pushed.stopped) {
    out.finish = FinishReason::kStop;
  } else if (completion_tokens_ >= max_tokens_ || positions_left <= 0) {
    out.finish = FinishReason::kLength;
  }
  return out;
}

std::string CompletionTracker::Tail() {
  if (stops_.stopped()) return "";
  StopPushResult pushed = stops_.Push(decoder_.Flush());
  if (pushed.stopped) return pushed.emit;
  return pushed.emit + stops_.Flush();
}

}  // namespace deepgate
