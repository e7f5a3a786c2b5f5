// AVX-512 VNNI PackedGemm for Q4_K / Q5_K / Q6_K weights (layout in packed_gemm_k_layout.h).
//
// Micro-kernel, 16 rows x kC activation rows, per 256-element block and per 32-element
// sub-block s: the 8 quant vectors of the 16 rows are unpacked once (nibble, plus the fifth
// or fifth and sixth bits) into unsigned bytes, then per column
//   dot = sum_k dpbusd(vector k, broadcast 4 bytes k of x(c))    (Q6_K: two 16-element dots,
//         each started at its group's -32 x sum correction)
//   isum(c) += dot * scale(s)                                      (16 exact int32 lanes)
// and per block acc(c) += float(isum) * (d * dx), minus float(mins . sums) * (dmin * dx) for
// Q4_K / Q5_K, where the mins dot is 4 vpdpwssd of (m[2j], m[2j+1]) with the activation's
// (sum[2j], sum[2j+1]). The integer parts equal VecDot's; each output is one float chain over
// the blocks in order, whatever kC and the row range: decode, small batches and prefill give
// the same bits.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; called only after
// CpuHasAvx512Vnni().
// Thread-safety: pure functions.
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "core/quant/packed_gemm.h"
#include "core/quant/packed_gemm_common.h"
#include "core/quant/packed_gemm_k_layout.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

namespace pk = packed_k;

constexpr int kGroupRows = kPackedGroupRows;  // one zmm lane per row
constexpr int kCols = 8;                      // activation rows per micro-kernel step

// Unsigned quants of sub-block s, elements 4k..4k+3 of each row (lane r = row r).
template <GgmlType kT>
inline __m512i Quants(const uint8_t* wp, int s, int k) {
  const int j = s >> 1, h = s & 1;
  const __m512i v = _mm512_load_si512(wp + pk::kQuants + 64 * (8 * j + k));
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  __m512i q = h ? _mm512_and_si512(_mm512_srli_epi16(v, 4), low4) : _mm512_and_si512(v, low4);
  if constexpr (kT == GgmlType::Q5_K) {
    // Bit 2j + h of each byte to bit 4 (16-bit shifts: bits crossing bytes are masked off).
    const __m512i hv = _mm512_load_si512(wp + pk::kHighBits + 64 * k);
    const int sh = 2 * j + h;
    const __m512i b = sh <= 4 ? _mm512_slli_epi16(hv, 4 - sh) : _mm512_srli_epi16(hv, sh - 4);
    q = _mm512_or_si512(q, _mm512_and_si512(b, _mm512_set1_epi8(0x10)));
  } else if constexpr (kT == GgmlType::Q6_K) {
    // Bits sh, sh + 1 of each byte of part j / 2 to bits 4, 5.
    const __m512i hv = _mm512_load_si512(wp + pk::kHighBits + 64 * (8 * (j >> 1) + k));
    const int sh = 2 * (2 * (j & 1) + h);
    const __m512i b = sh <= 4 ? _mm512_slli_epi16(hv, 4 - sh) : _mm512_srli_epi16(hv, sh - 4);
    q = _mm512_or_si512(q, _mm512_and_si512(b, _mm512_set1_epi8(0x30)));
  }
  return q;
}

inline __m512i Bcast(const uint8_t* p) { return _mm512_set1_epi32(LoadI32(p)); }

