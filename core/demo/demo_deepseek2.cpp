// WriteDeepseek2DemoModel: the deepseek2 tensor plan, metadata and weight streams (the file
// itself: demo_writer.h).
#include "core/demo/demo_deepseek2.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/demo/demo_vocab.h"
#include "core/demo/demo_writer.h"
#include "core/gguf_writer.h"

namespace deepgate::demo {
namespace {

struct Shape {
  int64_t n_embd, n_layer, n_head, q_lora, kv_lora, nope, rope, v, n_ff, n_expert, n_used, n_shared, n_ff_exp;
  int32_t vocab;  // 0: the demo vocabulary's natural size
};

Result<Shape> ShapeFor(const std::string& name) {
  if (name == "v2-lite") return Shape{2048, 27, 16, 0, 512, 128, 64, 128, 10944, 64, 6, 2, 1408, 102400};
  if (name == "tiny") return Shape{256, 27, 4, 0, 64, 32, 16, 32, 512, 8, 2, 2, 128, 0};
  return Status::InvalidArgument("unknown deepseek2 demo shape '" + name + "' (tiny or v2-lite)");
}

struct Planned {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;
  float std;    // 0: a norm weight (1 + small noise)
};

GgmlType TypeOf(const std::string& type, bool more_bits, int64_t row_len) {
  if (type == "f32") return GgmlType::F32;
  if (type == "f16") return GgmlType::F16;
  if (type == "q8_0") return GgmlType::Q8_0;
  if (type == "q4_0") return GgmlType::Q4_0;
  const bool k_ok = row_len % 256 == 0;  // q4_k_m
  if (more_bits) return k_ok ? GgmlType::Q6_K : GgmlType::Q8_0;
  return k_ok ? GgmlType::Q4_K : GgmlType::Q5_0;
}

std::vector<Planned> Plan(const std::string& type, const Shape& s, int32_t n_vocab) {
  const float kStd = 0.02f, out_std = kStd / std::sqrt(2.0f * static_cast<float>(s.n_layer));
  const int64_t e = s.n_embd, qk = s.nope + s.rope;
  auto t = [&](bool more, int64_t row) { return TypeOf(type, more, row); };
  std::vector<Planned> p;
  p.push_back({"token_embd.weight", t(true, e), {e, n_vocab}, kStd});
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    p.push_back({b + "attn_norm.weight", GgmlType::F32, {e}, 0});
    p.push_back({b + "attn_q.weight", t(false, e), {e, s.n_head * qk}, kStd});
    p.push_back({b + "attn_kv_a_mqa.weight", t(false, e), {e, s.kv_lora + s.rope}, kStd});
    p.push_back({b + "attn_kv_a_norm.weight", GgmlType::F32, {s.kv_lora}, 0});
    p.push_back({b + "attn_kv_b.weight", t(true, s.kv_lora), {s.kv_lora, s.n_head * (s.nope + s.v)}, kStd});
    p.push_back({b + "attn_output.weight", t(false, s.n_head * s.v), {s.n_head * s.v, e}, out_std});
    p.push_back({b + "ffn_norm.weight", GgmlType::F32, {e}, 0});
    if (l == 0) {
      p.push_back({b + "ffn_gate.weight", t(false, e), {e, s.n_ff}, kStd});
      p.push_back({b + "ffn_up.weight", t(false, e), {e, s.n_ff}, kStd});
      p.push_back({b + "ffn_down.weight", t(true, s.n_ff), {s.n_ff, e}, out_std});
      continue;
    }
    const int64_t sh = s.n_ff_exp * s.n_shared;
    // The router stays F32 as llama.cpp's converter keeps it; a wider init spreads the choices.
    p.push_back({b + "ffn_gate_inp.weight", GgmlType::F32, {e, s.n_expert}, 0.1f});
    p.push_back({b + "ffn_gate_exps.weight", t(false, e), {e, s.n_ff_exp, s.n_expert}, kStd});
    p.push_back({b + "ffn_up_exps.weight", t(false, e), {e, s.n_ff_exp, s.n_expert}, kStd});
    p.push_back({b + "ffn_down_exps.weight", t(true, s.n_ff_exp), {s.n_ff_exp, e, s.n_expert}, out_std});
    p.push_back({b + "ffn_gate_shexp.weight", t(false, e), {e, sh}, kStd});
    p.push_back({b + "ffn_up_shexp.weight", t(false, e), {e, sh}, kStd});
    p.push_back({b + "ffn_down_shexp.weight", t(true, sh), {sh, e}, out_std});
  }
  p.push_back({"output_norm.weight", GgmlType::F32, {e}, 0});
  p.push_back({"output.weight", t(true, e), {e, n_vocab}, kStd});
  return p;
}

Status AddMetadata(const DemoSpec& spec, const Shape& s, GgufWriter* w) {
  const std::string a = "deepseek2.";
  auto u32 = [&](const char* k, int64_t v) { return w->AddU32(a + k, static_cast<uint32_t>(v)); };
  DG_RETURN_IF_ERROR(w->AddString("general.architecture", "deepseek2"));
  DG_RETURN_IF_ERROR(w->AddString("general.name", "deepgate-demo-deepseek2-" + spec.shape + "-" + spec.type));
  DG_RETURN_IF_ERROR(w->AddU32("general.quantization_version", 2));
  DG_RETURN_IF_ERROR(w->AddU64("general.demo_seed", spec.seed));
  DG_RETURN_IF_ERROR(u32("block_count", s.n_layer));
  DG_RETURN_IF_ERROR(u32("context_length", 163840));
  DG_RETURN_IF_ERROR(u32("embedding_length", s.n_embd));
  DG_RETURN_IF_ERROR(u32("feed_forward_length", s.n_ff));
  DG_RETURN_IF_ERROR(u32("attention.head_count", s.n_head));
  DG_RETURN_IF_ERROR(u32("attention.head_count_kv", s.n_head));
  DG_RETURN_IF_ERROR(u32("attention.key_length", s.nope + s.rope));
  DG_RETURN_IF_ERROR(u32("attention.value_length", s.v));
  DG_RETURN_IF_ERROR(u32("attention.kv_lora_rank", s.kv_lora));
  DG_RETURN_IF_ERROR(u32("rope.dimension_count", s.rope));
  DG_RETURN_IF_ERROR(u32("leading_dense_block_count", 1));
  DG_RETURN_IF_ERROR(u32("expert_count", s.n_expert));
  DG_RETURN_IF_ERROR(u32("expert_used_count", s.n_used));
  DG_RETURN_IF_ERROR(u32("expert_shared_count", s.n_shared));
  DG_RETURN_IF_ERROR(u32("expert_feed_forward_length", s.n_ff_exp));
  DG_RETURN_IF_ERROR(u32("expert_gating_func", 1));  // softmax, as V2-Lite
  DG_RETURN_IF_ERROR(w->AddF32(a + "expert_weights_scale", 1.0f));
  DG_RETURN_IF_ERROR(w->AddBool(a + "expert_weights_norm", false));
  DG_RETURN_IF_ERROR(w->AddF32(a + "attention.layer_norm_rms_epsilon", 1e-6f));
  DG_RETURN_IF_ERROR(w->AddF32(a + "rope.freq_base", 10000.0f));
  DG_RETURN_IF_ERROR(w->AddString(a + "rope.scaling.type", "yarn"));
  DG_RETURN_IF_ERROR(w->AddF32(a + "rope.scaling.factor", 40.0f));
  DG_RETURN_IF_ERROR(u32("rope.scaling.original_context_length", 4096));
  DG_RETURN_IF_ERROR(w->AddF32(a + "rope.scaling.yarn_log_multiplier", 0.0707f));
  return Status::Ok();
}

// Counter-based stream: a 64-bit mix of (key, index) -> two 32-bit uniforms -> their sum,
// a triangular distribution with the requested std.
float Draw(uint64_t key, uint64_t index, float std) {
  uint64_t z = key + index * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDull;
  z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53ull;
  z ^= z >> 33;
  const float u = static_cast<float>(z & 0xFFFFFFFFu) * 2.3283064e-10f + static_cast<float>(z >> 32) * 2.3283064e-10f;
  return (u - 1.0f) * std * 2.4494897f;  // triangular on [-1, 1) has std 1 / sqrt(6)
}

}  // namespace

