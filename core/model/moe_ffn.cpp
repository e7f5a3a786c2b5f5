// MoeFfn: routing, per-expert grouping, expert SwiGLUs, weighted sum.
#include "core/model/moe_ffn.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/model/dense_ffn.h"
#include "core/threadpool.h"

namespace deepgate {

MoeFfn::~MoeFfn() = default;

Result<std::unique_ptr<MoeFfn>> MoeFfn::Load(const WeightLoader& w, const ModelHparams& h, const Deepseek2Hparams& d,
                                             int32_t layer) {
  std::unique_ptr<MoeFfn> f(new MoeFfn());
  f->d_ = d;
  f->n_embd_ = h.n_embd;
  const std::string p = "blk." + std::to_string(layer) + ".";
  DG_ASSIGN_OR_RETURN(f->router_, w.Matrix(p + "ffn_gate_inp.weight", h.n_embd, d.n_expert));
  if (w.Has(p + "exp_probs_b.bias")) {
    DG_ASSIGN_OR_RETURN(f->choice_bias_, w.Vector(p + "exp_probs_b.bias", d.n_expert));
  }
  DG_ASSIGN_OR_RETURN(f->gate_, w.Stacked(p + "ffn_gate_exps.weight", h.n_embd, d.n_ff_exp, d.n_expert, true));
  DG_ASSIGN_OR_RETURN(f->up_, w.Stacked(p + "ffn_up_exps.weight", h.n_embd, d.n_ff_exp, d.n_expert, true));
  DG_ASSIGN_OR_RETURN(f->down_, w.Stacked(p + "ffn_down_exps.weight", d.n_ff_exp, h.n_embd, d.n_expert, true));
  if (d.n_expert_shared > 0) {
    DG_ASSIGN_OR_RETURN(f->shared_,
                        DenseFfn::Load(w, h, layer, "_shexp", static_cast<int64_t>(d.n_ff_exp) * d.n_expert_shared));
  }
  return f;
}

void MoeFfn::Route(const float* logits, int32_t T, int32_t* choice, float* weight) const {
  const int32_t n_exp = d_.n_expert, k = d_.n_expert_used;
  std::vector<float> probs(static_cast<size_t>(n_exp)), rank(static_cast<size_t>(n_exp));
  std::vector<int32_t> ids(static_cast<size_t>(n_exp));
  for (int32_t t = 0; t < T; ++t) {
    const float* l = logits + static_cast<int64_t>(t) * n_exp;
    if (d_.gating == ExpertGating::kSoftmax) {
      std::copy(l, l + n_exp, probs.begin());
      Softmax(probs.data(), n_exp);
    } else {
      for (int32_t e = 0; e < n_exp; ++e) probs[e] = 1.0f / (1.0f + std::exp(-l[e]));
    }
    for (int32_t e = 0; e < n_exp; ++e) rank[e] = probs[e] + (choice_bias_.empty() ? 0.0f : choice_bias_[e]);
    for (int32_t e = 0; e < n_exp; ++e) ids[e] = e;
    // Highest rank first; equal ranks keep the lower expert id first.
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return rank[a] > rank[b] || (rank[a] == rank[b] && a < b); });
    int32_t* c = choice + static_cast<int64_t>(t) * k;
    float* w = weight + static_cast<int64_t>(t) * k;
    float sum = 0.0f;
    for (int32_t j = 0; j < k; ++j) {
      c[j] = ids[j];
      w[j] = probs[ids[j]];  // the bias chose the expert; the weight is the unbiased probability
      sum += w[j];
    }
    for (int32_t j = 0; j < k; ++j) {
      if (d_.weights_norm) w[j] /= sum;
      w[j] *= d_.weights_scale;
    }
  }
}

