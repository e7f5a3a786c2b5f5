// Demo models: GGUF files with the exact tensor layout and metadata of a llama / qwen2 model
// but deterministic random weights, so the whole stack (loader, kernels, tokenizer, chat
// template, server) can be run, tested and benchmarked without downloading a model.
//
// Shapes: "tiny" (n_embd 256, 2 layers, 4 heads / 2 KV heads of 64, n_ff 512, context 2048,
// the demo vocabulary's natural size) and "qwen2-0.5b" (Qwen2-0.5B's sizes: n_embd 896,
// 24 layers, 14 / 2 heads of 64, n_ff 4864, vocabulary padded to 151936, context 32768).
// Output is tied to token_embd.weight (no output.weight), as in Qwen2-0.5B.
//
// Types: f32, f16, bf16, q8_0, q4_0 for every 2-D weight (norms and biases stay F32); q4_k_m
// mixes like llama.cpp's Q4_K_M: Q4_K, with Q6_K for the (tied) embeddings and for attn_v /
// ffn_down in the layers llama.cpp gives more bits; a row length that is not a multiple of
// 256 falls back Q4_K -> Q5_0 and Q6_K -> Q8_0, as llama.cpp does. q5_k_m is the same mix
// with Q5_K (falling back to Q5_0, where llama.cpp uses Q5_1); q6_k is Q6_K throughout.
//
// Weights: approximately normal (Irwin–Hall sum of four uniforms), std 0.02, output-side
// projections (attn_output, ffn_down) scaled by 1/sqrt(2 n_layer) as in GPT-2's init so the
// residual stream stays O(1); norms 1 ± 0.02 noise; biases std 0.02. Every row has its own
// PRNG stream keyed by (seed, tensor, row), so the bytes depend on the seed only — not on
// the thread count. Rows are quantized on all CPUs and streamed to the writer in chunks.
// Thread-safety: WriteDemoModel is reentrant.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace deepgate::demo {

struct DemoSpec {
  std::string arch = "qwen2";  // "llama" or "qwen2"
  std::string shape = "tiny";  // "tiny" or "qwen2-0.5b"
  std::string type = "q8_0";   // "f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"
  uint64_t seed = 42;
  int n_threads = 0;           // <= 0: std::thread::hardware_concurrency(); bytes do not depend on it
};

struct DemoModelStats {
  uint64_t file_bytes = 0;
  int64_t n_params = 0;  // weight elements over all tensors
  int32_t n_tensors = 0;
  int32_t n_vocab = 0;
  double seconds = 0;    // wall time of the whole write
};

// Checks the spec (InvalidArgument naming the bad field) without writing anything.
Status ValidateDemoSpec(const DemoSpec& spec);

// Writes the model to path (atomically, via path + ".tmp"). stats may be null.
Status WriteDemoModel(const DemoSpec& spec, const std::string& path, DemoModelStats* stats = nullptr);

}  // namespace deepgate::demo