// 16 packed rows x kC activation rows over all nb blocks; out[c * os + r] for r in mask.
template <GgmlType kT, int kC, bool kPrefetch>
void Micro(int64_t nb, const uint8_t* wp, const uint8_t* x, size_t xs, float* out, size_t os, __mmask16 mask) {
  constexpr size_t kBlock = PackedKBlockBytes(kT);
  __m512 acc[kC];
  _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i, wp += kBlock) {
    if constexpr (kPrefetch) {
      _Pragma("GCC unroll 64") for (size_t l = 0; l < kBlock; l += 64) _mm_prefetch(wp + kPrefetchAhead + l, _MM_HINT_T0);
    }
    const uint8_t* xb = x + static_cast<size_t>(i) * kPackedKActivationBlockBytes;
    __m512i isum[kC];
    _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) isum[c] = _mm512_setzero_si512();
    _Pragma("GCC unroll 8") for (int s = 0; s < 8; ++s) {
      __m512i q[8];
      _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) q[k] = Quants<kT>(wp, s, k);
      if constexpr (kT == GgmlType::Q6_K) {
        const auto* sc = reinterpret_cast<const __m128i*>(wp + pk::kScales<kT> + 16 * 2 * s);
        const __m512i sc0 = _mm512_cvtepi8_epi32(_mm_load_si128(sc));
        const __m512i sc1 = _mm512_cvtepi8_epi32(_mm_load_si128(sc + 1));
        _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
          const uint8_t* xc = xb + c * xs;
          __m512i d0 = Bcast(xc + pk::kXCorr16 + 4 * (2 * s));
          __m512i d1 = Bcast(xc + pk::kXCorr16 + 4 * (2 * s + 1));
          _Pragma("GCC unroll 4") for (int k = 0; k < 4; ++k) {
            d0 = _mm512_dpbusd_epi32(d0, q[k], Bcast(xc + 32 * s + 4 * k));
            d1 = _mm512_dpbusd_epi32(d1, q[k + 4], Bcast(xc + 32 * s + 16 + 4 * k));
          }
          isum[c] = _mm512_add_epi32(isum[c], _mm512_add_epi32(_mm512_mullo_epi32(d0, sc0), _mm512_mullo_epi32(d1, sc1)));
        }
      } else {
        const __m512i sc = _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(wp + pk::kScales<kT> + 16 * s)));
        _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
          const uint8_t* xc = xb + c * xs;
          __m512i dot = _mm512_setzero_si512();
          _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) dot = _mm512_dpbusd_epi32(dot, q[k], Bcast(xc + 32 * s + 4 * k));
          isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(dot, sc));
        }
      }
    }
    const __m512 d = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(wp + pk::kD<kT>)));
    if constexpr (kT == GgmlType::Q6_K) {
      _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
        const __m512 dx = _mm512_set1_ps(LoadF32(xb + c * xs + pk::kXScale));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[c]), _mm512_mul_ps(d, dx), acc[c]);
      }
    } else {
      const __m512 dmin = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(wp + pk::kDmin<kT>)));
      __m512i m[4];
      _Pragma("GCC unroll 4") for (int j = 0; j < 4; ++j) {
        m[j] = _mm512_cvtepu8_epi16(_mm256_load_si256(reinterpret_cast<const __m256i*>(wp + pk::kMins<kT> + 32 * j)));
      }
      _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
        const uint8_t* xc = xb + c * xs;
        __m512i ms = _mm512_setzero_si512();
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; ++j) ms = _mm512_dpwssd_epi32(ms, m[j], Bcast(xc + pk::kXSums32 + 4 * j));
        const __m512 dx = _mm512_set1_ps(LoadF32(xc + pk::kXScale));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum[c]), _mm512_mul_ps(d, dx), acc[c]);
        acc[c] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(ms), _mm512_mul_ps(dmin, dx), acc[c]);
      }
    }
  }
  _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) _mm512_mask_storeu_ps(out + c * os, mask, acc[c]);
}

template <GgmlType kT>
void Gemm(int64_t n, const uint8_t* wp, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols, float* out,
          size_t os) {
  const int64_t nb = n / 256;
  const size_t group_bytes = PackedGroupBytes(kT, n);
  PackedTiles<1, kCols, 4, 2, 1>(n_rows, n_cols, [&]<int kC, bool kPrefetch>(int64_t g, int, int64_t c, int rows) {
    Micro<kT, kC, kPrefetch>(nb, wp + g * group_bytes, x + static_cast<size_t>(c) * xs, xs,
                             out + static_cast<size_t>(c) * os + g * kGroupRows, os,
                             static_cast<__mmask16>((1u << rows) - 1));
  });
}

}  // namespace

PackedGemmFn Avx512KPackedGemm(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_K: return &Gemm<GgmlType::Q4_K>;
    case GgmlType::Q5_K: return &Gemm<GgmlType::Q5_K>;
    case GgmlType::Q6_K: return &Gemm<GgmlType::Q6_K>;
    default: return nullptr;
  }
}

}  // namespace deepgate::quant
