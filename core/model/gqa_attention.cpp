// GqaAttention forward: project, rotate, append to the cache, attend per (token, head), project.
#include "core/model/gqa_attention.h"

#include <algorithm>
#include <cmath>

#include "core/fp16.h"
#include "core/model/kv_cache.h"
#include "core/quant/quant.h"
#include "core/threadpool.h"

namespace deepgate {

Result<std::unique_ptr<GqaAttention>> GqaAttention::Load(const WeightLoader& w, const ModelHparams& h,
                                                          int32_t layer) {
  std::unique_ptr<GqaAttention> a(new GqaAttention());
  a->h_ = h;
  const std::string p = "blk." + std::to_string(layer) + ".";
  const int64_t q_dim = static_cast<int64_t>(h.n_head) * h.head_dim;
  const int64_t kv_dim = static_cast<int64_t>(h.n_head_kv) * h.head_dim;
  DG_ASSIGN_OR_RETURN(a->wq_, w.Matrix(p + "attn_q.weight", h.n_embd, q_dim));
  DG_ASSIGN_OR_RETURN(a->wk_, w.Matrix(p + "attn_k.weight", h.n_embd, kv_dim));
  DG_ASSIGN_OR_RETURN(a->wv_, w.Matrix(p + "attn_v.weight", h.n_embd, kv_dim));
  DG_ASSIGN_OR_RETURN(a->wo_, w.Matrix(p + "attn_output.weight", q_dim, h.n_embd));
  if (w.Has(p + "attn_q.bias")) { DG_ASSIGN_OR_RETURN(a->bq_, w.Vector(p + "attn_q.bias", q_dim)); }
  if (w.Has(p + "attn_k.bias")) { DG_ASSIGN_OR_RETURN(a->bk_, w.Vector(p + "attn_k.bias", kv_dim)); }
  if (w.Has(p + "attn_v.bias")) { DG_ASSIGN_OR_RETURN(a->bv_, w.Vector(p + "attn_v.bias", kv_dim)); }
  return a;
}

void GqaAttention::Forward(LayerContext& ctx, const float* x, float* out) {
  const ModelHparams& h = h_;
  const BatchPlan& plan = ctx.plan;
  ForwardScratch& s = ctx.scratch;
  const int32_t T = plan.n_tokens;
  const int32_t hd = h.head_dim;
  const int64_t q_dim = static_cast<int64_t>(h.n_head) * hd;
  const int64_t kv_dim = static_cast<int64_t>(h.n_head_kv) * hd;

  // 1. Projections: q [T][q_dim], k/v [T][kv_dim].
  float* q = Grow(s.q, static_cast<size_t>(T) * q_dim);
  float* k = Grow(s.k, static_cast<size_t>(T) * kv_dim);
  float* v = Grow(s.v, static_cast<size_t>(T) * kv_dim);
  const MatMulOutput qkv[] = {{&wq_, q}, {&wk_, k}, {&wv_, v}};
  MatMulShared(ctx.pool, qkv, 3, x, T, s.matmul);
  if (!bq_.empty()) AddBias(bq_.data(), q_dim, T, q);
  if (!bk_.empty()) AddBias(bk_.data(), kv_dim, T, k);
  if (!bv_.empty()) AddBias(bv_.data(), kv_dim, T, v);

  // 2. RoPE on every q and k head, then append k/v to each token's sequence cache (f16).
  ctx.pool.ParallelFor(T, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      for (int32_t hh = 0; hh < h.n_head; ++hh) ctx.rope.Apply(static_cast<int32_t>(t), q + t * q_dim + hh * hd);
      for (int32_t hh = 0; hh < h.n_head_kv; ++hh) ctx.rope.Apply(static_cast<int32_t>(t), k + t * kv_dim + hh * hd);
      KvSequence* seq = plan.states[plan.entry[t]];
      const int32_t pos = plan.pos[t];
      quant::QuantizeRow(GgmlType::F16, k + t * kv_dim, seq->k(ctx.layer, pos), kv_dim);
      for (int64_t d = 0; d < kv_dim; ++d) *seq->v_at(ctx.layer, d, pos) = F32ToFp16(v[t * kv_dim + d]);
    }
  });

  // 3. Causal attention per (token, head): token t sees its sequence's positions 0..pos[t].
  //    scores = K[0..n) q (one VecDotRows over the cached key rows), softmax, then
  //    out[d] = V^T[d][0..n) . p (one VecDotRows over the transposed value rows).
  int32_t max_len = 0;
  for (int32_t t = 0; t < T; ++t) max_len = std::max(max_len, plan.pos[t] + 1);
  float* scores_all = Grow(s.per_thread, static_cast<size_t>(max_len) * ctx.pool.n_threads());
  float* attn = Grow(s.attn, static_cast<size_t>(T) * q_dim);
  float* partial_all = Grow(s.attn_partial, static_cast<size_t>(hd) * ctx.pool.n_threads());
  const int32_t group = h.n_head / h.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t n_items = static_cast<int64_t>(T) * h.n_head;
  const size_t k_stride = static_cast<size_t>(kv_dim) * sizeof(uint16_t);
  ctx.pool.Run([&](int ti, int nt) {
    float* scores = scores_all + static_cast<size_t>(max_len) * ti;
    float* partial = partial_all + static_cast<size_t>(hd) * ti;
    // Strided, not contiguous: later tokens see more positions, so contiguous ranges would
    // leave the last thread with most of a causal prefill's work.
    for (int64_t item = ti; item < n_items; item += nt) {
      const int32_t t = static_cast<int32_t>(item / h.n_head);
      const int32_t head = static_cast<int32_t>(item % h.n_head);
      const int64_t kv_off = static_cast<int64_t>(head / group) * hd;
      KvSequence* seq = plan.states[plan.entry[t]];
      const int32_t n = plan.pos[t] + 1;
      quant::VecDotRows(GgmlType::F16, hd, seq->k(ctx.layer, 0) + kv_off, k_stride, n,
                        q + t * q_dim + static_cast<int64_t>(head) * hd, scores);
      for (int32_t j = 0; j < n; ++j) scores[j] *= scale;
      Softmax(scores, n);
      // out = sum over position blocks of V_block^T p_block (the first block writes, later
      // ones add), so a short context reads only the blocks it filled.
      float* o = attn + t * q_dim + static_cast<int64_t>(head) * hd;
      constexpr int32_t kB = KvSequence::kVBlock;
      constexpr size_t v_stride = kB * sizeof(uint16_t);
      for (int32_t b = 0; b * kB < n; ++b) {
        const int32_t len = std::min(kB, n - b * kB);
        float* dst = b == 0 ? o : partial;
        quant::VecDotRows(GgmlType::F16, len, seq->v_block(ctx.layer, b, kv_off), v_stride, hd, scores + b * kB, dst);
        if (b > 0) for (int32_t d = 0; d < hd; ++d) o[d] += partial[d];
      }
    }
  });

  // 4. Output projection.
  MatMul(ctx.pool, wo_, attn, T, out, s.matmul);
}

}  // namespace deepgate
