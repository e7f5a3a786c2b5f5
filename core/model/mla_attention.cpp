// MlaAttention: loading both layouts, projection into the latent cache, and the latent and
// expanded attention paths.
#include "core/model/mla_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/model/kv_cache.h"
#include "core/quant/quant.h"
#include "core/quant/tile.h"
#include "core/threadpool.h"

namespace deepgate {
namespace {

// A weight view over f16 storage owned by the attention block: n_mat matrices [n_out][n_in].
StackedMatrices F16Stack(const uint16_t* data, int64_t n_in, int64_t n_out, int32_t n_mat) {
  StackedMatrices s;
  s.first.type = GgmlType::F16;
  s.first.data = reinterpret_cast<const uint8_t*>(data);
  s.first.n_in = n_in;
  s.first.n_out = n_out;
  s.first.row_bytes = static_cast<size_t>(n_in) * sizeof(uint16_t);
  s.stride = s.first.row_bytes * static_cast<size_t>(n_out);
  s.n = n_mat;
  return s;
}

// Bytes of one activation row of n elements in the format weight type w's dot product reads.
size_t ActivationBytes(GgmlType w, int64_t n) { return *RowBytes(quant::VecDotType(w), n); }

// x [n] f32 -> the activation format of weight type w, in buf (or x itself for F32).
const void* AsActivation(GgmlType w, const float* x, int64_t n, uint8_t* buf) {
  const GgmlType t = quant::VecDotType(w);
  if (t == GgmlType::F32) return x;
  quant::QuantizeRow(t, x, buf, n);
  return buf;
}

}  // namespace

Result<std::unique_ptr<MlaAttention>> MlaAttention::Load(const WeightLoader& w, const ModelHparams& h,
                                                          const Deepseek2Hparams& d, int32_t layer, MlaMode mode) {
  std::unique_ptr<MlaAttention> a(new MlaAttention());
  a->h_ = h;
  a->d_ = d;
  a->mode_ = mode;
  const std::string p = "blk." + std::to_string(layer) + ".";
  const int64_t q_dim = static_cast<int64_t>(h.n_head) * (d.nope + d.rope);
  if (d.q_lora_rank > 0) {
    DG_ASSIGN_OR_RETURN(a->wq_a_, w.Matrix(p + "attn_q_a.weight", h.n_embd, d.q_lora_rank));
    DG_ASSIGN_OR_RETURN(a->q_a_norm_, w.Vector(p + "attn_q_a_norm.weight", d.q_lora_rank));
    DG_ASSIGN_OR_RETURN(a->wq_b_, w.Matrix(p + "attn_q_b.weight", d.q_lora_rank, q_dim));
  } else {
    DG_ASSIGN_OR_RETURN(a->wq_, w.Matrix(p + "attn_q.weight", h.n_embd, q_dim));
  }
  DG_ASSIGN_OR_RETURN(a->wkv_a_, w.Matrix(p + "attn_kv_a_mqa.weight", h.n_embd, CacheDim(d)));
  DG_ASSIGN_OR_RETURN(a->kv_a_norm_, w.Vector(p + "attn_kv_a_norm.weight", d.kv_lora_rank));
  DG_ASSIGN_OR_RETURN(a->wo_, w.Matrix(p + "attn_output.weight", static_cast<int64_t>(h.n_head) * d.v, h.n_embd));
  if (d.split_kv_b) {
    DG_ASSIGN_OR_RETURN(a->k_b_split_, w.Stacked(p + "attn_k_b.weight", d.nope, d.kv_lora_rank, h.n_head));
    DG_ASSIGN_OR_RETURN(a->v_up_, w.Stacked(p + "attn_v_b.weight", d.kv_lora_rank, d.v, h.n_head));
    a->k_absorb_ = a->k_b_split_;
    if (mode != MlaMode::kLatent) DG_RETURN_IF_ERROR(a->BuildExpandFromSplit());
  } else {
    const int64_t per_head = int64_t{d.nope} + d.v;
    DG_ASSIGN_OR_RETURN(WeightMatrix kv_b, w.Matrix(p + "attn_kv_b.weight", d.kv_lora_rank, h.n_head * per_head));
    // Head h's value rows are rows [h*(nope+v) + nope, (h+1)*(nope+v)) of attn_kv_b.
    a->v_up_.first = kv_b;
    a->v_up_.first.data = kv_b.row(d.nope);
    a->v_up_.first.n_out = d.v;
    a->v_up_.first.packed = nullptr;  // row views read the mapped rows (a packed copy is whole groups)
    a->v_up_.first.packed_owner.reset();
    a->v_up_.stride = kv_b.row_bytes * static_cast<size_t>(per_head);
    a->v_up_.n = h.n_head;
    a->expand_ = kv_b;
    const GgmlType act = quant::VecDotType(kv_b.type);
    if (act != GgmlType::F32 && act != GgmlType::F16) a->latent_act_ = act;
    if (mode != MlaMode::kExpanded) DG_RETURN_IF_ERROR(a->BuildAbsorbFromKvB(kv_b));
  }
  return a;
}

// W_k,h^T as f16 [n_head][kv_lora][nope] from the key rows of attn_kv_b.
Status MlaAttention::BuildAbsorbFromKvB(const WeightMatrix& kv_b) {
  const int64_t kvl = d_.kv_lora_rank, nope = d_.nope, per_head = int64_t{d_.nope} + d_.v;
  owned_.resize(static_cast<size_t>(h_.n_head) * kvl * nope);
  std::vector<float> row(static_cast<size_t>(kvl));
  for (int32_t hh = 0; hh < h_.n_head; ++hh) {
    uint16_t* dst = owned_.data() + static_cast<size_t>(hh) * kvl * nope;  // [kvl][nope]
    for (int64_t j = 0; j < nope; ++j) {
      quant::DequantizeRow(kv_b.type, kv_b.row(hh * per_head + j), row.data(), kvl);
      for (int64_t c = 0; c < kvl; ++c) dst[c * nope + j] = F32ToFp16(row[static_cast<size_t>(c)]);
    }
  }
  k_absorb_ = F16Stack(owned_.data(), nope, kvl, h_.n_head);
  return Status::Ok();
}

// attn_kv_b's equivalent, f16 [n_head*(nope+v)][kv_lora], from attn_k_b (transposed) and attn_v_b.
Status MlaAttention::BuildExpandFromSplit() {
  const int64_t kvl = d_.kv_lora_rank, nope = d_.nope, v = d_.v, per_head = nope + v;
  owned_.resize(static_cast<size_t>(h_.n_head) * per_head * kvl);
  std::vector<float> row(static_cast<size_t>(std::max(kvl, nope)));
  for (int32_t hh = 0; hh < h_.n_head; ++hh) {
    uint16_t* dst = owned_.data() + static_cast<size_t>(hh) * per_head * kvl;
    const WeightMatrix kb = k_b_split_.at(hh), vb = v_up_.at(hh);  // [kvl][nope], [v][kvl]
    for (int64_t c = 0; c < kvl; ++c) {
      quant::DequantizeRow(kb.type, kb.row(c), row.data(), nope);
      for (int64_t j = 0; j < nope; ++j) dst[j * kvl + c] = F32ToFp16(row[static_cast<size_t>(j)]);
    }
    for (int64_t r = 0; r < v; ++r) {
      quant::DequantizeRow(vb.type, vb.row(r), row.data(), kvl);
      for (int64_t c = 0; c < kvl; ++c) dst[(nope + r) * kvl + c] = F32ToFp16(row[static_cast<size_t>(c)]);
    }
  }
  expand_ = F16Stack(owned_.data(), kvl, h_.n_head * per_head, 1).first;
  return Status::Ok();
}

void MlaAttention::Forward(LayerContext& ctx, const float* x, float* out) {
  const int32_t T = ctx.plan.n_tokens;
  float* q = Grow(ctx.scratch.q, static_cast<size_t>(T) * h_.n_head * (d_.nope + d_.rope));
  ProjectAndCache(ctx, x, q);
  float* attn = Grow(ctx.scratch.attn, static_cast<size_t>(T) * h_.n_head * d_.v);  // [T][n_head*v]
  const BatchPlan& plan = ctx.plan;
  expanded_.assign(plan.states.size(), mode_ == MlaMode::kExpanded || mode_ == MlaMode::kMirrored);
  if (mode_ == MlaMode::kAuto) {
    std::vector<int32_t> n_tokens(plan.states.size(), 0);
    for (int32_t t = 0; t < T; ++t) ++n_tokens[static_cast<size_t>(plan.entry[t])];
    for (size_t i = 0; i < n_tokens.size(); ++i) expanded_[i] = n_tokens[i] >= kExpandMinTokens;
  }
  AttendLatent(ctx, q, expanded_, attn);
  for (size_t i = 0; i < expanded_.size(); ++i) {
    if (expanded_[i]) AttendExpandedEntry(ctx, q, static_cast<int32_t>(i), attn);
  }
  MatMul(ctx.pool, wo_, attn, T, out, ctx.scratch.matmul);
}

void MlaAttention::ProjectAndCache(LayerContext& ctx, const float* x, float* q) {
  ForwardScratch& s = ctx.scratch;
  const BatchPlan& plan = ctx.plan;
  const int32_t T = plan.n_tokens;
  const int64_t qk = int64_t{d_.nope} + d_.rope, q_dim = h_.n_head * qk, kv_dim = CacheDim(d_);
  float* kva = Grow(s.k, static_cast<size_t>(T) * kv_dim);  // [T][kv_lora + rope]
  if (d_.q_lora_rank > 0) {
    float* qa = Grow(s.v, static_cast<size_t>(T) * d_.q_lora_rank);  // [T][q_lora]
    const MatMulOutput outs[] = {{&wq_a_, qa}, {&wkv_a_, kva}};
    MatMulShared(ctx.pool, outs, 2, x, T, s.matmul);
    for (int32_t t = 0; t < T; ++t) {
      float* r = qa + static_cast<int64_t>(t) * d_.q_lora_rank;
      RmsNorm(r, q_a_norm_.data(), d_.q_lora_rank, h_.rms_eps, r);
    }
    MatMul(ctx.pool, wq_b_, qa, T, q, s.matmul);
  } else {
    const MatMulOutput outs[] = {{&wq_, q}, {&wkv_a_, kva}};
    MatMulShared(ctx.pool, outs, 2, x, T, s.matmul);
  }
  const bool requantize = latent_act_ != GgmlType::F32;
  const size_t act_bytes = requantize ? ActivationBytes(expand_.type, d_.kv_lora_rank) : 0;
  ctx.pool.ParallelFor(T, 1, [&](int64_t b, int64_t e) {
    std::vector<uint8_t> act(act_bytes);  // [kv_lora] in latent_act_
    for (int64_t t = b; t < e; ++t) {
      const int32_t ti = static_cast<int32_t>(t);
      for (int32_t hh = 0; hh < h_.n_head; ++hh) ctx.rope.Apply(ti, q + t * q_dim + hh * qk + d_.nope);
      float* c = kva + t * kv_dim;
      RmsNorm(c, kv_a_norm_.data(), d_.kv_lora_rank, h_.rms_eps, c);
      if (requantize) {  // c = what llama.cpp's quantized W_kv_b matmul reads
        quant::QuantizeRow(latent_act_, c, act.data(), d_.kv_lora_rank);
        quant::DequantizeRow(latent_act_, act.data(), c, d_.kv_lora_rank);
      }
      ctx.rope.Apply(ti, c + d_.kv_lora_rank);
      KvSequence* seq = plan.states[plan.entry[t]];
      quant::QuantizeRow(GgmlType::F16, c, seq->k(ctx.layer, plan.pos[t]), kv_dim);
    }
  });
}

void MlaAttention::AttendLatent(LayerContext& ctx, const float* q, const std::vector<bool>& expanded, float* attn) {
  const BatchPlan& plan = ctx.plan;
  if (std::find(expanded.begin(), expanded.end(), false) == expanded.end()) return;
  ForwardScratch& s = ctx.scratch;
  const int32_t T = plan.n_tokens, n_head = h_.n_head;
  const int64_t kvl = d_.kv_lora_rank, kv_dim = CacheDim(d_), nope = d_.nope, qk = nope + d_.rope;
  int32_t max_len = 0;
  for (int32_t t = 0; t < T; ++t) max_len = std::max(max_len, plan.pos[t] + 1);
  // Heads are split into one group per thread, so a single decoding token keeps every thread
  // busy; a group's heads share each cached row's conversion to f32.
  const int nt = ctx.pool.n_threads();
  const int32_t group = std::max<int32_t>(1, (n_head + nt - 1) / nt);
  const int32_t n_groups = (n_head + group - 1) / group;
  const size_t thread_floats = static_cast<size_t>(group) * (kv_dim + max_len + kvl) + kvl;
  float* thread_all = Grow(s.mla_thread, thread_floats * nt);
  const size_t quant_bytes = std::max(ActivationBytes(k_absorb_.first.type, nope), ActivationBytes(v_up_.first.type, kvl));
  if (s.mla_quant.size() < quant_bytes * nt) s.mla_quant.resize(quant_bytes * nt);
  const size_t k_stride = static_cast<size_t>(kv_dim) * sizeof(uint16_t);
  const int64_t n_items = static_cast<int64_t>(T) * n_groups;
  ctx.pool.Run([&](int ti, int nthreads) {
    float* q_abs = thread_all + thread_floats * ti;          // [group][kv_lora + rope]
    float* scores = q_abs + static_cast<size_t>(group) * kv_dim;  // [group][max_len]
    float* o_lat = scores + static_cast<size_t>(group) * max_len;  // [group][kv_lora]
    float* row = o_lat + static_cast<size_t>(group) * kvl;         // [kv_lora]
    uint8_t* xq = s.mla_quant.data() + quant_bytes * ti;
    for (int64_t item = ti; item < n_items; item += nthreads) {  // strided: later tokens see more
      const int32_t t = static_cast<int32_t>(item / n_groups);
      if (expanded[static_cast<size_t>(plan.entry[t])]) continue;
      const int32_t h0 = static_cast<int32_t>(item % n_groups) * group, h1 = std::min(n_head, h0 + group);
      KvSequence* seq = plan.states[plan.entry[t]];
      const int32_t n = plan.pos[t] + 1;
      const uint16_t* cache = seq->k(ctx.layer, 0);
      for (int32_t hh = h0; hh < h1; ++hh) {
        const float* qh = q + (static_cast<int64_t>(t) * n_head + hh) * qk;
        float* qa = q_abs + (hh - h0) * kv_dim;
        const WeightMatrix kb = k_absorb_.at(hh);  // [kv_lora][nope]
        quant::VecDotRows(kb.type, nope, kb.data, kb.row_bytes, kvl, AsActivation(kb.type, qh, nope, xq), qa);
        std::memcpy(qa + kvl, qh + nope, sizeof(float) * static_cast<size_t>(d_.rope));
      }
      // All the group's scores in one tile (each cached row converted once for every head;
      // the same bits as a VecDotRows per head).
      quant::VecDotTile(GgmlType::F16, kv_dim, cache, k_stride, n, q_abs, static_cast<size_t>(kv_dim) * sizeof(float),
                        h1 - h0, scores, static_cast<size_t>(max_len));
      for (int32_t hh = h0; hh < h1; ++hh) {
        float* sc = scores + static_cast<size_t>(hh - h0) * max_len;
        for (int32_t j = 0; j < n; ++j) sc[j] *= d_.kq_scale;
        Softmax(sc, n);
      }
      std::fill(o_lat, o_lat + static_cast<size_t>(h1 - h0) * kvl, 0.0f);
      for (int32_t j = 0; j < n; ++j) {
        quant::DequantizeRow(GgmlType::F16, cache + static_cast<size_t>(j) * kv_dim, row, kvl);
        for (int32_t hh = h0; hh < h1; ++hh) {
          const float p = scores[static_cast<size_t>(hh - h0) * max_len + j];
          float* o = o_lat + (hh - h0) * kvl;
          for (int64_t c = 0; c < kvl; ++c) o[c] += p * row[c];
        }
      }
      for (int32_t hh = h0; hh < h1; ++hh) {
        const WeightMatrix vb = v_up_.at(hh);  // [v][kv_lora]
        quant::VecDotRows(vb.type, kvl, vb.data, vb.row_bytes, d_.v, AsActivation(vb.type, o_lat + (hh - h0) * kvl, kvl, xq),
                          attn + (static_cast<int64_t>(t) * n_head + hh) * d_.v);
      }
    }
  });
}

// The expanded computation for one entry: kv = W_kv_b c for every position its tokens see, then
// ordinary attention. In kAuto and kMirrored it mirrors llama.cpp's graph: q, k, v and the
// probabilities rounded to f16 as its F16 cache and matmuls do, and this Eval's own latents
// not f16-rounded before a quantized W_kv_b. kExpanded (the checking path) computes in f32
// from the cached latents.
void MlaAttention::AttendExpandedEntry(LayerContext& ctx, const float* q, int32_t entry, float* attn) {
  const BatchPlan& plan = ctx.plan;
  ForwardScratch& s = ctx.scratch;
  const int32_t n_head = h_.n_head;
  const int64_t kvl = d_.kv_lora_rank, kv_dim = CacheDim(d_), nope = d_.nope, rope = d_.rope, v = d_.v;
  const int64_t qk = nope + rope, per_head = nope + v;
  int32_t t0 = 0;
  while (plan.entry[t0] != entry) ++t0;
  int32_t t1 = t0;
  while (t1 < plan.n_tokens && plan.entry[t1] == entry) ++t1;
  const int32_t first_pos = plan.pos[t0], n = plan.pos[t1 - 1] + 1;
  KvSequence* seq = plan.states[static_cast<size_t>(entry)];

  // Latents [n][kv_lora + rope] from the cache; this Eval's own latents as computed (after the
  // Q8_0 round trip, not f16-rounded) when W_kv_b takes quantized activations (llama.cpp
  // quantizes its f32 latent; for f16 weights it rounds to f16 as the cache did).
  float* lat = Grow(s.mla_v, static_cast<size_t>(n) * kv_dim);
  for (int32_t j = 0; j < n; ++j) quant::DequantizeRow(GgmlType::F16, seq->k(ctx.layer, j), lat + j * kv_dim, kv_dim);
  const bool mirror = mode_ == MlaMode::kAuto || mode_ == MlaMode::kMirrored;
  auto round = [mirror](float x) { return mirror ? Fp16ToF32(F32ToFp16(x)) : x; };
  const bool own_f32 = mirror && quant::VecDotType(expand_.type) != GgmlType::F32;
  float* lat_c = Grow(s.mla_thread, static_cast<size_t>(n) * kvl);  // [n][kv_lora]
  for (int32_t j = 0; j < n; ++j) {
    const float* src = own_f32 && j >= first_pos ? s.k.data() + (t0 + j - first_pos) * kv_dim : lat + j * kv_dim;
    std::memcpy(lat_c + j * kvl, src, sizeof(float) * static_cast<size_t>(kvl));
  }
  float* kv = Grow(s.mla_k, static_cast<size_t>(n) * n_head * per_head);  // [n][n_head][nope + v]
  MatMul(ctx.pool, expand_, lat_c, n, kv, s.matmul);
  const int64_t n_kv = static_cast<int64_t>(n) * n_head * per_head;
  if (mirror) {
    ctx.pool.ParallelFor(n_kv, 4096, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) kv[i] = round(kv[i]);
    });
  }

  const int nt = ctx.pool.n_threads();
  std::vector<float> per_thread(static_cast<size_t>(2 * n + qk) * nt);
  const int64_t n_items = static_cast<int64_t>(t1 - t0) * n_head;
  const size_t kv_row = static_cast<size_t>(n_head * per_head) * sizeof(float);
  const size_t lat_row = static_cast<size_t>(kv_dim) * sizeof(float);
  ctx.pool.Run([&](int ti, int nthreads) {
    float* sc = per_thread.data() + static_cast<size_t>(2 * n + qk) * ti;  // [n] scores
    float* pe = sc + n;                                                    // [n] RoPE parts
    float* qr = pe + n;                                                    // [nope + rope] q
    for (int64_t item = ti; item < n_items; item += nthreads) {
      const int32_t t = t0 + static_cast<int32_t>(item / n_head), hh = static_cast<int32_t>(item % n_head);
      const float* qh = q + (static_cast<int64_t>(t) * n_head + hh) * qk;
      for (int64_t c = 0; c < qk; ++c) qr[c] = round(qh[c]);
      const int32_t len = plan.pos[t] + 1;
      // score_j = q_nope . k_nope_j,h + q_pe . k_pe_j (k_nope rows n_head*(nope+v) apart).
      quant::VecDotRows(GgmlType::F32, nope, kv + hh * per_head, kv_row, len, qr, sc);
      quant::VecDotRows(GgmlType::F32, rope, lat + kvl, lat_row, len, qr + nope, pe);
      for (int32_t j = 0; j < len; ++j) sc[j] = (sc[j] + pe[j]) * d_.kq_scale;
      Softmax(sc, len);
      float* o = attn + (static_cast<int64_t>(t) * n_head + hh) * v;
      std::fill(o, o + v, 0.0f);
      for (int32_t j = 0; j < len; ++j) {
        const float p = round(sc[j]);
        const float* vj = kv + (static_cast<int64_t>(j) * n_head + hh) * per_head + nope;
        for (int64_t c = 0; c < v; ++c) o[c] += p * vj[c];
      }
    }
  });
}

}  // namespace deepgate
