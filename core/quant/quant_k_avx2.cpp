// AVX2/FMA/F16C kernels for Q4_K, Q5_K and Q6_K weights against Q8_K activations, and the
// Q8_K activation quantizer. Compiled with -mavx2 -mfma -mf16c; called only after CpuHasAvx2().
//
// Per super-block the integer part (quants x activations x 6/8-bit sub-block scales) is
// summed exactly in int32 lanes, as the scalar reference does, and scaled to float once.
// Multi-row kernels share each activation load across kRows weight rows; a row's arithmetic
// does not depend on kRows, so VecDotRows and VecDot agree bit for bit.
// Thread-safety: pure functions.
#include <algorithm>
#include <cmath>
#include <cstring>

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

// Q4_K (kFiveBit false) and Q5_K (true).
template <bool kFiveBit, int kRows>
void K4DotRows(int64_t n, const uint8_t* w, size_t stride, const BlockQ8_K* x, float* out) {
  using Block = std::conditional_t<kFiveBit, BlockQ5_K, BlockQ4_K>;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[kRows];
  __m128 acc_min[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps(), acc_min[r] = _mm_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ8_K& xb = x[i];
    uint32_t scales_mins[kRows][4];
    __m256i sumi[kRows];
    __m256i high_bits[kRows];
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      UnpackScalesMinsK4(b.scales, scales_mins[r]);
      const __m128i mins = MinsTimesBlockSums(&scales_mins[r][2], xb.bsums);
      const __m128 dmin = _mm_set1_ps(xb.d * HalfToFloat(b.dmin));
      acc_min[r] = _mm_fmadd_ps(dmin, _mm_cvtepi32_ps(mins), acc_min[r]);
      sumi[r] = _mm256_setzero_si256();
      if constexpr (kFiveBit) high_bits[r] = Load256(b.qh);
    }
    for (int chunk = 0; chunk < 4; ++chunk) {
      const __m256i x_lo = Load256(xb.qs + 64 * chunk);
      const __m256i x_hi = Load256(xb.qs + 64 * chunk + 32);
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
        const __m256i packed = Load256(b.qs + 32 * chunk);
        __m256i q_lo = _mm256_and_si256(packed, low4);
        __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
        if constexpr (kFiveBit) {
          // qh bit 2c -> bit 4 of the low-nibble quants, bit 2c+1 -> of the high ones.
          const __m256i one = _mm256_set1_epi8(1);
          q_lo = _mm256_or_si256(q_lo, _mm256_slli_epi16(_mm256_and_si256(high_bits[r], one), 4));
          q_hi = _mm256_or_si256(
              q_hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high_bits[r], 1), one), 4));
          high_bits[r] = _mm256_srli_epi16(high_bits[r], 2);
        }
        const auto* sc = reinterpret_cast<const uint8_t*>(scales_mins[r]);
        const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(q_lo, x_lo),
                                               _mm256_set1_epi16(sc[2 * chunk]));
        const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(q_hi, x_hi),
                                               _mm256_set1_epi16(sc[2 * chunk + 1]));
        sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(p_lo, p_hi));
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      const __m256 d = _mm256_set1_ps(xb.d * HalfToFloat(b.d));
      acc[r] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sumi[r]), acc[r]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) out[r] = HorizontalSum(acc[r]) - HorizontalSum(acc_min[r]);
}

// Shuffle masks that turn 8 int16 scales (both 128-bit lanes) into [scale 2k x8 | 2k+1 x8].
inline __m256i ScalePairMask(int k) {
  const char a = static_cast<char>(4 * k), b = static_cast<char>(4 * k + 1);
  const char c = static_cast<char>(4 * k + 2), e = static_cast<char>(4 * k + 3);
  return _mm256_setr_epi8(a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b,
                          c, e, c, e, c, e, c, e, c, e, c, e, c, e, c, e);
}

template <int kRows>
void Q6KDotRows(int64_t n, const uint8_t* w, size_t stride, const BlockQ8_K* x, float* out) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i bits01 = _mm256_set1_epi8(0x03), bits23 = _mm256_set1_epi8(0x0C);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  const __m256i pair_mask[4] = {ScalePairMask(0), ScalePairMask(1), ScalePairMask(2), ScalePairMask(3)};
  __m256 acc[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ8_K& xb = x[i];
    const __m256i bsums = Load256(xb.bsums);
    __m256i sumi[kRows];
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(w + r * stride)[i];
      // The stored quants are q + 32: subtract 32 * sum_g scale[g] * bsums[g] up front.
      const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
      sumi[r] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                 _mm256_slli_epi32(_mm256_madd_epi16(scales16, bsums), 5));
    }
    for (int half = 0; half < 2; ++half) {
      const int8_t* xq = xb.qs + 128 * half;
      const __m256i x0 = Load256(xq), x1 = Load256(xq + 32), x2 = Load256(xq + 64), x3 = Load256(xq + 96);
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(w + r * stride)[i];
        const __m256i ql0 = Load256(b.ql + 64 * half), ql1 = Load256(b.ql + 64 * half + 32);
        const __m256i qh = Load256(b.qh + 32 * half);
        const __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                           _mm256_slli_epi16(_mm256_and_si256(qh, bits01), 4));
        const __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                           _mm256_slli_epi16(_mm256_and_si256(qh, bits23), 2));
        const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                           _mm256_and_si256(qh, bits45));
        const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
        const __m256i scales = _mm256_broadcastsi128_si256(
            _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 8 * half))));
        const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q0, x0), _mm256_shuffle_epi8(scales, pair_mask[0]));
        const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, x1), _mm256_shuffle_epi8(scales, pair_mask[1]));
        const __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(q2, x2), _mm256_shuffle_epi8(scales, pair_mask[2]));
        const __m256i p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(q3, x3), _mm256_shuffle_epi8(scales, pair_mask[3]));
        sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(w + r * stride)[i];
      acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * HalfToFloat(b.d)), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) out[r] = HorizontalSum(acc[r]);
}

