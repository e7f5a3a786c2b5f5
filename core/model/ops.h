// Small pure kernels of the forward pass (f32): RMSNorm, RoPE, softmax, SwiGLU.
// Thread-safety: pure functions over caller-owned buffers.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model/hparams.h"

namespace deepgate {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i]; out may alias x.
void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out);

// cos/sin of every rotation angle for a batch of positions, computed once per Eval and shared
// by all layers.
class RopeTable {
 public:
  // pos: [n_tokens] absolute positions.
  void Build(const ModelHparams& h, const int32_t* pos, int32_t n_tokens);
  // Rotates one head vector x[head_dim] of token t in place (only the first n_rot dims).
  void Apply(int32_t t, float* x) const;

 private:
  RopeKind kind_ = RopeKind::kNormal;
  int32_t half_ = 0;        // n_rot / 2 pairs per head
  std::vector<float> cos_;  // [n_tokens][half_]
  std::vector<float> sin_;  // [n_tokens][half_]
};

// In-place softmax of x[n] (max-subtracted, f32; quant::SoftmaxF32).
void Softmax(float* x, int64_t n);

// gate[i] = silu(gate[i]) * up[i] (quant::SwiGluF32).
void SwiGlu(float* gate, const float* up, int64_t n);

}  // namespace deepgate
