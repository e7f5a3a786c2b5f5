// The pieces a transformer forward pass is assembled from: the batch plan shared by all
// layers, scratch buffers, and the AttentionBlock / FfnBlock interfaces each architecture
// implements (GQA + SwiGLU now; MLA + MoE for deepseek2 later, as new files).
// Thread-safety: Forward calls run on the Eval thread and split work over the pool.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/model/hparams.h"
#include "core/model/matmul.h"
#include "core/model/ops.h"

namespace deepgate {

class KvSequence;
class ThreadPool;

// Where each of the T stacked tokens of one Eval belongs.
struct BatchPlan {
  int32_t n_tokens = 0;
  std::vector<int32_t> pos;          // [T] absolute position of each token
  std::vector<int32_t> entry;        // [T] index into states
  std::vector<KvSequence*> states;   // [n_entries]
};

// Buffers reused across Evals (grown, never shrunk), so a decode step allocates nothing.
struct ForwardScratch {
  MatMulScratch matmul;
  std::vector<float> q, k, v, attn;   // [T][n_head*head_dim] / [T][kv_dim] / ... / [T][n_head*head_dim]
  std::vector<float> gate, up;        // [T][n_ff]
  std::vector<float> per_thread;      // [n_threads][max positions] attention scores
  std::vector<float> attn_partial;    // [n_threads][head_dim] one value block's weighted sum
  // MLA (deepseek2): per-thread working rows, and the expanded K/V of the checking path.
  std::vector<float> mla_thread;      // [n_threads][MlaAttention::ThreadFloats()]
  std::vector<uint8_t> mla_quant;     // [n_threads][one quantized activation row]
  std::vector<float> mla_k, mla_v;    // [positions][n_head*(nope+rope)] / [positions][n_head*v]
  // MoE: router logits, the chosen experts and weights, rows gathered per expert.
  std::vector<float> moe_logits;      // [T][n_expert]
  std::vector<int32_t> moe_choice;    // [T][n_used] expert ids, then [T][n_used] row in moe_x
  std::vector<float> moe_weight;      // [T][n_used]
  std::vector<int32_t> moe_count;     // [n_expert + 1] rows per expert, then offsets
  std::vector<float> moe_x, moe_gate, moe_up, moe_y;  // [T*n_used][n_embd] / [..][n_ff_exp] x2 / [..][n_embd]
  std::vector<float> moe_shared;      // [T][n_embd] shared experts' output
};

// Grows v to at least n elements and returns its data.
inline float* Grow(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

struct LayerContext {
  ThreadPool& pool;
  const BatchPlan& plan;
  const RopeTable& rope;
  ForwardScratch& scratch;
  int32_t layer;
};

class AttentionBlock {
 public:
  virtual ~AttentionBlock() = default;
  // out[T][n_embd] = attention over x[T][n_embd] (already normed); appends K/V to the cache.
  virtual void Forward(LayerContext& ctx, const float* x, float* out) = 0;
};

class FfnBlock {
 public:
  virtual ~FfnBlock() = default;
  // out[T][n_embd] = ffn(x[T][n_embd]).
  virtual void Forward(LayerContext& ctx, const float* x, float* out) = 0;
};

struct TransformerLayer {
  std::vector<float> attn_norm;  // [n_embd]
  std::vector<float> ffn_norm;   // [n_embd]
  std::unique_ptr<AttentionBlock> attention;
  std::unique_ptr<FfnBlock> ffn;
};

}  // namespace deepgate
