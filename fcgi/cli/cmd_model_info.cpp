// `deepgate model info FILE`: a summary of a GGUF model read from its header alone (no
// weights are touched, no model is built), so it works for any architecture the reader can
// parse and answers quickly even for large files.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/chat_template.h"
#include "core/gguf.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

constexpr const char* kUsage =
    "usage: deepgate model info FILE\n"
    "  Prints the GGUF version, architecture, hyperparameters, tensor types, tokenizer and\n"
    "  chat template of a model file. Exit 1 when the file is not a valid GGUF.";

// llama.cpp's rope type per architecture: the qwen family (and others) rotate the two
// halves of each head (NEOX); llama and deepseek rotate adjacent pairs (NORMAL).
const char* RopeKind(std::string_view arch) {
  static const char* const kNeox[] = {"qwen", "qwen2", "qwen2moe", "qwen2vl", "qwen3", "qwen3moe", "phi2",
                                      "phi3", "gemma", "gemma2", "gemma3", "stablelm", "falcon", "gptneox",
                                      "starcoder2", "olmo2", "bert", "nomic-bert"};
  for (const char* a : kNeox) {
    if (arch == a) return "neox";
  }
  return "normal";
}

std::string Optional(const Result<uint64_t>& r) { return r.ok() ? std::to_string(*r) : "-"; }

std::string HumanCount(uint64_t n) {
  char buf[64];
  if (n >= 1000000000ull) {
    std::snprintf(buf, sizeof(buf), "%.2f B", static_cast<double>(n) / 1e9);
  } else if (n >= 1000000ull) {
    std::snprintf(buf, sizeof(buf), "%.2f M", static_cast<double>(n) / 1e6);
  } else if (n >= 1000ull) {
    std::snprintf(buf, sizeof(buf), "%.2f K", static_cast<double>(n) / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(n));
  }
  return buf;
}

std::string HumanBytes(uint64_t n) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(n) / (1024.0 * 1024.0));
  return buf;
}

// Metadata strings are untrusted: keep them on one line and short.
std::string Printable(std::string_view s, size_t max = 120) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (s.size() > max) out += "...";
  return out;
}

std::string TypeSummary(const GgufFile& f) {
  std::map<std::string, int> counts;
  for (const GgufTensor& t : f.tensors()) ++counts[TypeName(t.type)];
  std::vector<std::pair<std::string, int>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [name, n] : sorted) {
    if (!out.empty()) out += ", ";
    out += name + ": " + std::to_string(n);
  }
  return out.empty() ? "none" : out;
}

std::string TokenDescription(const GgufFile& f, const char* key, const std::vector<std::string_view>& tokens) {
  auto id = f.GetUint(key);
  if (!id.ok()) return "-";
  std::string out = std::to_string(*id);
  if (*id < tokens.size()) out += " '" + Printable(tokens[*id], 40) + "'";
  return out;
}

// KV cache bytes one position takes over all layers, as the model core allocates it: f16 keys
// and values per KV head, or for deepseek2 the f16 latent (kv_lora_rank) + shared RoPE key.
std::string KvBytesPerToken(const GgufFile& f, const std::string& arch) {
  auto get = [&](const char* k) { return f.GetUint(arch + "." + k); };
  const auto layers = get("block_count");
  if (!layers.ok()) return "-";
  uint64_t per_layer = 0;
  std::string how;
  if (arch == "deepseek2") {
    const auto kv_lora = get("attention.kv_lora_rank"), rope = get("rope.dimension_count");
    if (!kv_lora.ok() || !rope.ok()) return "-";
    per_layer = *kv_lora + *rope;
    how = "latent " + std::to_string(*kv_lora) + " + rope " + std::to_string(*rope);
  } else {
    const auto embd = get("embedding_length"), heads = get("attention.head_count");
    if (!embd.ok() || !heads.ok() || *heads == 0) return "-";
    auto kv_heads = get("attention.head_count_kv");
    auto head_dim = get("attention.key_length");
    per_layer = 2 * (kv_heads.ok() ? *kv_heads : *heads) * (head_dim.ok() ? *head_dim : *embd / *heads);
    how = "keys + values";
  }
  const uint64_t bytes = *layers * per_layer * 2;
  return std::to_string(bytes) + " (f16, " + how + ", " + std::to_string(*layers) + " layers; " +
         HumanBytes(bytes * 4096) + " per 4096 positions)";
}

