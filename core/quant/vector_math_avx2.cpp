// AVX2/FMA forms of vector_math: 8 lanes of the same exp as ExpF32, the last n % 8 elements
// through masked loads and stores.
#include <immintrin.h>

#include <cstdint>

#include "core/quant/simd_avx2.h"
#include "core/quant/vector_math_coeffs.h"

namespace deepgate::quant {
namespace {

using avx2::FirstLanes;
using avx2::HorizontalMax;
using avx2::HorizontalSum;

inline __m256 Exp8(__m256 x) {
  using namespace exp_poly;
  const __m256 lo = _mm256_set1_ps(kLo);
  const __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  // max/min return their second operand when either is NaN, so a NaN x stays NaN.
  x = _mm256_min_ps(_mm256_set1_ps(kHi), _mm256_max_ps(lo, x));
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Hi), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Lo), r);
  __m256 p = _mm256_set1_ps(kP[0]);
  for (int i = 1; i < 6; ++i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kP[i]));
  const __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(y, _mm256_castsi256_ps(bits)));
}

}  // namespace

void SoftmaxF32Avx2(float* x, int64_t n) {
  const int64_t full = n / 8 * 8;
  const __m256i tail = FirstLanes(n - full);
  __m256 vmax = _mm256_set1_ps(x[0]);
  for (int64_t i = 0; i < full; i += 8) vmax = _mm256_max_ps(vmax, _mm256_loadu_ps(x + i));
  if (full < n) vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(vmax, _mm256_maskload_ps(x + full, tail), _mm256_castsi256_ps(tail)));
  const __m256 max = _mm256_set1_ps(HorizontalMax(vmax));
  __m256 vsum = _mm256_setzero_ps();
  for (int64_t i = 0; i < full; i += 8) {
    const __m256 e = Exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), max));
    _mm256_storeu_ps(x + i, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  if (full < n) {
    const __m256 e = _mm256_and_ps(Exp8(_mm256_sub_ps(_mm256_maskload_ps(x + full, tail), max)), _mm256_castsi256_ps(tail));
    _mm256_maskstore_ps(x + full, tail, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / HorizontalSum(vsum));
  for (int64_t i = 0; i < full; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
  if (full < n) _mm256_maskstore_ps(x + full, tail, _mm256_mul_ps(_mm256_maskload_ps(x + full, tail), inv));
}

void SwiGluF32Avx2(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 zero = _mm256_setzero_ps();
  auto step = [&](__m256 g, __m256 u) {
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, Exp8(_mm256_sub_ps(zero, g)))), u);
  };
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(gate + i, step(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
  if (i < n) {
    const __m256i tail = FirstLanes(n - i);
    _mm256_maskstore_ps(gate + i, tail, step(_mm256_maskload_ps(gate + i, tail), _mm256_maskload_ps(up + i, tail)));
  }
}

}  // namespace deepgate::quant
