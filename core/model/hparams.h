// ModelHparams: the `<arch>.*` hyperparameters of a GGUF model, read and bounds-checked once
// at load so the forward pass can trust them.
// Thread-safety: a plain value.
#pragma once
#include <cstdint>
#include <string>

#include "core/status.h"

namespace deepgate {

class GgufFile;

enum class RopeKind { kNormal, kNeox };  // rotate (x[2i], x[2i+1]) or (x[i], x[i + n_rot/2])

struct ModelHparams {
  std::string arch;
  int32_t n_layer = 0;
  int32_t n_embd = 0;
  int32_t n_ff = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;       // <arch>.attention.key_length, else n_embd / n_head
  int32_t value_dim = 0;      // <arch>.attention.value_length, else head_dim
  int32_t n_rot = 0;          // <arch>.rope.dimension_count, else head_dim
  int32_t n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  // RoPE scaling (llama.cpp's rope_ext): theta = freq_scale * p * base^(-2i/n_rot), blended
  // back towards the unscaled angle on the YaRN ramp when yarn_ext_factor != 0.
  float rope_freq_scale = 1.0f;  // 1 / rope.scaling.factor for linear and yarn, else 1
  float yarn_ext_factor = 0.0f;  // 1 for yarn
  int32_t yarn_orig_ctx = 0;     // rope.scaling.original_context_length (yarn)
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
  float yarn_log_multiplier = 0.0f;  // rope.scaling.yarn_log_multiplier (deepseek2's attention mscale)
  // cos/sin are multiplied by rope_attn_factor, and by 1 + 0.1 ln(1 / freq_scale) under yarn
  // (deepseek2 sets rope_attn_factor to cancel that and folds its mscale into the kq scale).
  float rope_attn_factor = 1.0f;
  RopeKind rope_kind = RopeKind::kNormal;
};

// One integer key within [lo, hi] into *out (left unchanged when absent and not required).
[[nodiscard]] Status ReadInt(const GgufFile& f, const std::string& key, int64_t lo, int64_t hi, bool required,
                             int32_t* out);
// One finite float key > 0 into *out (left unchanged when absent and not required).
[[nodiscard]] Status ReadPositiveFloat(const GgufFile& f, const std::string& key, bool required, float* out);

// Reads and validates the hyperparameters of architecture `arch`. Missing required keys and
// out-of-range values are InvalidArgument; RoPE scaling other than none/linear is Unimplemented.
Result<ModelHparams> ReadHparams(const GgufFile& file, const std::string& arch, RopeKind rope_kind);

}  // namespace deepgate