// The 16 signed Q3_K scales (-32..31) as int8, from their 12-byte packed form.
inline __m128i UnpackScalesQ3K(const uint8_t* packed) {
  constexpr uint32_t kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
  uint32_t w[3], out[4];
  std::memcpy(w, packed, 12);
  out[0] = (w[0] & kLow4) | ((w[2] & kLow2) << 4);                 // scales 0..3
  out[1] = (w[1] & kLow4) | (((w[2] >> 2) & kLow2) << 4);          // scales 4..7
  out[2] = ((w[0] >> 4) & kLow4) | (((w[2] >> 4) & kLow2) << 4);   // scales 8..11
  out[3] = ((w[1] >> 4) & kLow4) | (((w[2] >> 6) & kLow2) << 4);   // scales 12..15
  return _mm_sub_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(out)), _mm_set1_epi8(32));
}

// Q2_K (kThreeBit false) and Q3_K (true): 2-bit planes, 16 sub-blocks of 16. Q3_K's quants are
// taken as q + 4 (0..7) so maddubs sees unsigned bytes; the +4 comes off via bsums.
template <bool kThreeBit, int kRows>
void LowBitDotRows(int64_t n, const uint8_t* w, size_t stride, const BlockQ8_K* x, float* out) {
  using Block = std::conditional_t<kThreeBit, BlockQ3_K, BlockQ2_K>;
  const __m256i two_bits = _mm256_set1_epi8(3);
  const __m256i pair_mask[4] = {ScalePairMask(0), ScalePairMask(1), ScalePairMask(2), ScalePairMask(3)};
  __m256 acc[kRows], acc_min[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc[r] = acc_min[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const BlockQ8_K& xb = x[i];
    const __m256i bsums = Load256(xb.bsums);
    __m256i sumi[kRows], high_bits[kRows];
    __m128i scales8[kRows];  // 16 signed scales
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      if constexpr (kThreeBit) {
        scales8[r] = UnpackScalesQ3K(b.scales);
        sumi[r] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                   _mm256_slli_epi32(_mm256_madd_epi16(_mm256_cvtepi8_epi16(scales8[r]), bsums), 2));
        high_bits[r] = Load256(b.hmask);
      } else {
        const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
        scales8[r] = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
        const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F)));
        const __m256 dmin = _mm256_set1_ps(xb.d * HalfToFloat(b.dmin));
        acc_min[r] = _mm256_fmadd_ps(dmin, _mm256_cvtepi32_ps(_mm256_madd_epi16(mins16, bsums)), acc_min[r]);
        sumi[r] = _mm256_setzero_si256();
      }
    }
    for (int half = 0; half < 2; ++half) {
      const int8_t* xq = xb.qs + 128 * half;
      const __m256i xs[4] = {Load256(xq), Load256(xq + 32), Load256(xq + 64), Load256(xq + 96)};
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
        const __m256i scales = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(
            half == 0 ? scales8[r] : _mm_unpackhi_epi64(scales8[r], scales8[r])));
        __m256i planes = Load256(b.qs + 32 * half);
        for (int j = 0; j < 4; ++j) {
          __m256i q = _mm256_and_si256(planes, two_bits);
          planes = _mm256_srli_epi16(planes, 2);
          if constexpr (kThreeBit) {
            q = _mm256_or_si256(q, _mm256_slli_epi16(_mm256_and_si256(high_bits[r], _mm256_set1_epi8(1)), 2));
            high_bits[r] = _mm256_srli_epi16(high_bits[r], 1);
          }
          const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q, xs[j]),
                                              _mm256_shuffle_epi8(scales, pair_mask[j]));
          sumi[r] = _mm256_add_epi32(sumi[r], p);
        }
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(xb.d * HalfToFloat(b.d)), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) out[r] = HorizontalSum(_mm256_sub_ps(acc[r], acc_min[r]));
}

