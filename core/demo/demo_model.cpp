// WriteDemoModel: layout, metadata and the row generator; see demo_model.h (the file itself:
// demo_writer.h).
#include "core/demo/demo_model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/demo/demo_vocab.h"
#include "core/demo/demo_writer.h"
#include "core/gguf_writer.h"

namespace deepgate::demo {
namespace {

struct Hparams {
  int32_t n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, n_ctx;
  int32_t padded_vocab;  // 0: the demo vocabulary's natural size
  float rope_base, rms_eps;
};

Result<Hparams> HparamsFor(const DemoSpec& spec) {
  const bool qwen2 = spec.arch == "qwen2";
  if (spec.shape == "tiny") {
    // Rope base and eps follow each family's real models so code paths see usual values.
    return Hparams{256, 2, 4, 2, 64, 512, 2048, 0, qwen2 ? 1e6f : 1e4f, qwen2 ? 1e-6f : 1e-5f};
  }
  if (spec.shape == "qwen2-0.5b") return Hparams{896, 24, 14, 2, 64, 4864, 32768, 151936, 1e6f, 1e-6f};
  return Status::InvalidArgument("unknown demo shape '" + spec.shape + "' (tiny or qwen2-0.5b)");
}

// General.file_type: llama.cpp's LLAMA_FTYPE values.
struct FileType {
  const char* name;
  uint32_t ftype;
};
constexpr FileType kFileTypes[] = {
    {"f32", 0}, {"f16", 1}, {"q4_0", 2}, {"q8_0", 7}, {"q4_k_m", 15},
    {"bf16", 32}, {"q5_k_m", 17}, {"q6_k", 18},
};

enum class Init { kNormal, kNorm, kBias };

struct TensorPlan {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;  // ne[0] = row length
  Init init;
  float std;
};

// llama.cpp gives attn_v / ffn_down more bits in the first and last eighth of the layers
// and in every third layer between.
bool UseMoreBits(int layer, int n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

enum class Role { kEmbedding, kAttnV, kFfnDown, kOther };

GgmlType WeightType(const std::string& type, Role role, int layer, int n_layer, int64_t row_len) {
  if (type == "f32") return GgmlType::F32;
  if (type == "f16") return GgmlType::F16;
  if (type == "q8_0") return GgmlType::Q8_0;
  if (type == "q4_0") return GgmlType::Q4_0;
  if (type == "bf16") return GgmlType::BF16;
  // K mixes. The tied embedding doubles as the output matrix, which llama.cpp keeps at Q6_K.
  GgmlType t = type == "q6_k" ? GgmlType::Q6_K : type == "q5_k_m" ? GgmlType::Q5_K : GgmlType::Q4_K;
  if (role == Role::kEmbedding) t = GgmlType::Q6_K;
  if ((role == Role::kAttnV || role == Role::kFfnDown) && UseMoreBits(layer, n_layer)) t = GgmlType::Q6_K;
  // Rows that are not a multiple of 256 fall back to a 32-block type: Q6_K to Q8_0, Q4_K to
  // Q5_0 as llama.cpp does. llama.cpp gives Q5_K rows Q5_1, which we cannot quantize to; Q5_0
  // (same bits per weight but for the offset) keeps q5_k_m files comparable.
  if (row_len % 256 != 0) t = (t == GgmlType::Q6_K) ? GgmlType::Q8_0 : GgmlType::Q5_0;
  return t;
}

std::vector<TensorPlan> PlanTensors(const DemoSpec& spec, const Hparams& hp, int32_t n_vocab) {
  const int64_t e = hp.n_embd, kv = int64_t{hp.n_head_kv} * hp.head_dim, ff = hp.n_ff;
  const float kStd = 0.02f;
  const float out_std = kStd / std::sqrt(2.0f * static_cast<float>(hp.n_layer));
  auto w = [&](Role role, int layer, int64_t row_len) { return WeightType(spec.type, role, layer, hp.n_layer, row_len); };

  std::vector<TensorPlan> p;
  p.push_back({"token_embd.weight", w(Role::kEmbedding, 0, e), {e, n_vocab}, Init::kNormal, kStd});
  for (int l = 0; l < hp.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    p.push_back({b + "attn_norm.weight", GgmlType::F32, {e}, Init::kNorm, kStd});
    p.push_back({b + "attn_q.weight", w(Role::kOther, l, e), {e, e}, Init::kNormal, kStd});
    p.push_back({b + "attn_k.weight", w(Role::kOther, l, e), {e, kv}, Init::kNormal, kStd});
    p.push_back({b + "attn_v.weight", w(Role::kAttnV, l, e), {e, kv}, Init::kNormal, kStd});
    if (spec.arch == "qwen2") {
      p.push_back({b + "attn_q.bias", GgmlType::F32, {e}, Init::kBias, kStd});
      p.push_back({b + "attn_k.bias", GgmlType::F32, {kv}, Init::kBias, kStd});
      p.push_back({b + "attn_v.bias", GgmlType::F32, {kv}, Init::kBias, kStd});
    }
    p.push_back({b + "attn_output.weight", w(Role::kOther, l, e), {e, e}, Init::kNormal, out_std});
    p.push_back({b + "ffn_norm.weight", GgmlType::F32, {e}, Init::kNorm, kStd});
    p.push_back({b + "ffn_gate.weight", w(Role::kOther, l, e), {e, ff}, Init::kNormal, kStd});
    p.push_back({b + "ffn_up.weight", w(Role::kOther, l, e), {e, ff}, Init::kNormal, kStd});
    p.push_back({b + "ffn_down.weight", w(Role::kFfnDown, l, ff), {ff, e}, Init::kNormal, out_std});
  }
  p.push_back({"output_norm.weight", GgmlType::F32, {e}, Init::kNorm, kStd});
  return p;
}

// SplitMix64: tiny, fast, and good enough to seed and drive one stream per row.
uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One row's values: [n] f32.
void FillRow(const TensorPlan& t, uint64_t seed, size_t tensor_index, int64_t row, float* out, int64_t n) {
  uint64_t state = seed;
  state = SplitMix64(&state) ^ (static_cast<uint64_t>(tensor_index) * 0xD6E8FEB86659FD93ull);
  state = SplitMix64(&state) ^ static_cast<uint64_t>(row);
  // Irwin–Hall: the sum of four 16-bit uniforms has mean 4 * 32767.5 and standard
  // deviation 65536 / sqrt(3); close enough to normal for random weights, one draw each.
  constexpr float kMean = 131070.0f;
  constexpr float kInvStd = 1.7320508f / 65536.0f;
  const float scale = t.std * kInvStd;
  const float offset = t.init == Init::kNorm ? 1.0f : 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t x = SplitMix64(&state);
    const float sum = static_cast<float>((x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48));
    out[i] = offset + (sum - kMean) * scale;
  }
}

Status AddModelMetadata(const DemoSpec& spec, const Hparams& hp, uint32_t ftype, GgufWriter* w) {
  const std::string& a = spec.arch;
  DG_RETURN_IF_ERROR(w->AddString("general.architecture", a));
  DG_RETURN_IF_ERROR(w->AddString("general.name", "deepgate-demo-" + a + "-" + spec.shape + "-" + spec.type));
  DG_RETURN_IF_ERROR(w->AddU32("general.file_type", ftype));
  // ggml's quantization format version: readers check it for quantized files.
  DG_RETURN_IF_ERROR(w->AddU32("general.quantization_version", 2));
  DG_RETURN_IF_ERROR(w->AddU64("general.demo_seed", spec.seed));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".block_count", static_cast<uint32_t>(hp.n_layer)));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".context_length", static_cast<uint32_t>(hp.n_ctx)));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".embedding_length", static_cast<uint32_t>(hp.n_embd)));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".feed_forward_length", static_cast<uint32_t>(hp.n_ff)));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".attention.head_count", static_cast<uint32_t>(hp.n_head)));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".attention.head_count_kv", static_cast<uint32_t>(hp.n_head_kv)));
  DG_RETURN_IF_ERROR(w->AddF32(a + ".attention.layer_norm_rms_epsilon", hp.rms_eps));
  DG_RETURN_IF_ERROR(w->AddF32(a + ".rope.freq_base", hp.rope_base));
  DG_RETURN_IF_ERROR(w->AddU32(a + ".rope.dimension_count", static_cast<uint32_t>(hp.head_dim)));
  return Status::Ok();
}

}  // namespace

