// AVX-512 (F, BW, VL) dot kernels for Q4_K and Q5_K weights against Q8_K activations: VecDot
// and VecDotRows (decode). The AVX2 kernel (quant_k_avx2.cpp) spends per 64 quants and row
// two maddubs, two madd with broadcast scales and two adds; here one 512-bit step covers two
// of its chunks (128 quants): 64 bytes of packed nibbles give [sub-block 4p | 4p+2] in the low
// nibbles and [4p+1 | 4p+3] in the high ones, matched by activation vectors gathered once
// per block for all rows, and the scales come from one in-lane shuffle of the row's eight
// sub-block scales. About 45 % fewer instructions per row on the MoE experts' decode matvecs.
//
// Integer part per super-block exactly as the scalar reference (int32 lanes of
// q * x * scale). The two 256-bit halves are added as integers into the eight lanes the AVX2
// kernel keeps (lane j holds the same products there), then scaled and reduced in its float
// order: the results are the AVX2 kernel's bit for bit, so the AVX2 tile kernel (prefill,
// streams) and these rows (decode) still agree exactly.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni (and AVX2/FMA/F16C); called only
// after CpuHasAvx512Vnni().
// Thread-safety: pure functions.
#include <type_traits>

#include "core/fp16.h"
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"
#include "core/quant/simd_avx2.h"

namespace deepgate::quant {
namespace {

using avx2::HalfToFloat;
using avx2::HorizontalSum;
using avx2::MinsTimesBlockSums;

inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// [a | b]: two 32-byte halves.
inline __m512i Join(const void* a, const void* b) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(Load256(a)), Load256(b), 1);
}

// Shuffle that turns 8 int16 scales (broadcast to every 128-bit lane) into
// [scale s x 16 | scale s + 2 x 16] for the step's sub-blocks s, s + 2.
inline __m512i ScaleMask(int s) {
  const char a = static_cast<char>(2 * s), b = static_cast<char>(2 * s + 1);
  const char c = static_cast<char>(2 * s + 4), e = static_cast<char>(2 * s + 5);
  return _mm512_set_epi8(e, c, e, c, e, c, e, c, e, c, e, c, e, c, e, c,  // lane 3
                         e, c, e, c, e, c, e, c, e, c, e, c, e, c, e, c,  // lane 2
                         b, a, b, a, b, a, b, a, b, a, b, a, b, a, b, a,  // lane 1
                         b, a, b, a, b, a, b, a, b, a, b, a, b, a, b, a);  // lane 0
}

template <bool kFiveBit, int kRows>
void K4DotRows(int64_t n, const uint8_t* w, size_t stride, const BlockQ8_K* x, float* out) {
  using Block = std::conditional_t<kFiveBit, BlockQ5_K, BlockQ4_K>;
  const __m512i low4 = _mm512_set1_epi8(0x0F), one = _mm512_set1_epi8(1);
  // Step p covers sub-blocks 4p..4p+3: low nibbles [4p | 4p+2], high [4p+1 | 4p+3].
  const __m512i mask_lo[2] = {ScaleMask(0), ScaleMask(4)}, mask_hi[2] = {ScaleMask(1), ScaleMask(5)};
  __m256 acc[kRows];
  __m128 acc_min[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps(), acc_min[r] = _mm_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ8_K& xb = x[i];
    __m512i x_lo[2], x_hi[2];
    _Pragma("GCC unroll 2") for (int p = 0; p < 2; ++p) {
      x_lo[p] = Join(xb.qs + 128 * p, xb.qs + 128 * p + 64);
      x_hi[p] = Join(xb.qs + 128 * p + 32, xb.qs + 128 * p + 96);
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      uint32_t scales_mins[4];
      UnpackScalesMinsK4(b.scales, scales_mins);
      const __m128i mins = MinsTimesBlockSums(&scales_mins[2], xb.bsums);
      acc_min[r] = _mm_fmadd_ps(_mm_set1_ps(xb.d * HalfToFloat(b.dmin)), _mm_cvtepi32_ps(mins), acc_min[r]);
      const __m512i scales = _mm512_broadcast_i32x4(
          _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales_mins))));
      __m512i high = _mm512_setzero_si512();
      if constexpr (kFiveBit) {
        // qh[l] bit 2c: chunk c's low-nibble quant l, bit 2c + 1: its high one. As [qh | qh >> 2],
        // step p's bits for its chunks 2p, 2p + 1 sit at 4p (low) and 4p + 1 (high) of each byte.
        const __m256i qh = Load256(b.qh);
        high = _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
      }
      __m512i sumi = _mm512_setzero_si512();
      _Pragma("GCC unroll 2") for (int p = 0; p < 2; ++p) {
        const __m512i packed = _mm512_loadu_si512(b.qs + 64 * p);
        __m512i q_lo = _mm512_and_si512(packed, low4);
        __m512i q_hi = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
        if constexpr (kFiveBit) {
          q_lo = _mm512_or_si512(q_lo, _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(high, 4 * p), one), 4));
          q_hi = _mm512_or_si512(q_hi,
                                 _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(high, 4 * p + 1), one), 4));
        }
        const __m512i p_lo = _mm512_madd_epi16(_mm512_maddubs_epi16(q_lo, x_lo[p]),
                                               _mm512_shuffle_epi8(scales, mask_lo[p]));
        const __m512i p_hi = _mm512_madd_epi16(_mm512_maddubs_epi16(q_hi, x_hi[p]),
                                               _mm512_shuffle_epi8(scales, mask_hi[p]));
        sumi = _mm512_add_epi32(sumi, _mm512_add_epi32(p_lo, p_hi));
      }
      const __m256i sumi8 = _mm256_add_epi32(_mm512_castsi512_si256(sumi), _mm512_extracti64x4_epi64(sumi, 1));
      acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * HalfToFloat(b.d)), _mm256_cvtepi32_ps(sumi8), acc[r]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) out[r] = HorizontalSum(acc[r]) - HorizontalSum(acc_min[r]);
}

template <bool kFiveBit>
void Rows(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row, float* out) {
  const auto* w = static_cast<const uint8_t*>(w_rows);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  int64_t r = 0;
  for (; r + 2 <= n_rows; r += 2) K4DotRows<kFiveBit, 2>(n, w + r * stride, stride, x, out + r);
  for (; r < n_rows; ++r) K4DotRows<kFiveBit, 1>(n, w + r * stride, stride, x, out + r);
}

template <bool kFiveBit>
float OneRow(int64_t n, const void* w_row, const void* x_row) {
  float out;
  K4DotRows<kFiveBit, 1>(n, static_cast<const uint8_t*>(w_row), 0, static_cast<const BlockQ8_K*>(x_row), &out);
  return out;
}

}  // namespace

TypeKernels Avx512KQuantKernels(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_K: return TypeKernels{nullptr, nullptr, &OneRow<false>, &Rows<false>};
    case GgmlType::Q5_K: return TypeKernels{nullptr, nullptr, &OneRow<true>, &Rows<true>};
    default: return TypeKernels{};
  }
}

}  // namespace deepgate::quant
