// Demo deepseek2 models: random-weight GGUF files in the older attn_kv_b layout (which the
// llama.cpp build in ../shared/tools loads too), so the MLA + MoE path can be run and
// benchmarked without a download.
//
// Shapes: "v2-lite" is DeepSeek-V2-Lite's: 27 layers, n_embd 2048, 16 heads, no q LoRA,
// kv_lora_rank 512, nope 128, rope 64, v 128, layer 0 dense (10944), 64 routed experts of 1408
// (6 used, softmax gating) and 2 shared, vocabulary 102400, YaRN factor 40 over 4096 positions
// (~16 B parameters, ~9 GB in q4_0). "tiny" keeps the 27 layers (llama.cpp takes the no-q-LoRA
// path only for 27-layer files) at n_embd 256, 4 heads, kv_lora 64, 8 experts of 128.
// Types: f32, f16, q8_0, q4_0, q4_k_m (Q4_K; Q6_K for embeddings/output, attn_kv_b and the
// down projections; rows not a multiple of 256 fall back to Q5_0 / Q8_0 as llama.cpp does).
// Weights: zero-mean, std 0.02 (output-side projections / sqrt(2 n_layer)), each tensor from
// its own counter-based stream of (seed, tensor, element), so bytes depend on the seed only.
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "core/demo/demo_model.h"

namespace deepgate::demo {

// For spec.arch == "deepseek2": the shape and type are checked (InvalidArgument naming them).
Status ValidateDeepseek2DemoSpec(const DemoSpec& spec);
Status WriteDeepseek2DemoModel(const DemoSpec& spec, const std::string& path, DemoModelStats* stats);

}  // namespace deepgate::demo
