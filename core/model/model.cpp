// Model::Load: open the file, pick the architecture's builder, fill ModelInfo.
#include "core/model/model.h"

#include <algorithm>
#include <map>

#include "core/gguf.h"
#include "core/model/arch.h"
#include "core/model/transformer_model.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {
namespace {

// Counts and sizes every tensor in the file, and summarises types by frequency.
void FillTensorStats(const GgufFile& file, ModelInfo* info) {
  std::map<std::string, int> by_type;
  for (const GgufTensor& t : file.tensors()) {
    info->n_params += t.n_elements();
    info->weight_bytes += t.nbytes;
    ++by_type[TypeName(t.type)];
  }
  std::vector<std::pair<int, std::string>> order;
  for (const auto& [name, count] : by_type) order.emplace_back(-count, name);
  std::sort(order.begin(), order.end());
  for (const auto& [neg_count, name] : order) {
    if (!info->type_summary.empty()) info->type_summary += ", ";
    info->type_summary += name + ": " + std::to_string(-neg_count);
  }
}

std::string StringOr(const GgufFile& file, const char* key) {
  auto v = file.GetString(key);
  return v.ok() ? std::string(*v) : std::string();
}

}  // namespace

Result<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& options) {
  auto opened = GgufFile::Open(path);
  if (!opened.ok()) return opened.status();
  GgufFile file = std::move(opened).value();

  auto arch_name = file.GetString("general.architecture");
  if (!arch_name.ok()) return arch_name.status().WithContext("general.architecture");
  const std::string arch(*arch_name);
  const ArchEntry* entry = FindArch(arch);
  if (!entry) {
    return Status::Unimplemented("architecture '" + arch + "' is not supported (supported: " +
                                 SupportedArchNames() + ")");
  }
  DG_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, Tokenizer::FromGguf(file));
  DG_ASSIGN_OR_RETURN(ModelParts parts, entry->build(file, arch, options));
  if (tokenizer->n_vocab() > parts.output.n_out) {
    return Status::InvalidArgument("tokenizer has " + std::to_string(tokenizer->n_vocab()) +
                                   " tokens but the output matrix only " + std::to_string(parts.output.n_out) + " rows");
  }

  const ModelHparams& h = parts.hparams;
  ModelInfo info;
  info.arch = arch;
  info.name = StringOr(file, "general.name");
  info.n_vocab = static_cast<int32_t>(parts.output.n_out);
  info.n_ctx_train = h.n_ctx_train;
  info.n_embd = h.n_embd;
  info.n_layer = h.n_layer;
  info.n_head = h.n_head;
  info.n_head_kv = h.n_head_kv;
  info.n_ff = h.n_ff;
  info.head_dim = h.head_dim;
  info.rope_base = h.rope_base;
  info.rope_kind = h.rope_kind == RopeKind::kNeox ? "neox" : "normal";
  info.tied_output = parts.tied_output;
  info.chat_template = StringOr(file, "tokenizer.chat_template");
  info.kv_bytes_per_token = static_cast<uint64_t>(h.n_layer) * static_cast<uint64_t>(parts.kv_k_dim + parts.kv_v_dim) *
                            sizeof(uint16_t);
  info.kv_layout = parts.kv_layout;
  FillTensorStats(file, &info);
  for (const GgufTensor& t : file.tensors()) {
    if (t.name == "token_embd.weight" && !parts.tied_output) {  // tied: it is the output matrix too
      info.active_weight_bytes += t.nbytes / static_cast<uint64_t>(std::max<int64_t>(1, t.ne[1]));
    } else if (t.name.find("_exps.") != std::string::npos) {
      info.active_weight_bytes += static_cast<uint64_t>(static_cast<double>(t.nbytes) * parts.expert_fraction);
    } else {
      info.active_weight_bytes += t.nbytes;
    }
  }

  return std::unique_ptr<Model>(new TransformerModel(std::move(file), std::move(tokenizer), std::move(parts),
                                                     std::move(info), options.n_threads));
}

Status Model::Eval(SequenceState& state, const int32_t* tokens, int32_t n_tokens, float* logits,
                   bool all_logits) {
  std::vector<BatchEntry> batch(1);
  batch[0].state = &state;
  batch[0].tokens = tokens;
  batch[0].n_tokens = n_tokens;
  batch[0].logits = logits;
  batch[0].all_logits = all_logits;
  return Eval(batch);
}

}  // namespace deepgate
