// Small AVX2 building blocks shared by the *_avx2.cpp kernels. Include only from files
// compiled with -mavx2 -mfma -mf16c.
// Thread-safety: pure inline functions.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

// Files compiled with AVX-VNNI or AVX-512 include this too. The inline namespace gives each instruction-set
// build its own symbols, so the linker can never hand an AVX2-only caller an out-of-line copy
// that was compiled with VNNI enabled.
#if defined(__AVX512F__)
#define DEEPGATE_SIMD_BUILD build_avx512
#elif defined(__AVXVNNI__)
#define DEEPGATE_SIMD_BUILD build_avxvnni
#else
#define DEEPGATE_SIMD_BUILD build_avx2
#endif

namespace deepgate::quant::avx2 {
inline namespace DEEPGATE_SIMD_BUILD {

// K-quants: sum over sub-blocks s of mins[s] * (bsums[2s] + bsums[2s + 1]) (8 six-bit mins
// as bytes, Q8_K's 16 block sums), as 4 int32 lanes.
inline __m128i MinsTimesBlockSums(const uint32_t* mins, const int16_t* bsums) {
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bsums + 8));
  const __m128i pair_sums = _mm_hadd_epi16(lo, hi);  // 8 x (bsums[2s] + bsums[2s+1])
  const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)));
  return _mm_madd_epi16(mins16, pair_sums);
}

inline float HorizontalSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// HorizontalSum of eight vectors at once, lane k = HorizontalSum(v[k]) bit for bit (the same
// pairings: halves, then quarters, then the last two), for writing eight results in one store.
inline __m256 HorizontalSums8(const __m256 (&v)[8]) {
  auto halves = [](__m256 a, __m256 b) {  // [a_j + a_j+4 | b_j + b_j+4]
    return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
  };
  auto quarters = [](__m256 x, __m256 y) {  // [x0 + x2, x1 + x3, y0 + y2, y1 + y3] per 128-bit lane
    return _mm256_add_ps(_mm256_shuffle_ps(x, y, 0x44), _mm256_shuffle_ps(x, y, 0xEE));
  };
  const __m256 z0 = quarters(halves(v[0], v[1]), halves(v[2], v[3]));
  const __m256 z1 = quarters(halves(v[4], v[5]), halves(v[6], v[7]));
  const __m256 s = _mm256_add_ps(_mm256_shuffle_ps(z0, z1, 0x88), _mm256_shuffle_ps(z0, z1, 0xDD));  // 0 2 4 6 1 3 5 7
  return _mm256_permutevar8x32_ps(s, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline float HorizontalSum(__m128 s) {
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float HorizontalMax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

inline float HalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

// All-ones in 32-bit lanes [0, m), zero above (m in 0..8): the mask of a partial 8-lane
// load or store.
inline __m256i FirstLanes(int64_t m) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(m)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// One half of 16 bf16 values as f32, one unpack per 8: kHigh false gives elements 0-3 and
// 8-11, true 4-7 and 12-15. A dot product of two bf16 rows split alike pairs the same
// elements (in lanes of their own order) for half the shuffles of widening each half in order.
template <bool kHigh>
inline __m256 Bf16HalfOf16(const uint16_t* p) {
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return _mm256_castsi256_ps(kHigh ? _mm256_unpackhi_epi16(_mm256_setzero_si256(), v)
                                   : _mm256_unpacklo_epi16(_mm256_setzero_si256(), v));
}

// ---- float weights: F32, F16, BF16 ----

// The element type of a float row. BF16 weights take bf16 activations (VecDotType), the
// others f32.
enum class FloatKind { kF32, kF16, kBF16 };
template <FloatKind kKind>
inline constexpr FloatKind kActivationKind = kKind == FloatKind::kBF16 ? FloatKind::kBF16 : FloatKind::kF32;

// Eight elements from element i of a kKind row, in order, as f32 (each conversion is exact).
template <FloatKind kKind>
inline __m256 LoadFloat8(const void* row, int64_t i) {
  if constexpr (kKind == FloatKind::kF32) {
    return _mm256_loadu_ps(static_cast<const float*>(row) + i);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(row) + i));
    if constexpr (kKind == FloatKind::kF16) {
      return _mm256_cvtph_ps(h);
    } else {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
}

// Element i of a kKind row as f32 (for the scalar tails).
template <FloatKind kKind>
inline float FloatAt(const void* row, int64_t i) {
  if constexpr (kKind == FloatKind::kF32) {
    return static_cast<const float*>(row)[i];
  } else if constexpr (kKind == FloatKind::kF16) {
    return HalfToFloat(static_cast<const uint16_t*>(row)[i]);
  } else {
    const uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(row)[i]) << 16;
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
}

// 32 unsigned nibbles of a 16-byte block: low nibbles are bytes 0..15, high nibbles 16..31.
// One broadcast load (no lane insert); the upper 128-bit lane is shifted right by 4.
inline __m256i NibblesOf16BytesBroadcast(const uint8_t* qs) {
  const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
  return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)), _mm256_set1_epi8(0x0F));
}

// Byte j is 0xFF when bit j of the 32-bit little-endian word at bits is set, else 0.
inline __m256i BytesFromBits32(const uint8_t* bits) {
  uint32_t word;
  std::memcpy(&word, bits, sizeof(word));
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(word)),
      _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3,
                       3, 3, 3, 3, 3, 3, 3));
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

// Eight int32 sums of a[k] * b[k] over 32 signed bytes (|a|, |b| <= 127, or a in -128..127
// with b's sign applied; maddubs cannot saturate for these ranges).
inline __m256i DotInt8(__m256i a, __m256i b) {
  const __m256i abs_a = _mm256_sign_epi8(a, a);
  const __m256i b_signed = _mm256_sign_epi8(b, a);
  return _mm256_madd_epi16(_mm256_maddubs_epi16(abs_a, b_signed), _mm256_set1_epi16(1));
}

// Sixteen int16 sums of pairs u[k] * s[k], u unsigned bytes (<= 63), s signed bytes.
inline __m256i DotUint8Int8Pairs(__m256i u, __m256i s) { return _mm256_maddubs_epi16(u, s); }

}  // namespace DEEPGATE_SIMD_BUILD
}  // namespace deepgate::quant::avx2