int RunModelInfo(const std::vector<std::string>& argv) {
  Args args(argv, {}, {});
  if (!args.ok()) return Fail(args.error() + "\n" + kUsage, 2);
  if (args.positional().size() != 1) return Fail(std::string("expected one FILE\n") + kUsage, 2);
  const std::string& path = args.positional()[0];

  auto opened = GgufFile::Open(path);
  if (!opened.ok()) return Fail(path + ": " + opened.status().ToString());
  const GgufFile& f = *opened;

  auto arch_r = f.GetString("general.architecture");
  const std::string arch = arch_r.ok() ? std::string(*arch_r) : "";
  auto name_r = f.GetString("general.name");
  auto key = [&](const char* suffix) { return arch + "." + suffix; };

  uint64_t n_params = 0;
  for (const GgufTensor& t : f.tensors()) n_params += static_cast<uint64_t>(t.n_elements());

  const auto n_embd = f.GetUint(key("embedding_length"));
  const auto n_head = f.GetUint(key("attention.head_count"));
  auto head_dim = f.GetUint(key("attention.key_length"));
  if (!head_dim.ok()) head_dim = f.GetUint(key("rope.dimension_count"));
  if (!head_dim.ok() && n_embd.ok() && n_head.ok() && *n_head > 0) head_dim = *n_embd / *n_head;
  auto rope_base = f.GetFloat(key("rope.freq_base"));

  std::printf("file:            %s\n", path.c_str());
  std::printf("gguf version:    %u\n", f.version());
  std::printf("file size:       %zu bytes (%s)\n", f.file_size(), HumanBytes(f.file_size()).c_str());
  std::printf("architecture:    %s\n", arch.empty() ? "-" : Printable(arch).c_str());
  std::printf("name:            %s\n", name_r.ok() ? Printable(*name_r).c_str() : "-");
  std::printf("parameters:      %llu (%s)\n", static_cast<unsigned long long>(n_params), HumanCount(n_params).c_str());
  std::printf("layers:          %s\n", Optional(f.GetUint(key("block_count"))).c_str());
  std::printf("embedding:       %s\n", Optional(n_embd).c_str());
  std::printf("heads:           %s\n", Optional(n_head).c_str());
  std::printf("kv heads:        %s\n", Optional(f.GetUint(key("attention.head_count_kv"))).c_str());
  std::printf("head dim:        %s\n", Optional(head_dim).c_str());
  std::printf("ffn:             %s\n", Optional(f.GetUint(key("feed_forward_length"))).c_str());
  std::printf("context length:  %s\n", Optional(f.GetUint(key("context_length"))).c_str());
  std::printf("rope:            base %g, %s\n", rope_base.ok() ? *rope_base : 10000.0, RopeKind(arch));
  std::printf("tensors:         %zu (%s)\n", f.tensors().size(), TypeSummary(f).c_str());
  std::printf("kv cache/token:  %s\n", KvBytesPerToken(f, arch).c_str());

  auto model = f.GetString("tokenizer.ggml.model");
  if (model.ok()) {
    auto pre = f.GetString("tokenizer.ggml.pre");
    auto tokens = f.GetStringArray("tokenizer.ggml.tokens");
    const std::vector<std::string_view> none;
    const auto& toks = tokens.ok() ? *tokens : none;
    std::printf("tokenizer:       %s, pre %s, n_vocab %s\n", Printable(*model).c_str(),
                pre.ok() ? Printable(*pre).c_str() : "-", tokens.ok() ? std::to_string(toks.size()).c_str() : "-");
    std::printf("bos / eos:       %s / %s\n", TokenDescription(f, "tokenizer.ggml.bos_token_id", toks).c_str(),
                TokenDescription(f, "tokenizer.ggml.eos_token_id", toks).c_str());
  } else {
    std::printf("tokenizer:       none\n");
  }
  auto jinja = f.GetString("tokenizer.chat_template");
  std::string template_kind = "none";
  if (jinja.ok()) {
    auto kind = DetectChatTemplate(*jinja);
    template_kind = kind.ok() ? ChatTemplateName(*kind) : "unrecognised";
  }
  std::printf("chat template:   %s\n", template_kind.c_str());
  return 0;
}

const CommandRegistration kRegistration({
    "model info",
    "summarise a GGUF model file",
    kUsage,
    RunModelInfo,
});

}  // namespace
}  // namespace deepgate::cli
