// The sampler chain. See sampler.h for the order of the stages and the reasons for it.
#include "core/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

namespace deepgate {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr float kBanBias = -100.0f;

bool InRange(float v, float lo, float hi) { return v >= lo && v <= hi; }  // false for NaN

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// sum(exp(v[i] - shift)) over [n] f32. (glibc's expf beat a hand-written polynomial here:
// without -ffast-math neither vectorises, and expf is the faster scalar.)
double SumExp(const float* v, size_t n, float shift) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(v[i] - shift);
  return sum;
}

}  // namespace

Status ValidateSamplerParams(const SamplerParams& p, int32_t n_vocab) {
  if (n_vocab < 1) return Status::InvalidArgument("sampler: vocabulary is empty");
  if (!InRange(p.temperature, 0.0f, 2.0f)) {
    return Status::InvalidArgument("temperature must be between 0 and 2");
  }
  if (p.top_k < 0) return Status::InvalidArgument("top_k must be >= 0");
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) {
    return Status::InvalidArgument("top_p must be > 0 and <= 1");
  }
  if (!InRange(p.min_p, 0.0f, 1.0f)) return Status::InvalidArgument("min_p must be between 0 and 1");
  if (!(p.repetition_penalty > 0.0f && p.repetition_penalty <= 10.0f)) {
    return Status::InvalidArgument("repetition_penalty must be > 0 and <= 10");
  }
  if (p.repetition_last_n < 0 || p.repetition_last_n > kMaxRepetitionLastN) {
    return Status::InvalidArgument("repetition_last_n must be between 0 and " +
                                   std::to_string(kMaxRepetitionLastN));
  }
  if (!InRange(p.frequency_penalty, -2.0f, 2.0f)) {
    return Status::InvalidArgument("frequency_penalty must be between -2 and 2");
  }
  if (!InRange(p.presence_penalty, -2.0f, 2.0f)) {
    return Status::InvalidArgument("presence_penalty must be between -2 and 2");
  }
  if (p.logit_bias.size() > kMaxLogitBiasEntries) {
    return Status::InvalidArgument("logit_bias has more than " +
                                   std::to_string(kMaxLogitBiasEntries) + " entries");
  }
  for (const auto& [token, bias] : p.logit_bias) {
    if (token < 0 || token >= n_vocab) {
      return Status::InvalidArgument("logit_bias token " + std::to_string(token) +
                                     " is not in the vocabulary");
    }
    if (!InRange(bias, -100.0f, 100.0f)) {
      return Status::InvalidArgument("logit_bias values must be between -100 and 100");
    }
  }
  if (p.top_logprobs < 0 || p.top_logprobs > kMaxTopLogprobs) {
    return Status::InvalidArgument("top_logprobs must be between 0 and " +
                                   std::to_string(kMaxTopLogprobs));
  }
  return Status::Ok();
}

Result<Sampler> Sampler::Create(SamplerParams params, int32_t n_vocab) {
  DG_RETURN_IF_ERROR(ValidateSamplerParams(params, n_vocab));
  return Sampler(std::move(params), n_vocab);
}

Sampler::Sampler(SamplerParams params, int32_t n_vocab)
    : params_(std::move(params)), n_vocab_(std::max<int32_t>(n_vocab, 1)) {
  params_.repetition_last_n = std::clamp(params_.repetition_last_n, 0, kMaxRepetitionLastN);
  params_.top_logprobs = std::clamp(params_.top_logprobs, 0, kMaxTopLogprobs);
  params_.top_k = std::max(params_.top_k, 0);
  if (!(params_.temperature >= 0.0f)) params_.temperature = 0.0f;
  if (!(params_.top_p > 0.0f && params_.top_p <= 1.0f)) params_.top_p = 1.0f;
  if (!InRange(params_.min_p, 0.0f, 1.0f)) params_.min_p = 0.0f;
  if (!(params_.repetition_penalty > 0.0f)) params_.repetition_penalty = 1.0f;
  adjusted_.resize(n_vocab_);
  candidates_.resize(n_vocab_);
  history_.resize(params_.repetition_last_n);
  window_scratch_.reserve(params_.repetition_last_n);
  Reset();
}

void Sampler::Reset() {
  history_next_ = 0;
  history_count_ = 0;
  uint64_t s = params_.seed;
  for (uint64_t& word : rng_) word = SplitMix64(s);
}

void Sampler::Accept(int32_t token) {
  if (history_.empty() || token < 0 || token >= n_vocab_) return;
  history_[history_next_] = token;
  history_next_ = (history_next_ + 1) % history_.size();
  history_count_ = std::min(history_count_ + 1, history_.size());
}

