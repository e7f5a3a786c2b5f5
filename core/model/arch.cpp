// The architecture table and the embedding/output loading every architecture shares.
#include "core/model/arch.h"

#include "core/gguf.h"

namespace deepgate {
namespace {

constexpr ArchEntry kArchs[] = {
    {"llama", &BuildLlama},
    {"qwen2", &BuildQwen2},
    {"deepseek2", &BuildDeepseek2},
};

}  // namespace

const ArchEntry* FindArch(std::string_view name) {
  for (const ArchEntry& a : kArchs) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

std::string SupportedArchNames() {
  std::string s;
  for (const ArchEntry& a : kArchs) {
    if (!s.empty()) s += ", ";
    s += a.name;
  }
  return s;
}

Status LoadEmbeddingAndOutput(const GgufFile& file, const WeightLoader& w, ModelParts* parts) {
  const ModelHparams& h = parts->hparams;
  // n_vocab is the embedding's row count; every other dimension is checked by Matrix().
  const GgufTensor* embd = file.FindTensor("token_embd.weight");
  if (!embd) return Status::InvalidArgument("tensor 'token_embd.weight' is missing");
  const int64_t n_vocab = embd->ne[1];
  if (n_vocab < 1 || n_vocab > (int64_t{1} << 24)) {
    return Status::InvalidArgument("tensor 'token_embd.weight' has shape " + embd->ShapeString() +
                                   ": implausible vocabulary size");
  }
  parts->tied_output = !w.Has("output.weight");
  // Untied, the embedding is only read a row per token: no packed or huge-page copy.
  DG_ASSIGN_OR_RETURN(parts->token_embd, w.Matrix("token_embd.weight", h.n_embd, n_vocab, parts->tied_output));
  DG_ASSIGN_OR_RETURN(parts->output_norm, w.Vector("output_norm.weight", h.n_embd));
  if (parts->tied_output) {
    parts->output = parts->token_embd;
  } else {
    DG_ASSIGN_OR_RETURN(parts->output, w.Matrix("output.weight", h.n_embd, n_vocab));
  }
  return Status::Ok();
}

Status LoadLayerNorms(const WeightLoader& w, const ModelHparams& h, int32_t layer, TransformerLayer* out) {
  const std::string p = "blk." + std::to_string(layer) + ".";
  DG_ASSIGN_OR_RETURN(out->attn_norm, w.Vector(p + "attn_norm.weight", h.n_embd));
  DG_ASSIGN_OR_RETURN(out->ffn_norm, w.Vector(p + "ffn_norm.weight", h.n_embd));
  return Status::Ok();
}

}  // namespace deepgate
