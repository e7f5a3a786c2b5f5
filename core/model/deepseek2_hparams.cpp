// Deepseek2Hparams: key reading and the cross-checks between keys, layout and tensors.
#include "core/model/deepseek2_hparams.h"

#include <cmath>

#include "core/gguf.h"

namespace deepgate {
namespace {

constexpr int64_t kMaxRank = 1 << 16;
constexpr int64_t kMaxExperts = 1 << 12;
constexpr int64_t kMaxFf = 1 << 20;
constexpr const char* kP = "deepseek2.";

std::string Key(const char* k) { return std::string(kP) + k; }

Status Mismatch(const std::string& what) {
  return Status::InvalidArgument("inconsistent deepseek2 attention ranks: " + what);
}

// The per-head sizes of either layout, checked against the latent rank and head counts.
Status ReadAttentionLayout(const GgufFile& f, const ModelHparams& h, Deepseek2Hparams* d) {
  d->split_kv_b = f.FindTensor("blk.0.attn_k_b.weight") != nullptr;
  if (!f.Has(Key("rope.dimension_count"))) return Status::InvalidArgument("missing hyperparameter 'deepseek2.rope.dimension_count'");
  d->rope = h.n_rot;
  if (d->split_kv_b) {
    int32_t k_mla = 0, v_mla = 0;
    DG_RETURN_IF_ERROR(ReadInt(f, Key("attention.key_length_mla"), 1, kMaxRank, true, &k_mla));
    DG_RETURN_IF_ERROR(ReadInt(f, Key("attention.value_length_mla"), 1, kMaxRank, true, &v_mla));
    if (h.n_head_kv != 1) return Mismatch("attn_k_b/attn_v_b layout needs head_count_kv 1, not " + std::to_string(h.n_head_kv));
    if (h.head_dim != d->kv_lora_rank + d->rope) {
      return Mismatch("key_length " + std::to_string(h.head_dim) + " != kv_lora_rank + rope (" +
                      std::to_string(d->kv_lora_rank + d->rope) + ")");
    }
    if (h.value_dim != d->kv_lora_rank) {
      return Mismatch("value_length " + std::to_string(h.value_dim) + " != kv_lora_rank " + std::to_string(d->kv_lora_rank));
    }
    d->nope = k_mla - d->rope;
    d->v = v_mla;
  } else {
    if (!f.Has(Key("attention.key_length")) || !f.Has(Key("attention.value_length"))) {
      return Status::InvalidArgument("missing hyperparameter 'deepseek2.attention.key_length' or 'value_length'");
    }
    if (h.n_head_kv != h.n_head) {
      return Mismatch("attn_kv_b layout needs head_count_kv == head_count (" + std::to_string(h.n_head_kv) + " vs " +
                      std::to_string(h.n_head) + ")");
    }
    d->nope = h.head_dim - d->rope;
    d->v = h.value_dim;
  }
  if (d->nope < 1) return Mismatch("key length leaves no non-RoPE dims next to rope.dimension_count " + std::to_string(d->rope));
  return Status::Ok();
}

Status ReadExperts(const GgufFile& f, const ModelHparams& h, Deepseek2Hparams* d) {
  DG_RETURN_IF_ERROR(ReadInt(f, Key("leading_dense_block_count"), 0, h.n_layer, true, &d->n_dense_lead));
  if (d->n_dense_lead == h.n_layer) return Status::Ok();  // no MoE layer: the expert keys are unused
  DG_RETURN_IF_ERROR(ReadInt(f, Key("expert_count"), 1, kMaxExperts, true, &d->n_expert));
  DG_RETURN_IF_ERROR(ReadInt(f, Key("expert_used_count"), 1, d->n_expert, true, &d->n_expert_used));
  DG_RETURN_IF_ERROR(ReadInt(f, Key("expert_shared_count"), 0, kMaxExperts, false, &d->n_expert_shared));
  DG_RETURN_IF_ERROR(ReadInt(f, Key("expert_feed_forward_length"), 1, kMaxFf, true, &d->n_ff_exp));
  if (static_cast<int64_t>(d->n_expert_shared) * d->n_ff_exp > kMaxFf) {
    return Status::InvalidArgument("expert_shared_count * expert_feed_forward_length is implausibly large");
  }
  DG_RETURN_IF_ERROR(ReadPositiveFloat(f, Key("expert_weights_scale"), false, &d->weights_scale));
  if (f.Has(Key("expert_weights_norm"))) {
    auto v = f.GetBool(Key("expert_weights_norm"));
    if (!v.ok()) return v.status().WithContext(Key("expert_weights_norm"));
    d->weights_norm = *v;
  }
  int32_t gating = 0;  // 0: key absent (V2 / V2.5 files), softmax as llama.cpp assumes
  DG_RETURN_IF_ERROR(ReadInt(f, Key("expert_gating_func"), 0, 2, false, &gating));
  d->gating = gating == 2 ? ExpertGating::kSigmoid : ExpertGating::kSoftmax;
  return Status::Ok();
}

}  // namespace

Result<Deepseek2Hparams> ReadDeepseek2Hparams(const GgufFile& f, ModelHparams* h) {
  Deepseek2Hparams d;
  DG_RETURN_IF_ERROR(ReadInt(f, Key("attention.kv_lora_rank"), 1, kMaxRank, true, &d.kv_lora_rank));
  DG_RETURN_IF_ERROR(ReadInt(f, Key("attention.q_lora_rank"), 1, kMaxRank, false, &d.q_lora_rank));
  const bool has_q_a = f.FindTensor("blk.0.attn_q_a.weight") != nullptr;
  if (has_q_a != (d.q_lora_rank > 0)) {
    return Mismatch(has_q_a ? "blk.0.attn_q_a is present but attention.q_lora_rank is not"
                            : "attention.q_lora_rank is set but blk.0.attn_q_a is missing");
  }
  DG_RETURN_IF_ERROR(ReadAttentionLayout(f, *h, &d));
  DG_RETURN_IF_ERROR(ReadExperts(f, *h, &d));
  // llama.cpp's deepseek2 graph: RoPE's cos/sin are scaled by 1 / (1 + 0.1 ln(1 / freq_scale))
  // (cancelling YaRN's own magnitude correction), and the attention scale carries the
  // model's mscale = 1 + yarn_log_multiplier * ln(1 / freq_scale), squared.
  const float log_inv_fs = std::log(1.0f / h->rope_freq_scale);
  h->rope_attn_factor = 1.0f / (1.0f + 0.1f * log_inv_fs);
  const float mscale = 1.0f + h->yarn_log_multiplier * log_inv_fs;
  d.kq_scale = mscale * mscale / std::sqrt(static_cast<float>(d.nope + d.rope));
  return d;
}

}  // namespace deepgate