uint64_t Sampler::NextRandom() {
  // xoshiro256** (Blackman & Vigna).
  const uint64_t result = Rotl(rng_[1] * 5, 7) * 9;
  const uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0];
  rng_[3] ^= rng_[1];
  rng_[1] ^= rng_[2];
  rng_[0] ^= rng_[3];
  rng_[2] ^= t;
  rng_[3] = Rotl(rng_[3], 45);
  return result;
}

double Sampler::UniformUnit() { return static_cast<double>(NextRandom() >> 11) * 0x1.0p-53; }

// Stage 1 and 2: penalties over the recent window, then the caller's bias.
void Sampler::AdjustLogits(const float* logits) {
  for (int32_t i = 0; i < n_vocab_; ++i) {
    float v = logits[i];
    if (std::isnan(v)) v = kNegInf;
    if (v == std::numeric_limits<float>::infinity()) v = FLT_MAX;
    adjusted_[i] = v;
  }

  const bool penalise = params_.repetition_penalty != 1.0f || params_.frequency_penalty != 0.0f ||
                        params_.presence_penalty != 0.0f;
  if (penalise && history_count_ > 0) {
    // Sorting a copy of the window (at most a few thousand ids) gives each distinct token
    // and its count without an n_vocab-sized table.
    window_scratch_.assign(history_.begin(), history_.begin() + history_count_);
    std::sort(window_scratch_.begin(), window_scratch_.end());
    for (size_t i = 0; i < window_scratch_.size();) {
      const int32_t token = window_scratch_[i];
      size_t j = i;
      while (j < window_scratch_.size() && window_scratch_[j] == token) ++j;
      const float count = static_cast<float>(j - i);
      float& v = adjusted_[token];
      v = v > 0.0f ? v / params_.repetition_penalty : v * params_.repetition_penalty;
      v -= count * params_.frequency_penalty + params_.presence_penalty;
      i = j;
    }
  }

  for (const auto& [token, bias] : params_.logit_bias) {
    if (token < 0 || token >= n_vocab_) continue;
    adjusted_[token] = bias <= kBanBias ? kNegInf : adjusted_[token] + bias;
  }
}

// The top_logprobs best tokens by adjusted logit (ties: lower id first), as logprobs.
void Sampler::FillTopLogprobs(float log_normaliser, std::vector<TokenLogprob>& top) const {
  const size_t n = std::min<size_t>(params_.top_logprobs, n_vocab_);
  top.clear();
  if (n == 0) return;
  top.reserve(n + 1);
  // Insertion into a short sorted list; most tokens fail the first comparison.
  for (int32_t i = 0; i < n_vocab_; ++i) {
    const float v = adjusted_[i];
    if (top.size() == n && !(v > top.back().logprob)) continue;
    auto pos = std::upper_bound(top.begin(), top.end(), v,
                                [](float value, const TokenLogprob& t) { return value > t.logprob; });
    top.insert(pos, TokenLogprob{i, v});
    if (top.size() > n) top.pop_back();
  }
  for (TokenLogprob& t : top) t.logprob -= log_normaliser;
}

int32_t Sampler::Greedy() const {
  int32_t best = 0;
  for (int32_t i = 1; i < n_vocab_; ++i) {
    if (adjusted_[i] > adjusted_[best]) best = i;
  }
  return best;
}

namespace {

// The total order truncation uses: higher logit first, then lower id. Being total, it makes
// every cut independent of how the standard library's selection breaks ties.
bool Better(int32_t a_token, float a_logit, int32_t b_token, float b_logit) {
  return a_logit > b_logit || (a_logit == b_logit && a_token < b_token);
}

}  // namespace

// Rebuilds candidates_ in token-id order with every token at least as good as `cutoff`.
// Truncation stages select with nth_element (which scrambles the order) and then call this,
// so the draw always walks the kept set in id order: canonical, no sorting needed.
void Sampler::KeepAtLeast(Candidate cutoff) {
  size_ = 0;
  for (int32_t i = 0; i < n_vocab_; ++i) {
    const float v = adjusted_[i];
    if (v == kNegInf || Better(cutoff.token, cutoff.logit, i, v)) continue;
    candidates_[size_++] = Candidate{i, v, 0.0f};
  }
}

// temperature: unnormalised probabilities of the live candidates, the best one exactly 1.
double Sampler::ComputeWeights(float max_logit, float inv_temp) {
  double total = 0.0;
  for (size_t i = 0; i < size_; ++i) {
    Candidate& c = candidates_[i];
    c.weight = std::exp((c.logit - max_logit) * inv_temp);
    total += c.weight;
  }
  return total;
}

