// GqaAttention: multi-head causal self-attention with grouped KV heads (n_head / n_head_kv
// query heads share one KV head), RoPE on q and k, optional q/k/v biases (qwen2), F16 KV cache.
// Thread-safety: see blocks.h.
#pragma once
#include <optional>
#include <vector>

#include "core/model/blocks.h"
#include "core/model/weights.h"

namespace deepgate {

class WeightLoader;

class GqaAttention final : public AttentionBlock {
 public:
  // Loads blk.<layer>.attn_{q,k,v,output}.weight (+ .bias for q/k/v when present).
  static Result<std::unique_ptr<GqaAttention>> Load(const WeightLoader& w, const ModelHparams& h, int32_t layer);

  void Forward(LayerContext& ctx, const float* x, float* out) override;

 private:
  GqaAttention() = default;
  ModelHparams h_;
  WeightMatrix wq_, wk_, wv_, wo_;  // [n_embd -> q_dim], [n_embd -> kv_dim] x2, [q_dim -> n_embd]
  std::vector<float> bq_, bk_, bv_;  // empty when absent
};

}  // namespace deepgate