Status ValidateDemoSpec(const DemoSpec& spec) {
  if (spec.arch != "llama" && spec.arch != "qwen2") {
    return Status::InvalidArgument("unknown demo arch '" + spec.arch + "' (llama or qwen2)");
  }
  if (auto hp = HparamsFor(spec); !hp.ok()) return hp.status();
  for (const FileType& f : kFileTypes) {
    if (spec.type == f.name) return Status::Ok();
  }
  return Status::InvalidArgument("unknown demo type '" + spec.type + "' (f32, f16, bf16, q8_0, q4_0, q4_k_m, q5_k_m or q6_k)");
}

Status WriteDemoModel(const DemoSpec& spec, const std::string& path, DemoModelStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  DG_RETURN_IF_ERROR(ValidateDemoSpec(spec));
  const Hparams hp = HparamsFor(spec).value();
  uint32_t ftype = 0;
  for (const FileType& f : kFileTypes) {
    if (spec.type == f.name) ftype = f.ftype;
  }

  DemoVocabOptions vocab_options;
  vocab_options.arch = spec.arch;
  vocab_options.padded_size = hp.padded_vocab;
  DG_ASSIGN_OR_RETURN(DemoVocab vocab, BuildDemoVocab(vocab_options));

  GgufWriter writer;
  DG_RETURN_IF_ERROR(AddModelMetadata(spec, hp, ftype, &writer));
  DG_RETURN_IF_ERROR(AddDemoVocabMetadata(vocab, &writer));
  const std::vector<TensorPlan> plan = PlanTensors(spec, hp, vocab.n_vocab());
  DemoFileJob job;
  for (const TensorPlan& t : plan) job.tensors.push_back({t.name, t.type, t.ne});
  job.fill = [&](size_t index, int64_t row, float* out) {
    FillRow(plan[index], spec.seed, index, row, out, plan[index].ne[0]);
  };
  job.n_threads = spec.n_threads;
  job.n_vocab = vocab.n_vocab();
  job.start = start;
  return WriteDemoFile(job, path, &writer, stats);
}

}  // namespace deepgate::demo