Status ValidateDeepseek2DemoSpec(const DemoSpec& spec) {
  if (auto s = ShapeFor(spec.shape); !s.ok()) return s.status();
  for (const char* t : {"f32", "f16", "q8_0", "q4_0", "q4_k_m"}) {
    if (spec.type == t) return Status::Ok();
  }
  return Status::InvalidArgument("unknown demo type '" + spec.type + "' (f32, f16, q8_0, q4_0 or q4_k_m)");
}

Status WriteDeepseek2DemoModel(const DemoSpec& spec, const std::string& path, DemoModelStats* stats) {
  const auto start = std::chrono::steady_clock::now();
  DG_RETURN_IF_ERROR(ValidateDeepseek2DemoSpec(spec));
  const Shape s = ShapeFor(spec.shape).value();
  DemoVocabOptions vo;
  vo.arch = "llama";  // the deepseek-llm BPE pre-tokenizer, as DeepSeek-V2's vocabulary
  vo.padded_size = s.vocab;
  DG_ASSIGN_OR_RETURN(DemoVocab vocab, BuildDemoVocab(vo));
  GgufWriter writer;
  DG_RETURN_IF_ERROR(AddMetadata(spec, s, &writer));
  DG_RETURN_IF_ERROR(AddDemoVocabMetadata(vocab, &writer));
  const std::vector<Planned> plan = Plan(spec.type, s, vocab.n_vocab());
  DemoFileJob job;
  for (const Planned& t : plan) job.tensors.push_back({t.name, t.type, t.ne});
  // Each tensor its own counter-based stream of (seed, tensor, element).
  job.fill = [&](size_t index, int64_t row, float* out) {
    const Planned& t = plan[index];
    const uint64_t key = spec.seed * 0xD1B54A32D192ED03ull + index;
    const int64_t n = t.ne[0];
    for (int64_t i = 0; i < n; ++i) {
      const float x = Draw(key, static_cast<uint64_t>(row * n + i), t.std > 0 ? t.std : 0.02f);
      out[i] = t.std > 0 ? x : 1.0f + x;
    }
  };
  job.n_threads = spec.n_threads;
  job.n_vocab = vocab.n_vocab();
  job.start = start;
  return WriteDemoFile(job, path, &writer, stats);
}

}  // namespace deepgate::demo
