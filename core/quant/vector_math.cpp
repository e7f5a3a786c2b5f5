// vector_math dispatch and its scalar forms (the kScalar kernel set and the vector kernels'
// tails compute the same exp).
#include "core/quant/vector_math.h"

#include <cmath>
#include <cstring>

#include "core/quant/quant.h"
#include "core/quant/vector_math_coeffs.h"

namespace deepgate::quant {

// The AVX2 kernels (vector_math_avx2.cpp).
void SoftmaxF32Avx2(float* x, int64_t n);
void SwiGluF32Avx2(float* gate, const float* up, int64_t n);

float ExpF32(float x) {
  using namespace exp_poly;
  if (x < kLo) return 0.0f;
  if (!(x <= kHi)) {
    if (std::isnan(x)) return x;
    x = kHi;
  }
  const float k = std::nearbyint(x * kLog2e);
  float r = std::fma(-k, kLn2Hi, x);
  r = std::fma(-k, kLn2Lo, r);
  float p = kP[0];
  for (int i = 1; i < 6; ++i) p = std::fma(p, r, kP[i]);
  const float y = std::fma(p, r * r, r) + 1.0f;
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(k) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return y * scale;
}

void SoftmaxF32(float* x, int64_t n) {
  if (ActiveKernels() != KernelSet::kScalar) return SoftmaxF32Avx2(x, n);
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = x[i] > max ? x[i] : max;
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = ExpF32(x[i] - max);
    sum += x[i];
  }
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void SwiGluF32(float* gate, const float* up, int64_t n) {
  if (ActiveKernels() != KernelSet::kScalar) return SwiGluF32Avx2(gate, up, n);
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + ExpF32(-gate[i])) * up[i];
}

}  // namespace deepgate::quant
