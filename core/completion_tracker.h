// CompletionTracker: everything that happens to a completion between one forward pass and
// the next — sample from the logits, turn the token into text that is safe to show (whole
// UTF-8 characters, no prefix of a stop string that may still complete), and decide whether
// the completion ends (end-of-generation token, stop string, max_tokens, full context).
//
// Shared by the single-sequence Generate loop and the batching Engine so both produce the
// same tokens and text for the same request.
// Thread-safety: one tracker per sequence, used by one thread at a time.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/sampler.h"
#include "core/status.h"
#include "core/stop_strings.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {

enum class FinishReason {
  kStop,       // end-of-generation token or a stop string
  kLength,     // max_tokens reached or the context is full
  kCancelled,  // the caller asked to stop
};
const char* FinishReasonName(FinishReason reason);  // "stop", "length", "cancelled"

struct TrackedToken {
  int32_t token = 0;
  std::string text;     // released now (may be empty)
  SampleResult sample;  // logprob and top alternatives when requested
  std::optional<FinishReason> finish;  // set when this token ends the completion
};

class CompletionTracker {
 public:
  // Validates the sampling values and stop strings.
  static Result<CompletionTracker> Create(const Tokenizer& tokenizer, const SamplerParams& sampling,
                                          std::vector<std::string> stop, int32_t max_tokens,
                                          bool ignore_eos);

  // Penalties look at the prompt too (as llama.cpp's and OpenAI's do).
  void AcceptPrompt(const std::vector<int32_t>& prompt);

  // Samples the next token from logits [n_vocab]. `positions_left` is how many more tokens
  // the context can hold after this one.
  TrackedToken Next(const float* logits, int32_t positions_left);

  // Text held back until the end (incomplete UTF-8 at the very end, a held stop-string
  // prefix that never completed). Call once, after a finish other than kCancelled.
  std::string Tail();

  int32_t completion_tokens() const { return completion_tokens_; }

 private:
  CompletionTracker(const Tokenizer& tokenizer, Sampler sampler, StopStringMatcher stops,
                    int32_t max_tokens, bool ignore_eos);
  const Tokenizer* tokenizer_;
  Sampler sampler_;
  StreamDecoder decoder_;
  StopStringMatcher stops_;
  int32_t max_tokens_;
  bool ignore_eos_;
  int32_t completion_tokens_ = 0;
};

}  // namespace deepgate
