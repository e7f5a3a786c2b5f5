// Builders for the dense decoder-only architectures: llama (DeepSeek-LLM/Coder,
// R1-Distill-Llama; RoPE "normal") and qwen2 (R1-Distill-Qwen; RoPE NEOX, q/k/v biases,
// which GqaAttention picks up when the tensors are present). Both are GQA attention +
// SwiGLU FFN with pre-RMSNorm.
#include "core/model/arch.h"
#include "core/model/dense_ffn.h"
#include "core/model/gqa_attention.h"
#include "core/model/model.h"

namespace deepgate {
namespace {

Result<ModelParts> BuildDenseTransformer(const GgufFile& file, const std::string& arch, RopeKind rope,
                                         const ModelOptions& options) {
  ModelParts parts;
  DG_ASSIGN_OR_RETURN(parts.hparams, ReadHparams(file, arch, rope));
  const ModelHparams& h = parts.hparams;
  if (h.value_dim != h.head_dim) {
    return Status::Unimplemented("attention.value_length != attention.key_length is not supported for " + arch);
  }
  WeightLoader w(file, options.repack_weights);
  DG_RETURN_IF_ERROR(LoadEmbeddingAndOutput(file, w, &parts));
  parts.layers.resize(static_cast<size_t>(h.n_layer));
  for (int32_t i = 0; i < h.n_layer; ++i) {
    TransformerLayer& layer = parts.layers[static_cast<size_t>(i)];
    DG_RETURN_IF_ERROR(LoadLayerNorms(w, h, i, &layer));
    DG_ASSIGN_OR_RETURN(layer.attention, GqaAttention::Load(w, h, i));
    DG_ASSIGN_OR_RETURN(layer.ffn, DenseFfn::Load(w, h, i));
  }
  parts.kv_k_dim = static_cast<int64_t>(h.n_head_kv) * h.head_dim;
  parts.kv_v_dim = parts.kv_k_dim;
  return parts;
}

}  // namespace

Result<ModelParts> BuildLlama(const GgufFile& file, const std::string& arch, const ModelOptions& options) {
  return BuildDenseTransformer(file, arch, RopeKind::kNormal, options);
}

Result<ModelParts> BuildQwen2(const GgufFile& file, const std::string& arch, const ModelOptions& options) {
  return BuildDenseTransformer(file, arch, RopeKind::kNeox, options);
}

}  // namespace deepgate
