// Model: a loaded GGUF model (weights mmapped, never copied) plus its tokenizer, able to
// evaluate token batches for any number of independent sequences.
//
// Architectures plug in through the table in core/model/arch.h: each one builds its layers
// from GGUF tensors and metadata; the forward pass is shared building blocks (RMSNorm, RoPE,
// attention with a KV cache, feed-forward), so `deepseek2` (MLA + MoE) adds files, not a
// switch. Every tensor's presence, type and shape is checked at Load, so a file that loads
// can be evaluated without further checks.
//
// Thread-safety: a Model is immutable after Load and may be shared; Eval may be called from
// one thread at a time (it uses the model's thread pool). A SequenceState belongs to one
// sequence and must not be used by two Eval calls at once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace deepgate {

class GgufFile;
class Tokenizer;
class ThreadPool;

struct ModelOptions {
  int n_threads = 0;  // <= 0: all online CPUs
  // deepseek2 attention: kAuto takes the absorbed latent form for decode and small batches
  // and the expanded form (keys/values expanded from the latent, as llama.cpp computes them)
  // for a sequence's prompt chunk; tests force either. kMirrored takes the expanded form with
  // llama.cpp's roundings for every token, decode included (slow: it re-expands the whole
  // cache at every step): the check that the latent cache rounds where llama.cpp's does.
  enum class MlaPath { kAuto, kLatent, kExpanded, kMirrored };
  MlaPath mla_path = MlaPath::kAuto;
  // Give 2-D Q4_0/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K weight matrices (AVX2 and up) a copy repacked for
  // the packed GEMM (quant/packed_gemm.h): faster prefill, decode and batches, at the cost of
  // private memory the size of those tensors instead of shared mapped pages (core/README.md).
  bool repack_weights = true;
};

struct ModelInfo {
  std::string arch;          // "llama", "qwen2"
  std::string name;          // general.name ("" if absent)
  int32_t n_vocab = 0;       // rows of the output matrix (= tokenizer size)
  int32_t n_ctx_train = 0;   // <arch>.context_length
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t n_ff = 0;
  int32_t head_dim = 0;
  float rope_base = 10000.0f;
  std::string rope_kind;     // "normal" or "neox"
  int64_t n_params = 0;      // total weight elements
  uint64_t weight_bytes = 0; // total weight bytes as stored
  // Weight bytes one decoded token reads: everything but the embedding table (one row of it)
  // and, for MoE, only the chosen experts' share of the expert tensors.
  uint64_t active_weight_bytes = 0;
  std::string type_summary;  // "q4_K: 96, q6_K: 13, f32: 49" (tensor counts by type)
  bool tied_output = false;  // output.weight absent: token_embd.weight is used
  std::string chat_template; // tokenizer.chat_template ("" if absent)
  uint64_t kv_bytes_per_token = 0;  // KV cache bytes one position takes, all layers
  std::string kv_layout;     // "f16 k+v" or "f16 latent (kv_lora_rank + rope)"
};

// Per-sequence state: the KV cache (F16) and the number of positions evaluated so far.
class SequenceState {
 public:
  virtual ~SequenceState() = default;
  virtual int32_t n_past() const = 0;   // positions already in the cache
  virtual int32_t n_ctx() const = 0;    // capacity in positions
  // Drops cached positions >= n (n <= n_past), e.g. to reuse a shared prompt prefix.
  virtual void Truncate(int32_t n) = 0;
  virtual size_t memory_bytes() const = 0;
};

// One sequence's part of a batched evaluation.
struct BatchEntry {
  SequenceState* state = nullptr;
  const int32_t* tokens = nullptr;  // evaluated at positions state->n_past() onwards
  int32_t n_tokens = 0;
  // Logits output: when all_logits, [n_tokens][n_vocab]; otherwise [n_vocab] for the last
  // token only. May be null to skip the output projection entirely (prefill chunks).
  float* logits = nullptr;
  bool all_logits = false;
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const ModelOptions& options);
  virtual ~Model() = default;

  virtual const ModelInfo& info() const = 0;
  virtual const Tokenizer& tokenizer() const = 0;
  virtual const GgufFile& gguf() const = 0;
  virtual ThreadPool& thread_pool() const = 0;

  // A fresh sequence with room for n_ctx positions (0: min(n_ctx_train, 4096)).
  // InvalidArgument when n_ctx is negative or above n_ctx_train; ResourceExhausted when the
  // KV cache cannot be allocated.
  virtual Result<std::unique_ptr<SequenceState>> NewSequence(int32_t n_ctx = 0) const = 0;

  // Evaluates every entry in one forward pass (all tokens of all entries share each weight
  // read), appending their K/V to the entries' states. InvalidArgument (nothing changed)
  // when a token id is out of range, an entry would overflow its n_ctx, or a state appears
  // twice.
  virtual Status Eval(std::vector<BatchEntry>& batch) = 0;

  // Convenience for one sequence.
  Status Eval(SequenceState& state, const int32_t* tokens, int32_t n_tokens, float* logits,
              bool all_logits);
};

}  // namespace deepgate