void MoeFfn::Forward(LayerContext& ctx, const float* x, float* out) {
  ForwardScratch& s = ctx.scratch;
  const int32_t T = ctx.plan.n_tokens;
  const int32_t n_exp = d_.n_expert, k = d_.n_expert_used;
  const int64_t n_embd = n_embd_, n_ff = d_.n_ff_exp;
  const int64_t n_rows = static_cast<int64_t>(T) * k;  // (token, choice) pairs

  // 1. Route: logits [T][n_expert] -> choice/weight [T][k].
  float* logits = Grow(s.moe_logits, static_cast<size_t>(T) * n_exp);
  MatMul(ctx.pool, router_, x, T, logits, s.matmul);
  if (s.moe_choice.size() < static_cast<size_t>(2 * n_rows)) s.moe_choice.resize(static_cast<size_t>(2 * n_rows));
  int32_t* choice = s.moe_choice.data();
  int32_t* row_of = choice + n_rows;  // [T][k] row of the pair in the per-expert grouping
  float* weight = Grow(s.moe_weight, static_cast<size_t>(n_rows));
  Route(logits, T, choice, weight);

  // 2. Group the pairs by expert (token order within an expert) and gather their inputs.
  s.moe_count.assign(static_cast<size_t>(n_exp) + 1, 0);
  for (int64_t i = 0; i < n_rows; ++i) ++s.moe_count[static_cast<size_t>(choice[i]) + 1];
  for (int32_t e = 0; e < n_exp; ++e) s.moe_count[e + 1] += s.moe_count[e];  // now offsets
  std::vector<int32_t> fill(s.moe_count.begin(), s.moe_count.end() - 1);
  float* xg = Grow(s.moe_x, static_cast<size_t>(n_rows) * n_embd);  // [n_rows][n_embd]
  for (int64_t i = 0; i < n_rows; ++i) {
    const int32_t r = row_of[i] = fill[static_cast<size_t>(choice[i])]++;
    std::memcpy(xg + r * n_embd, x + (i / k) * n_embd, sizeof(float) * static_cast<size_t>(n_embd));
  }

  // 3. Each chosen expert once, over all its rows: y = down(silu(gate x) * up x).
  float* g = Grow(s.moe_gate, static_cast<size_t>(n_rows) * n_ff);
  float* u = Grow(s.moe_up, static_cast<size_t>(n_rows) * n_ff);
  float* y = Grow(s.moe_y, static_cast<size_t>(n_rows) * n_embd);
  for (int32_t e = 0; e < n_exp; ++e) {
    const int64_t r0 = s.moe_count[e], n = s.moe_count[e + 1] - r0;
    if (n == 0) continue;
    const WeightMatrix we_gate = gate_.at(e), we_up = up_.at(e), we_down = down_.at(e);
    const MatMulOutput gate_up[] = {{&we_gate, g + r0 * n_ff}, {&we_up, u + r0 * n_ff}};
    MatMulShared(ctx.pool, gate_up, 2, xg + r0 * n_embd, n, s.matmul);
    SwiGlu(g + r0 * n_ff, u + r0 * n_ff, n * n_ff);
    MatMul(ctx.pool, we_down, g + r0 * n_ff, n, y + r0 * n_embd, s.matmul);
  }

  // 4. out = shared(x) + sum over the token's choices, in choice order, of weight * y.
  if (shared_) {
    float* sh = Grow(s.moe_shared, static_cast<size_t>(T) * n_embd);
    shared_->Forward(ctx, x, sh);
  }
  ctx.pool.ParallelFor(T, 4, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      float* o = out + t * n_embd;
      std::fill(o, o + n_embd, 0.0f);
      for (int32_t j = 0; j < k; ++j) {
        const float w = weight[t * k + j];
        const float* yr = y + static_cast<int64_t>(row_of[t * k + j]) * n_embd;
        for (int64_t i = 0; i < n_embd; ++i) o[i] += w * yr[i];
      }
      if (shared_) {
        const float* sh = s.moe_shared.data() + t * n_embd;
        for (int64_t i = 0; i < n_embd; ++i) o[i] += sh[i];
      }
    }
  });
}

}  // namespace deepgate
