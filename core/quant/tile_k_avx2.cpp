// AVX2 tile kernels for Q4_K and Q6_K weights x Q8_K activations, 2 x 2 per step: each weight
// super-block's quants and scales are unpacked once for both activation rows. Per (row,
// column) the integer lanes and the float steps are exactly those of the VecDotRows kernels in
// quant_k_avx2.cpp, so results are bit-identical to VecDot.
// Thread-safety: pure functions.
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {

namespace {

using avx2::HalfToFloat;
using avx2::HorizontalSum;

inline __m256i Load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline __m128i MinsTimesBlockSums(const uint32_t* mins, const int16_t* bsums) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
  const __m128i pair_sums = _mm_hadd_epi16(lo, hi);
  const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)));
  return _mm_madd_epi16(mins16, pair_sums);
}

template <int kRows, int kCols>
void Q4KTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  auto wblock = [&](int r, int64_t i) -> const BlockQ4_K& { return reinterpret_cast<const BlockQ4_K*>(w + r * ws)[i]; };
  auto xblock = [&](int c, int64_t i) -> const BlockQ8_K& { return reinterpret_cast<const BlockQ8_K*>(x + c * xs)[i]; };
  __m256 acc[kRows][kCols];
  __m128 acc_min[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm256_setzero_ps(), acc_min[r][c] = _mm_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint32_t scales_mins[kRows][4];
    __m256i sumi[kRows][kCols];
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const BlockQ4_K& b = wblock(r, i);
      UnpackScalesMinsK4(b.scales, scales_mins[r]);
      const float dmin = HalfToFloat(b.dmin);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        const BlockQ8_K& xb = xblock(c, i);
        const __m128i mins = MinsTimesBlockSums(&scales_mins[r][2], xb.bsums);
        acc_min[r][c] = _mm_fmadd_ps(_mm_set1_ps(xb.d * dmin), _mm_cvtepi32_ps(mins), acc_min[r][c]);
        sumi[r][c] = _mm256_setzero_si256();
      }
    }
    for (int chunk = 0; chunk < 4; ++chunk) {
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const __m256i packed = Load256(wblock(r, i).qs + 32 * chunk);
        const __m256i q_lo = _mm256_and_si256(packed, low4);
        const __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
        const auto* sc = reinterpret_cast<const uint8_t*>(scales_mins[r]);
        const __m256i s_lo = _mm256_set1_epi16(sc[2 * chunk]), s_hi = _mm256_set1_epi16(sc[2 * chunk + 1]);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
          const int8_t* xq = xblock(c, i).qs + 64 * chunk;
          const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(q_lo, Load256(xq)), s_lo);
          const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(q_hi, Load256(xq + 32)), s_hi);
          sumi[r][c] = _mm256_add_epi32(sumi[r][c], _mm256_add_epi32(p_lo, p_hi));
        }
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const float d = HalfToFloat(wblock(r, i).d);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(xblock(c, i).d * d), _mm256_cvtepi32_ps(sumi[r][c]), acc[r][c]);
      }
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = HorizontalSum(acc[r][c]) - HorizontalSum(acc_min[r][c]);
}

inline __m256i ScalePairMask(int k) {
  const char a = static_cast<char>(4 * k), b = static_cast<char>(4 * k + 1);
  const char c = static_cast<char>(4 * k + 2), e = static_cast<char>(4 * k + 3);
  return _mm256_setr_epi8(a, b, a, b, a, b, a, b, a, b, a, b, a, b, a, b,
                          c, e, c, e, c, e, c, e, c, e, c, e, c, e, c, e);
}

template <int kRows, int kCols>
void Q6KTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i bits01 = _mm256_set1_epi8(0x03), bits23 = _mm256_set1_epi8(0x0C);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  auto wblock = [&](int r, int64_t i) -> const BlockQ6_K& { return reinterpret_cast<const BlockQ6_K*>(w + r * ws)[i]; };
  auto xblock = [&](int c, int64_t i) -> const BlockQ8_K& { return reinterpret_cast<const BlockQ8_K*>(x + c * xs)[i]; };
  __m256 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    __m256i sumi[kRows][kCols];
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256i scales16 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wblock(r, i).scales)));
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        // Stored quants are q + 32: subtract 32 * sum_g scale[g] * bsums[g] up front.
        sumi[r][c] = _mm256_sub_epi32(_mm256_setzero_si256(),
                                      _mm256_slli_epi32(_mm256_madd_epi16(scales16, Load256(xblock(c, i).bsums)), 5));
      }
    }
    for (int half = 0; half < 2; ++half) {
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const BlockQ6_K& b = wblock(r, i);
        const __m256i ql0 = Load256(b.ql + 64 * half), ql1 = Load256(b.ql + 64 * half + 32);
        const __m256i qh = Load256(b.qh + 32 * half);
        const __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_slli_epi16(_mm256_and_si256(qh, bits01), 4));
        const __m256i q1 = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_slli_epi16(_mm256_and_si256(qh, bits23), 2));
        const __m256i q2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, bits45));
        const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
        const __m256i scales = _mm256_broadcastsi128_si256(
            _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 8 * half))));
        const __m256i s0 = _mm256_shuffle_epi8(scales, ScalePairMask(0));
        const __m256i s1 = _mm256_shuffle_epi8(scales, ScalePairMask(1));
        const __m256i s2 = _mm256_shuffle_epi8(scales, ScalePairMask(2));
        const __m256i s3 = _mm256_shuffle_epi8(scales, ScalePairMask(3));
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
          const int8_t* xq = xblock(c, i).qs + 128 * half;
          const __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(q0, Load256(xq)), s0);
          const __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(q1, Load256(xq + 32)), s1);
          const __m256i p2 = _mm256_madd_epi16(_mm256_maddubs_epi16(q2, Load256(xq + 64)), s2);
          const __m256i p3 = _mm256_madd_epi16(_mm256_maddubs_epi16(q3, Load256(xq + 96)), s3);
          sumi[r][c] = _mm256_add_epi32(sumi[r][c], _mm256_add_epi32(_mm256_add_epi32(p0, p1), _mm256_add_epi32(p2, p3)));
        }
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const float d = HalfToFloat(wblock(r, i).d);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(xblock(c, i).d * d), _mm256_cvtepi32_ps(sumi[r][c]), acc[r][c]);
      }
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = HorizontalSum(acc[r][c]);
}

}  // namespace

VecDotTileFn Avx2KQuantTileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_K: return &Tiled<Q4KTile<2, 2>, Q4KTile<2, 1>, Q4KTile<1, 2>, Q4KTile<1, 1>, 2, 2>;
    case GgmlType::Q6_K: return &Tiled<Q6KTile<2, 2>, Q6KTile<2, 1>, Q6KTile<1, 2>, Q6KTile<1, 1>, 2, 2>;
    default: return nullptr;
  }
}

}  // namespace deepgate::quant