// top-p: the cutoff of the smallest best-first set whose weight reaches `target`. A
// quickselect on mass: halve the range around its median, keep the half holding the
// crossing point; O(n) expected, and only the last few dozen candidates are ever sorted.
Sampler::Candidate Sampler::NucleusCutoff(double target) {
  auto better = [](const Candidate& a, const Candidate& b) {
    return Better(a.token, a.logit, b.token, b.logit);
  };
  auto begin = candidates_.begin();
  size_t lo = 0, hi = size_;
  double mass_before_lo = 0.0;  // weight of the candidates known to be better than [lo, hi)
  while (hi - lo > 32) {
    const size_t mid = lo + (hi - lo) / 2;
    std::nth_element(begin + lo, begin + mid, begin + hi, better);
    double mass = mass_before_lo;
    for (size_t i = lo; i <= mid; ++i) mass += candidates_[i].weight;
    if (mass >= target) {
      hi = mid + 1;
    } else {
      mass_before_lo = mass;
      lo = mid + 1;
    }
  }
  std::sort(begin + lo, begin + hi, better);
  double mass = mass_before_lo;
  for (size_t i = lo; i < hi; ++i) {
    mass += candidates_[i].weight;
    if (mass >= target) return candidates_[i];
  }
  return candidates_[hi - 1];  // rounding never reached the target: keep everything
}

// Stages temperature, top-k, top-p, min-p and the draw.
int32_t Sampler::DrawTruncated() {
  float max_logit = kNegInf;
  for (int32_t i = 0; i < n_vocab_; ++i) max_logit = std::max(max_logit, adjusted_[i]);
  if (max_logit == kNegInf) return Greedy();  // everything banned: nothing better to do

  const float inv_temp = 1.0f / params_.temperature;
  if (!std::isfinite(inv_temp)) return Greedy();  // a denormal temperature is greedy
  KeepAtLeast(Candidate{n_vocab_, kNegInf, 0.0f});  // all but banned

  // top-k: ordering by logit equals ordering by tempered probability.
  if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < size_) {
    auto better = [](const Candidate& a, const Candidate& b) {
      return Better(a.token, a.logit, b.token, b.logit);
    };
    auto kth = candidates_.begin() + (params_.top_k - 1);
    std::nth_element(candidates_.begin(), kth, candidates_.begin() + size_, better);
    KeepAtLeast(*kth);
  }

  double total = ComputeWeights(max_logit, inv_temp);

  // top-p: the smallest best-first set whose probability reaches top_p.
  if (params_.top_p < 1.0f) {
    KeepAtLeast(NucleusCutoff(static_cast<double>(params_.top_p) * total));
    total = ComputeWeights(max_logit, inv_temp);
  }

  // min-p: drop tokens less likely than min_p times the best (whose weight is 1).
  if (params_.min_p > 0.0f) {
    size_t out = 0;
    total = 0.0;
    for (size_t j = 0; j < size_; ++j) {
      if (candidates_[j].weight >= params_.min_p) {
        candidates_[out++] = candidates_[j];
        total += candidates_[j].weight;
      }
    }
    size_ = out;  // never 0: the best has weight 1 >= min_p
  }

  // draw
  const double target = UniformUnit() * total;
  double mass = 0.0;
  for (size_t j = 0; j < size_; ++j) {
    mass += candidates_[j].weight;
    if (mass > target) return candidates_[j].token;
  }
  return candidates_[size_ - 1].token;  // rounding left target at the very top
}

SampleResult Sampler::Sample(const float* logits) {
  AdjustLogits(logits);
  if (!params_.logprobs) {
    SampleResult result;
    result.token = params_.temperature == 0.0f ? Greedy() : DrawTruncated();
    result.logprob = 0.0f;
    return result;
  }

  // log-softmax normaliser at temperature 1: max + log(sum(exp(v - max))).
  float max_logit = kNegInf;
  for (int32_t i = 0; i < n_vocab_; ++i) max_logit = std::max(max_logit, adjusted_[i]);
  float log_normaliser = max_logit;
  if (max_logit != kNegInf) {
    log_normaliser = max_logit + static_cast<float>(std::log(SumExp(adjusted_.data(), n_vocab_, max_logit)));
  }

  SampleResult result;
  result.token = params_.temperature == 0.0f ? Greedy() : DrawTruncated();
  result.logprob = adjusted_[result.token] - log_normaliser;
  if (max_logit == kNegInf) result.logprob = kNegInf;
  FillTopLogprobs(log_normaliser, result.top);
  return result;
}

}  // namespace deepgate
