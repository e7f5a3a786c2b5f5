// TinyModel: a test-only builder of small random-weight llama/qwen2 GGUF files (SentencePiece
// vocabulary of made-up tokens), with knobs to drop, reshape or retype one tensor and to
// override hyperparameters, so load errors and forward-pass properties can be tested without
// shared data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/model/model.h"
#include "core/quant/quant.h"
#include "gguf_bytes.h"
#include "test_support.h"

namespace deepgate::testing {

struct TinyModelSpec {
  std::string arch = "llama";
  int n_vocab = 48, n_embd = 64, n_head = 4, n_head_kv = 2, n_ff = 96, n_layer = 2, n_ctx = 256;
  GgmlType type = GgmlType::F32;  // of the 2-D weights (F32, F16 or Q8_0)
  bool biases = false;            // q/k/v biases (qwen2)
  bool tied_output = true;
  std::string drop_tensor;                      // leave this tensor out
  std::string reshape_tensor;                   // give this tensor one extra row
  std::string retype_tensor;                    // store this tensor as I32 (no kernels)
  std::map<std::string, uint32_t> u32_values;   // override/add "<arch>.<key>" integers
  std::vector<std::string> drop_keys;           // leave these "<arch>.<key>" out
  std::string rope_scaling;                     // "<arch>.rope.scaling.type" when set
};

// gtest prints parameters with this instead of a byte dump.
inline void PrintTo(const TinyModelSpec& s, std::ostream* os) {
  *os << s.arch << "/" << TypeName(s.type) << (s.biases ? "/biases" : "");
}

namespace internal {

struct TensorDesc {
  std::string name;
  std::vector<uint64_t> ne;
  GgmlType type;
  std::vector<uint8_t> data;
};

inline float NextRandom(uint64_t& state) {  // uniform in [-1, 1), fixed sequence
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return static_cast<float>((state >> 40) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

}  // namespace internal

inline std::vector<uint8_t> BuildTinyModel(const TinyModelSpec& s) {
  using internal::TensorDesc;
  uint64_t rng = 12345;
  std::vector<TensorDesc> tensors;
  auto add = [&](const std::string& name, std::vector<uint64_t> ne, GgmlType type, float scale, float offset) {
    if (name == s.drop_tensor) return;
    if (name == s.reshape_tensor) ne.back() += 1;
    if (name == s.retype_tensor) type = GgmlType::I32;
    uint64_t n = 1;
    for (auto v : ne) n *= v;
    std::vector<float> f(n);
    for (auto& x : f) x = offset + scale * internal::NextRandom(rng);
    TensorDesc t{name, ne, type, {}};
    const int64_t row = static_cast<int64_t>(ne[0]);
    const size_t rb = type == GgmlType::I32 ? row * 4 : *RowBytes(type, row);
    t.data.resize(rb * (n / ne[0]));
    for (uint64_t r = 0; r < n / ne[0]; ++r) {
      if (type == GgmlType::I32) continue;  // content irrelevant: it must be rejected
      quant::QuantizeRow(type, f.data() + r * row, t.data.data() + r * rb, row);
    }
    tensors.push_back(std::move(t));
  };
  const uint64_t E = s.n_embd, hd = s.n_embd / s.n_head, q = hd * s.n_head, kv = hd * s.n_head_kv;
  add("token_embd.weight", {E, static_cast<uint64_t>(s.n_vocab)}, s.type, 1.0f, 0.0f);
  add("output_norm.weight", {E}, GgmlType::F32, 0.2f, 1.0f);
  if (!s.tied_output) add("output.weight", {E, static_cast<uint64_t>(s.n_vocab)}, s.type, 0.3f, 0.0f);
  for (int l = 0; l < s.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add(p + "attn_norm.weight", {E}, GgmlType::F32, 0.2f, 1.0f);
    add(p + "attn_q.weight", {E, q}, s.type, 0.3f, 0.0f);
    add(p + "attn_k.weight", {E, kv}, s.type, 0.3f, 0.0f);
    add(p + "attn_v.weight", {E, kv}, s.type, 0.3f, 0.0f);
    if (s.biases) {
      add(p + "attn_q.bias", {q}, GgmlType::F32, 0.5f, 0.0f);
      add(p + "attn_k.bias", {kv}, GgmlType::F32, 0.5f, 0.0f);
      add(p + "attn_v.bias", {kv}, GgmlType::F32, 0.5f, 0.0f);
    }
    add(p + "attn_output.weight", {q, E}, s.type, 0.2f, 0.0f);
    add(p + "ffn_norm.weight", {E}, GgmlType::F32, 0.2f, 1.0f);
    add(p + "ffn_gate.weight", {E, static_cast<uint64_t>(s.n_ff)}, s.type, 0.3f, 0.0f);
    add(p + "ffn_up.weight", {E, static_cast<uint64_t>(s.n_ff)}, s.type, 0.3f, 0.0f);
    add(p + "ffn_down.weight", {static_cast<uint64_t>(s.n_ff), E}, s.type, 0.2f, 0.0f);
  }

  // Metadata: hyperparameters (minus drop_keys, plus overrides) and an SPM vocabulary.
  std::map<std::string, uint32_t> u32 = {
      {"block_count", s.n_layer}, {"embedding_length", s.n_embd}, {"feed_forward_length", s.n_ff},
      {"attention.head_count", s.n_head}, {"attention.head_count_kv", s.n_head_kv}, {"context_length", s.n_ctx}};
  for (const auto& [k, v] : s.u32_values) u32[k] = v;
  std::map<std::string, float> f32 = {{"attention.layer_norm_rms_epsilon", 1e-5f}, {"rope.freq_base", 10000.0f}};
  for (const auto& k : s.drop_keys) {
    u32.erase(k);
    f32.erase(k);
  }
  GgufBytes b;
  const uint64_t n_kv = 1 + u32.size() + f32.size() + 3 + (s.rope_scaling.empty() ? 0 : 1);
  b.Header(3, tensors.size(), n_kv);
  b.Key("general.architecture", 8).Str(s.arch);
  for (const auto& [k, v] : u32) b.Key(s.arch + "." + k, 4).U32(v);
  for (const auto& [k, v] : f32) b.Key(s.arch + "." + k, 6).F32(v);
  if (!s.rope_scaling.empty()) b.Key(s.arch + ".rope.scaling.type", 8).Str(s.rope_scaling);
  b.Key("tokenizer.ggml.model", 8).Str("llama");
  b.Key("tokenizer.ggml.tokens", 9).U32(8).U64(s.n_vocab);
  for (int i = 0; i < s.n_vocab; ++i) b.Str(i == 0 ? "<unk>" : i == 1 ? "<s>" : i == 2 ? "</s>" : "tok" + std::to_string(i));
  b.Key("tokenizer.ggml.scores", 9).U32(6).U64(s.n_vocab);
  for (int i = 0; i < s.n_vocab; ++i) b.F32(-static_cast<float>(i));

  uint64_t offset = 0;
  for (const auto& t : tensors) {
    b.TensorInfo(t.name, t.ne, static_cast<uint32_t>(t.type), offset);
    offset += (t.data.size() + 31) / 32 * 32;
  }
  b.PadTo(32);
  for (const auto& t : tensors) {
    b.Raw(t.data.data(), t.data.size());
    b.PadTo(32);
  }
  return b.bytes;
}

// Writes the model to a file under a per-test temp dir and returns its path.
inline std::string WriteTinyModel(const TinyModelSpec& spec, const std::string& tag) {
  const auto dir = TempDir(tag);
  const std::string path = (dir / "model.gguf").string();
  const auto bytes = BuildTinyModel(spec);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  return path;
}

inline Result<std::unique_ptr<Model>> LoadTinyModel(const TinyModelSpec& spec, const std::string& tag,
                                                     int n_threads = 2) {
  ModelOptions options;
  options.n_threads = n_threads;
  const std::string path = WriteTinyModel(spec, tag);
  auto model = Model::Load(path, options);
  // The mapping keeps the data alive on POSIX, so the file can go now: no temp files pile up.
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
  return model;
}

}  // namespace deepgate::testing
