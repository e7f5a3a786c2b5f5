// Generate: runs one sequence from a tokenized prompt to a finish reason — chunked prefill,
// then sample → stream-decode → stop-string check → evaluate, one token per step.
//
// The serving engine batches many sequences per step and uses the same pieces (Sampler,
// StreamDecoder, StopStringMatcher); this single-sequence loop drives the CLI, the bench and
// tests. Text is emitted through a callback as soon as it is safe to show: never half a UTF-8
// character, never a prefix of a stop string that may still complete.
// Thread-safety: one call uses the model's thread pool; do not run two at once on one model.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/completion_tracker.h"
#include "core/sampler.h"
#include "core/status.h"

namespace deepgate {

class Model;
class SequenceState;

struct GenerateRequest {
  std::vector<int32_t> prompt;      // at least one token
  int32_t max_tokens = 128;         // > 0
  SamplerParams sampling;
  std::vector<std::string> stop;    // stop strings (not included in the output)
  bool ignore_eos = false;          // keep going past end-of-generation tokens (benches)
  int32_t prefill_chunk = 512;      // prompt tokens per forward pass
};

// One sampled token and the text it released (may be empty while text is held back).
struct GenerateStep {
  int32_t token = 0;
  std::string text;
  SampleResult sample;  // logprob and top alternatives when requested
};

struct GenerateResult {
  FinishReason finish = FinishReason::kLength;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  double prefill_seconds = 0;
  double decode_seconds = 0;
  std::string tail;  // text released only at the end (flushed decoder / held stop prefix)
};

// on_step returns false to cancel. The state must be fresh (n_past 0) or hold a prefix of
// the prompt, which is then reused without re-evaluation.
Result<GenerateResult> Generate(Model& model, SequenceState& state, const GenerateRequest& request,
                                const std::function<bool(const GenerateStep&)>& on_step);

}  // namespace deepgate
