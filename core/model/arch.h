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
  int64_t kv_v_dim = 0;
};

using ArchBuildFn = Result<ModelParts> (*)(const GgufFile& file, const std::string& arch);

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

// Builders (one file each).
Result<ModelParts> BuildLlama(const GgufFile& file, const std::string& arch);
Result<ModelParts> BuildQwen2(const GgufFile& file, const std::string& arch);

}  // namespace deepgate
