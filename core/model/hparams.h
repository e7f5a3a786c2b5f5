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
  int32_t n_rot = 0;          // <arch>.rope.dimension_count, else head_dim
  int32_t n_ctx_train = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.0f;
  float rope_pos_scale = 1.0f;  // linear scaling: positions are multiplied by 1 / factor
  RopeKind rope_kind = RopeKind::kNormal;
};

// Reads and validates the hyperparameters of architecture `arch`. Missing required keys and
// out-of-range values are InvalidArgument; RoPE scaling other than none/linear is Unimplemented.
Result<ModelHparams> ReadHparams(const GgufFile& file, const std::string& arch, RopeKind rope_kind);

}  // namespace deepgate
