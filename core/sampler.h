// Sampler: picks the next token from the model's logits, as a fixed chain of small stages.
//
//   logits ─▶ penalties (repetition, frequency, presence over the last N accepted tokens)
//          ─▶ logit bias                         ═▶ logprobs are read here (see below)
//          ─▶ greedy (temperature 0)  or  temperature ─▶ top-k ─▶ top-p ─▶ min-p ─▶ draw
//
// Choices, and why:
// - Logprobs (SampleResult::logprob and ::top) are log-softmax of the logits after penalties
//   and bias, at temperature 1 and before any truncation — what OpenAI reports: they
//   describe the model's distribution, not the sampling knobs of this request.
// - Truncation runs on the tempered distribution (temperature first, as Hugging Face and
//   OpenAI do), so top_p/min_p see the probabilities the draw uses.
// - Penalties, like llama.cpp's: repetition divides a positive logit by the penalty and
//   multiplies a negative one; frequency subtracts count * penalty; presence subtracts the
//   penalty once. All three count the last `repetition_last_n` accepted tokens.
// - A bias of exactly -100 bans the token outright (OpenAI: "-100 should result in a ban");
//   other biases are added to the logit.
// - Deterministic: our own xoshiro256** generator seeded from `seed` by splitmix64; the
//   truncation cut-offs use a total order (logit, then token id) and the draw walks the kept
//   tokens in id order, so the same seed and logits give the same tokens on every standard
//   library. Greedy is exact argmax, ties to the lowest id.
// - NaN logits are treated as banned, +inf as the largest float.
//
// Cost per call: O(n_vocab) expected for every stage (selection, never a full sort);
// buffers are allocated once in the constructor.
//
// Thread-safety: none; one Sampler per sequence.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/status.h"

namespace deepgate {

struct SamplerParams {
  float temperature = 1.0f;        // [0, 2]; 0 => greedy
  int top_k = 0;                   // 0 => off; > n_vocab means all
  float top_p = 1.0f;              // (0, 1]; 1 => off
  float min_p = 0.0f;              // [0, 1]; relative to the most likely token; 0 => off
  float repetition_penalty = 1.0f; // (0, 10]; 1 => off
  int repetition_last_n = 64;      // [0, 4096] accepted tokens the penalties look at
  float frequency_penalty = 0.0f;  // [-2, 2]
  float presence_penalty = 0.0f;   // [-2, 2]
  std::vector<std::pair<int32_t, float>> logit_bias;  // (token, bias in [-100, 100]); <= 1024
  uint64_t seed = 0;
  int top_logprobs = 0;            // [0, 20] alternatives reported per token
  // Compute the chosen token's logprob and the top_logprobs: a softmax normaliser over the
  // whole vocabulary per token (152k expf for qwen2). false: SampleResult carries the token
  // only (logprob 0, no alternatives), for callers that report no logprobs.
  bool logprobs = true;
};

inline constexpr int kMaxTopLogprobs = 20;
inline constexpr int kMaxRepetitionLastN = 4096;
inline constexpr size_t kMaxLogitBiasEntries = 1024;

// Ranges as above (OpenAI's where OpenAI has the knob); InvalidArgument naming the field.
Status ValidateSamplerParams(const SamplerParams& params, int32_t n_vocab);

struct TokenLogprob {
  int32_t token;
  float logprob;
};

struct SampleResult {
  int32_t token = 0;
  float logprob = 0.0f;           // of `token`, see the header comment
  std::vector<TokenLogprob> top;  // the top_logprobs most likely tokens, best first
};

class Sampler {
 public:
  // Validates, then constructs.
  static Result<Sampler> Create(SamplerParams params, int32_t n_vocab);

  // Expects ValidateSamplerParams(params, n_vocab).ok(); out-of-range values are clamped or
  // ignored rather than trusted, so a bad value cannot crash.
  Sampler(SamplerParams params, int32_t n_vocab);

  // logits: [n_vocab] f32, not modified.
  SampleResult Sample(const float* logits);
  // Records a token of the sequence (prompt or generated) for the penalties.
  void Accept(int32_t token);
  // Forgets the history and restarts the random sequence from the seed.
  void Reset();

  const SamplerParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t token;
    float logit;   // after penalties and bias
    float weight;  // exp((logit - max) / temperature), unnormalised probability
  };

  void AdjustLogits(const float* logits);      // fills adjusted_
  void FillTopLogprobs(float log_normaliser, std::vector<TokenLogprob>& top) const;
  int32_t Greedy() const;
  int32_t DrawTruncated();
  void KeepAtLeast(Candidate cutoff);
  double ComputeWeights(float max_logit, float inv_temp);
  Candidate NucleusCutoff(double target);
  uint64_t NextRandom();
  double UniformUnit();                         // [0, 1)

  SamplerParams params_;
  int32_t n_vocab_;
  std::vector<float> adjusted_;           // [n_vocab] f32 logits after penalties and bias
  std::vector<Candidate> candidates_;     // [n_vocab] working set, first size_ live,
                                          // in token-id order between stages
  size_t size_ = 0;                       // live candidates
  std::vector<int32_t> history_;          // [repetition_last_n] ring of accepted tokens
  size_t history_next_ = 0;               // ring write position
  size_t history_count_ = 0;              // filled entries
  std::vector<int32_t> window_scratch_;   // [repetition_last_n] sorted copy of the window
  uint64_t rng_[4];                       // xoshiro256** state
};

}  // namespace deepgate
