// MlaAttention: DeepSeek's Multi-head Latent Attention with a latent KV cache.
//
// Per token: q = W_q x (or W_q_b RMSNorm(W_q_a x) with a q LoRA), split per head into
// q_nope [nope] and q_pe [rope]; W_kv_a x gives the latent c [kv_lora] (RMS-normed) and one
// RoPE key k_pe [rope] shared by every head. The cache keeps only [c, k_pe] per position and
// layer (f16, kv_lora + rope values) instead of n_head expanded keys and values.
//
// Attention runs in the latent space ("absorbed"): head h's key is W_k,h c_j (+ k_pe_j), so
//   score_j = (q_nope . W_k,h c_j + q_pe . k_pe_j) * kq_scale = [W_k,h^T q_nope, q_pe] . [c_j, k_pe_j]
//   out_h   = sum_j p_j W_v,h c_j = W_v,h (sum_j p_j c_j),
// one query fold and one value up-projection per token and head, whatever the context length.
// The expanded form (W_kv_b c_j for every position the tokens see, then ordinary attention)
// mirrors llama.cpp's graph, roundings included (f16 q, k, v and probabilities; the batch's
// own latents as a quantized W_kv_b reads them, not f16-rounded): MlaMode::kAuto uses it for an entry with
// at least kExpandMinTokens tokens (a prompt chunk, where it costs one W_kv_b pass per seen
// position and reproduces llama.cpp's prefill logits to rounding), the latent form otherwise.
// MlaMode::kExpanded expands in plain f32 from the cached latents: the checking path that
// shows the latent form computes the same function. MlaMode::kMirrored mirrors llama.cpp for
// every entry, decode included (it re-expands the cache at every step: a checking path only).
//
// Where the cache rounds: each latent is stored as llama.cpp's W_kv_b matmul reads it — for
// a quantized attn_kv_b (Q5_0, Q8_0: Q8_0 activations) the Q8_0 round trip, then f16 — so the
// expanded keys and values of any cached position equal llama.cpp's (its cache holds them f16).
// What the latent form cannot reproduce is the f16 rounding of those expanded keys and values
// (relative 2^-11 each): it never forms them. On the ds3 reference files that moves a router
// input by ~1e-3 where llama.cpp's top-2 experts are 2e-4 apart (a near tie), so one decoded
// position of ~100 routes to another expert (tests/unit/core/deepseek2_reference_test.cpp).
// Thread-safety: see blocks.h.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model/blocks.h"
#include "core/model/deepseek2_hparams.h"
#include "core/model/weights.h"

namespace deepgate {

class WeightLoader;

enum class MlaMode { kAuto, kLatent, kExpanded, kMirrored };

class MlaAttention final : public AttentionBlock {
 public:
  // Loads blk.<layer>.attn_{q | q_a,q_a_norm,q_b}, attn_kv_a_mqa, attn_kv_a_norm,
  // attn_kv_b or attn_k_b + attn_v_b, attn_output. The layout-specific per-head matrices the
  // mode needs but the file lacks (W_k,h^T for the latent path of an attn_kv_b file, W_kv_b
  // for the expanded path of a split file) are built once here, as f16.
  static Result<std::unique_ptr<MlaAttention>> Load(const WeightLoader& w, const ModelHparams& h,
                                                    const Deepseek2Hparams& d, int32_t layer, MlaMode mode);

  static constexpr int32_t kExpandMinTokens = 8;
  // f16 values one position caches per layer.
  static int64_t CacheDim(const Deepseek2Hparams& d) { return int64_t{d.kv_lora_rank} + d.rope; }

  void Forward(LayerContext& ctx, const float* x, float* out) override;

 private:
  MlaAttention() = default;
  Status BuildAbsorbFromKvB(const WeightMatrix& kv_b);
  Status BuildExpandFromSplit();
  // q [T][n_head*(nope+rope)] with RoPE applied; appends [c, k_pe] to the cache.
  void ProjectAndCache(LayerContext& ctx, const float* x, float* q);
  // attn [T][n_head*v]: the rows of tokens whose entry is not marked in `expanded`.
  void AttendLatent(LayerContext& ctx, const float* q, const std::vector<bool>& expanded, float* attn);
  // attn rows of one entry's tokens (they are contiguous in the plan).
  void AttendExpandedEntry(LayerContext& ctx, const float* q, int32_t entry, float* attn);

  ModelHparams h_;
  Deepseek2Hparams d_;
  MlaMode mode_ = MlaMode::kLatent;
  WeightMatrix wq_;                  // [n_embd -> n_head*(nope+rope)] (no q LoRA)
  WeightMatrix wq_a_, wq_b_;         // [n_embd -> q_lora], [q_lora -> n_head*(nope+rope)]
  std::vector<float> q_a_norm_;      // [q_lora]
  WeightMatrix wkv_a_;               // [n_embd -> kv_lora + rope]
  std::vector<float> kv_a_norm_;     // [kv_lora]
  WeightMatrix wo_;                  // [n_head*v -> n_embd]
  StackedMatrices k_absorb_;         // n_head x [nope -> kv_lora]: W_k,h^T
  StackedMatrices v_up_;             // n_head x [kv_lora -> v]:    W_v,h
  WeightMatrix expand_;              // [kv_lora -> n_head*(nope+v)] (expanded mode)
  StackedMatrices k_b_split_;        // the file's attn_k_b (split layout), for BuildExpandFromSplit
  std::vector<uint16_t> owned_;      // f16 storage of whichever matrix was built at load
  std::vector<bool> expanded_;       // per batch entry, reused
  // The activation type llama.cpp's W_kv_b matmul quantizes each latent to (Q8_0 for a
  // Q5_0/Q8_0 attn_kv_b; F32 = none: f16 weights, the split layout). The cache holds the
  // latent as that matmul saw it, so keys and values of every cached position derive from
  // the same rounded latent in the latent and the expanded form alike.
  GgmlType latent_act_ = GgmlType::F32;
};

}  // namespace deepgate
