// Architecture registry: maps `general.architecture` to the function that builds a model's
// layers from GGUF tensors and metadata. Adding an architecture (deepseek2: MLA + MoE) means a
// new builder file and one table row in arch.cpp, not a switch through the forward pass.
// Thread-safety: the table is immutable.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/model/blocks.h"
#include "core/model/hparams.h"
#include "core/model/weights.h"

namespace deepgate {

class GgufFile;

// Everything an architecture contributes to a TransformerModel.
struct ModelParts {
  ModelHparams hparams;
  WeightMatrix token_embd;           // [n_vocab rows][n_embd]
  std::vector<float> output_norm;    // [n_embd]
  WeightMatrix output;               // [n_vocab rows][n_embd]; = token_embd when tied
  bool tied_output = false;
  std::vector<TransformerLayer> layers;
  int64_t kv_k_dim = 0;              // per position per layer, f16 elements cached
  int64_t kv_v_dim = 0;              // 0: keys only (deepseek2's latent cache)
  std::string kv_layout = "f16 k+v";
  double expert_fraction = 1.0;      // MoE: experts used / experts, the share of *_exps read per token
};

struct ModelOptions;
using ArchBuildFn = Result<ModelParts> (*)(const GgufFile& file, const std::string& arch,
                                         const ModelOptions& options);

struct ArchEntry {
  const char* name;
  ArchBuildFn build;
};

// The entry for an architecture name, or null when unsupported.
const ArchEntry* FindArch(std::string_view name);
// "llama, qwen2" for error messages.
std::string SupportedArchNames();

// Shared by builders: token_embd, output_norm and output (tied to token_embd when absent).
Status LoadEmbeddingAndOutput(const GgufFile& file, const WeightLoader& w, ModelParts* parts);

// Shared by builders: blk.<layer>.attn_norm and ffn_norm.
Status LoadLayerNorms(const WeightLoader& w, const ModelHparams& h, int32_t layer, TransformerLayer* out);

// Builders (one file each).
Result<ModelParts> BuildLlama(const GgufFile& file, const std::string& arch, const ModelOptions& options);
Result<ModelParts> BuildQwen2(const GgufFile& file, const std::string& arch, const ModelOptions& options);
Result<ModelParts> BuildDeepseek2(const GgufFile& file, const std::string& arch, const ModelOptions& options);

}  // namespace deepgate
