// GqaAttention forward: project, rotate, append to the cache, attend per (token, head), project.
#include "core/model/gqa_attention.h"

#include <algorithm>
#include <cmath>

#include "core/fp16.h"
#include "core/model/kv_cache.h"
#include "core/quant/quant.h"
#include "core/quant/tile.h"
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

  // 3. Causal attention per (token, group of query heads sharing a key/value head): token t
  //    sees its sequence's positions 0..pos[t].
  //    scores[c] = K[0..n) q_c for the group's heads c (one VecDotTile, so each key row is
  //    converted once for all of them), softmax per head, then out_c[d] = V^T[d][0..n) . p_c
  //    (one VecDotTile over the transposed value rows). VecDotTile's results are VecDotRows'
  //    bit for bit, so the grouping changes no output.
  int32_t max_len = 0;
  for (int32_t t = 0; t < T; ++t) max_len = std::max(max_len, plan.pos[t] + 1);
  const int32_t group = h.n_head / h.n_head_kv;
  // Heads per work item: the whole group, unless that leaves too few items to share among
  // the threads (decode: one token, a handful of key/value heads).
  const int nt_pool = ctx.pool.n_threads();
  int32_t per_item = group;
  while (per_item > 1 && static_cast<int64_t>(T) * h.n_head_kv * ((group + per_item - 1) / per_item) < 4 * nt_pool) {
    per_item = (per_item + 1) / 2;
  }
  const int32_t chunks = (group + per_item - 1) / per_item;
  float* scores_all = Grow(s.per_thread, static_cast<size_t>(max_len) * per_item * nt_pool);
  float* attn = Grow(s.attn, static_cast<size_t>(T) * q_dim);
  float* partial_all = Grow(s.attn_partial, static_cast<size_t>(hd) * per_item * nt_pool);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int64_t n_items = static_cast<int64_t>(T) * h.n_head_kv * chunks;
  const size_t k_stride = static_cast<size_t>(kv_dim) * sizeof(uint16_t);
  const size_t scores_stride = static_cast<size_t>(max_len) * sizeof(float);
  ctx.pool.Run([&](int ti, int nt) {
    float* scores = scores_all + static_cast<size_t>(max_len) * per_item * ti;
    float* partial = partial_all + static_cast<size_t>(hd) * per_item * ti;
    // Strided, not contiguous: later tokens see more positions, so contiguous ranges would
    // leave the last thread with most of a causal prefill's work.
    for (int64_t item = ti; item < n_items; item += nt) {
      const int32_t t = static_cast<int32_t>(item / (h.n_head_kv * chunks));
      const int32_t rest = static_cast<int32_t>(item % (h.n_head_kv * chunks));
      const int32_t kvh = rest / chunks;
      const int32_t head0 = kvh * group + (rest % chunks) * per_item;
      const int32_t n_heads = std::min(per_item, (kvh + 1) * group - head0);
      const int64_t kv_off = static_cast<int64_t>(kvh) * hd;
      KvSequence* seq = plan.states[plan.entry[t]];
      const int32_t n = plan.pos[t] + 1;
      quant::VecDotTile(GgmlType::F16, hd, seq->k(ctx.layer, 0) + kv_off, k_stride, n,
                        q + t * q_dim + static_cast<int64_t>(head0) * hd, static_cast<size_t>(hd) * sizeof(float),
                        n_heads, scores, max_len);
      for (int32_t c = 0; c < n_heads; ++c) {
        float* sc = scores + static_cast<size_t>(c) * max_len;
        for (int32_t j = 0; j < n; ++j) sc[j] *= scale;
        Softmax(sc, n);
      }
      // out = sum over position blocks of V_block^T p_block (the first block writes, later
      // ones add), so a short context reads only the blocks it filled.
      float* o = attn + t * q_dim + static_cast<int64_t>(head0) * hd;
      constexpr int32_t kB = KvSequence::kVBlock;
      constexpr size_t v_stride = kB * sizeof(uint16_t);
      for (int32_t b = 0; b * kB < n; ++b) {
        const int32_t len = std::min(kB, n - b * kB);
        float* dst = b == 0 ? o : partial;
        quant::VecDotTile(GgmlType::F16, len, seq->v_block(ctx.layer, b, kv_off), v_stride, hd, scores + b * kB,
                          scores_stride, n_heads, dst, hd);
        if (b > 0) {
          for (int32_t i = 0; i < n_heads * hd; ++i) o[i] += partial[i];
        }
      }
    }
  });

  // 4. Output projection.
  MatMul(ctx.pool, wo_, attn, T, out, s.matmul);
}

}  // namespace deepgate
