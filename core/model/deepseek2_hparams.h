// Deepseek2Hparams: the MLA and MoE hyperparameters of a `deepseek2` GGUF file (DeepSeek V2,
// V2-Lite, V2.5, V3, R1), read and cross-checked against the tensors present so the forward
// pass can trust them. Both on-disk attention layouts are described by one value:
//   older conversions: blk.N.attn_kv_b [kv_lora -> n_head*(nope+v)], head_count_kv = head_count,
//     key_length = nope + rope, value_length = v;
//   newer conversions: blk.N.attn_k_b ne {nope, kv_lora, n_head} and attn_v_b ne {kv_lora, v,
//     n_head}, head_count_kv = 1, key_length = kv_lora + rope, value_length = kv_lora, per-head
//     sizes in attention.key_length_mla / value_length_mla.
// Thread-safety: a plain value.
#pragma once
#include <cstdint>

#include "core/model/hparams.h"

namespace deepgate {

class GgufFile;

enum class ExpertGating { kSoftmax, kSigmoid };

struct Deepseek2Hparams {
  int32_t q_lora_rank = 0;   // 0: the query comes straight from attn_q (V2-Lite)
  int32_t kv_lora_rank = 0;  // the latent every token caches
  int32_t nope = 0;          // per-head query/key dims without RoPE
  int32_t rope = 0;          // per-head RoPE dims (the shared key's too) = rope.dimension_count
  int32_t v = 0;             // per-head value dims
  bool split_kv_b = false;   // attn_k_b / attn_v_b layout
  float kq_scale = 0.0f;     // mscale^2 / sqrt(nope + rope), YaRN's attention temperature folded in

  int32_t n_dense_lead = 0;  // leading_dense_block_count: layers [0, n) are dense SwiGLU
  int32_t n_expert = 0;
  int32_t n_expert_used = 0;
  int32_t n_expert_shared = 0;
  int32_t n_ff_exp = 0;      // expert_feed_forward_length
  ExpertGating gating = ExpertGating::kSoftmax;
  bool weights_norm = false;
  float weights_scale = 1.0f;
};

// Reads `deepseek2.*` on top of the generic hyperparameters `h` (which it adjusts: RoPE
// attention factor for YaRN as llama.cpp's deepseek2 graph has it). The layout is decided by
// the tensors blk.0 holds; keys that contradict it are InvalidArgument.
Result<Deepseek2Hparams> ReadDeepseek2Hparams(const GgufFile& file, ModelHparams* h);

}  // namespace deepgate