// Same float operations as the scalar Q8_K quantizer, so the blocks are identical: the first
// element of largest magnitude sets iscale = -127 / max (as ggml), quants round half to even.
void QuantizeQ8_K(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    __m256 amax_v = _mm256_setzero_ps();
    for (int k = 0; k < kQK_K; k += 8) {
      amax_v = _mm256_max_ps(amax_v, _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(src + k)));
    }
    const float amax = avx2::HorizontalMax(amax_v);
    if (amax == 0) {
      std::memset(&b[i], 0, sizeof(b[i]));
      continue;
    }
    float max = 0;
    for (int k = 0; k < kQK_K; k += 8) {
      const __m256 abs = _mm256_andnot_ps(sign_bit, _mm256_loadu_ps(src + k));
      const int hit = _mm256_movemask_ps(_mm256_cmp_ps(abs, _mm256_set1_ps(amax), _CMP_EQ_OQ));
      if (hit) {
        max = src[k + __builtin_ctz(static_cast<unsigned>(hit))];
        break;
      }
    }
    const float iscale = -127.0f / max;
    const __m256 scale = _mm256_set1_ps(iscale);
    const __m256i limit = _mm256_set1_epi32(127);
    for (int k = 0; k < kQK_K; k += 32) {
      __m256i q[4];
      for (int j = 0; j < 4; ++j) {
        const __m256 v = _mm256_mul_ps(_mm256_loadu_ps(src + k + 8 * j), scale);
        q[j] = _mm256_min_epi32(
            _mm256_cvtps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)), limit);
      }
      const __m256i q16a = _mm256_packs_epi32(q[0], q[1]), q16b = _mm256_packs_epi32(q[2], q[3]);
      const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b),
                                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs + k), q8);
    }
    // Group sums of 16 quants: widen to int16, then pairwise-add down to one sum per group.
    for (int g = 0; g < 16; g += 2) {
      const __m256i q16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 16 * g)));
      const __m256i q16b = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs + 16 * g + 16)));
      const __m256i s32 = _mm256_hadd_epi32(_mm256_madd_epi16(q16, _mm256_set1_epi16(1)),
                                            _mm256_madd_epi16(q16b, _mm256_set1_epi16(1)));
      // s32 lanes: [a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7]
      alignas(32) int32_t lanes[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s32);
      b[i].bsums[g] = static_cast<int16_t>(lanes[0] + lanes[1] + lanes[4] + lanes[5]);
      b[i].bsums[g + 1] = static_cast<int16_t>(lanes[2] + lanes[3] + lanes[6] + lanes[7]);
    }
    b[i].d = 1.0f / iscale;
  }
}

template <void (*kGroupFn)(int64_t, const uint8_t*, size_t, const BlockQ8_K*, float*),
          void (*kOneFn)(int64_t, const uint8_t*, size_t, const BlockQ8_K*, float*), int kGroup>
void RowsInGroups(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row,
                  float* out) {
  const auto* w = static_cast<const uint8_t*>(w_rows);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  int64_t r = 0;
  for (; r + kGroup <= n_rows; r += kGroup) kGroupFn(n, w + r * stride, stride, x, out + r);
  for (; r < n_rows; ++r) kOneFn(n, w + r * stride, stride, x, out + r);
}

template <void (*kOneFn)(int64_t, const uint8_t*, size_t, const BlockQ8_K*, float*)>
float OneRow(int64_t n, const void* w_row, const void* x_row) {
  float out;
  kOneFn(n, static_cast<const uint8_t*>(w_row), 0, static_cast<const BlockQ8_K*>(x_row), &out);
  return out;
}

}  // namespace

TypeKernels Avx2KQuantKernels(GgmlType t) {
  switch (t) {
    case GgmlType::Q2_K:
      return TypeKernels{nullptr, nullptr, &OneRow<LowBitDotRows<false, 1>>,
                         &RowsInGroups<LowBitDotRows<false, 2>, LowBitDotRows<false, 1>, 2>};
    case GgmlType::Q3_K:
      return TypeKernels{nullptr, nullptr, &OneRow<LowBitDotRows<true, 1>>,
                         &RowsInGroups<LowBitDotRows<true, 2>, LowBitDotRows<true, 1>, 2>};
    case GgmlType::Q4_K:
      return TypeKernels{nullptr, nullptr, &OneRow<K4DotRows<false, 1>>,
                         &RowsInGroups<K4DotRows<false, 2>, K4DotRows<false, 1>, 2>};
    case GgmlType::Q5_K:
      return TypeKernels{nullptr, nullptr, &OneRow<K4DotRows<true, 1>>,
                         &RowsInGroups<K4DotRows<true, 2>, K4DotRows<true, 1>, 2>};
    case GgmlType::Q6_K:
      return TypeKernels{nullptr, nullptr, &OneRow<Q6KDotRows<1>>,
                         &RowsInGroups<Q6KDotRows<2>, Q6KDotRows<1>, 2>};
    case GgmlType::Q8_K: return TypeKernels{nullptr, QuantizeQ8_K, nullptr, nullptr};
    default: return TypeKernels{};
  }
}

}  // namespace deepgate::quant
