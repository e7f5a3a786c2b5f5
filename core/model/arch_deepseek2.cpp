// Builder for `deepseek2` (DeepSeek V2, V2-Lite, V2.5, V3, R1): MLA attention with a latent
// KV cache, the first leading_dense_block_count layers dense SwiGLU, the rest mixture of
// experts with shared experts. Pre-RMSNorm like the dense models.
#include "core/model/arch.h"
#include "core/model/deepseek2_hparams.h"
#include "core/model/dense_ffn.h"
#include "core/model/mla_attention.h"
#include "core/model/model.h"
#include "core/model/moe_ffn.h"

namespace deepgate {

Result<ModelParts> BuildDeepseek2(const GgufFile& file, const std::string& arch, const ModelOptions& options) {
  ModelParts parts;
  // deepseek2 rotates interleaved pairs (llama.cpp's rope type "norm" for this architecture).
  DG_ASSIGN_OR_RETURN(parts.hparams, ReadHparams(file, arch, RopeKind::kNormal));
  ModelHparams& h = parts.hparams;
  DG_ASSIGN_OR_RETURN(Deepseek2Hparams d, ReadDeepseek2Hparams(file, &h));
  WeightLoader w(file, options.repack_weights);
  DG_RETURN_IF_ERROR(LoadEmbeddingAndOutput(file, w, &parts));
  const MlaMode mode = options.mla_path == ModelOptions::MlaPath::kLatent     ? MlaMode::kLatent
                       : options.mla_path == ModelOptions::MlaPath::kExpanded ? MlaMode::kExpanded
                       : options.mla_path == ModelOptions::MlaPath::kMirrored ? MlaMode::kMirrored
                                                                              : MlaMode::kAuto;
  parts.layers.resize(static_cast<size_t>(h.n_layer));
  for (int32_t i = 0; i < h.n_layer; ++i) {
    TransformerLayer& layer = parts.layers[static_cast<size_t>(i)];
    DG_RETURN_IF_ERROR(LoadLayerNorms(w, h, i, &layer));
    DG_ASSIGN_OR_RETURN(layer.attention, MlaAttention::Load(w, h, d, i, mode));
    if (i < d.n_dense_lead) {
      DG_ASSIGN_OR_RETURN(layer.ffn, DenseFfn::Load(w, h, i));
    } else {
      DG_ASSIGN_OR_RETURN(layer.ffn, MoeFfn::Load(w, h, d, i));
    }
  }
  parts.kv_k_dim = MlaAttention::CacheDim(d);  // latent + shared RoPE key, nothing per head
  parts.kv_v_dim = 0;
  if (d.n_expert > 0) parts.expert_fraction = static_cast<double>(d.n_expert_used) / d.n_expert;
  parts.kv_layout = "f16 latent (kv_lora_rank " + std::to_string(d.kv_lora_rank) + " + rope " + std::to_string(d.rope) + ")";
  return parts;
}

}  // namespace deepgate
