// The 256-bit PackedGemm for Q4_K / Q5_K / Q6_K, on the AVX-512 kernel's packed layout
// (packed_gemm_k_layout.h), for CPUs without AVX-512 (and the -k avx2 / avx2+avxvnni sets).
// Included by packed_gemm_avx2.cpp and packed_gemm_avxvnni.cpp; shares packed_gemm_ymm.h's
// helpers.
//
// A ymm takes half of each 64-byte packed vector (8 rows), so a group runs as two 8-row
// passes (the second finds the group in cache). Per 32-element sub-block (Q6_K: per
// 16-element scale group) and activation row:
//   AVX-VNNI: vpdpbusd of the unsigned quants with a broadcast 4-byte group of the activation;
//   AVX2: vpmaddubsw into int16 pairs summed over 8 (Q4_K), 4 (Q5_K) or 2 (Q6_K) vectors
//     (at most 30720, 31744, 32256 with an activation quant of -128: no saturation), then
//     vpmaddwd with ones;
// then isum += dot * scale (vpmulld), and per block the AVX-512 kernel's float steps (mins by
// vpmaddwd of the (m[2j], m[2j+1]) pairs with the activation's sums). The integer parts are
// exact, so both kernels give the same bits for any tile shape.
// Thread-safety: pure functions.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "core/quant/packed_gemm.h"
#include "core/quant/packed_gemm_common.h"
#include "core/quant/packed_gemm_k_layout.h"
#include "core/quant/packed_gemm_ymm.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

namespace pk = packed_k;

inline __m256i BcastK(const uint8_t* p) { return _mm256_set1_epi32(LoadI32(p)); }

// Unsigned quants of sub-block s, elements 4k..4k+3, of the half's 8 rows (lane r = row r).
template <GgmlType kT>
inline __m256i QuantsK(const uint8_t* wp, int half, int s, int k) {
  const int j = s >> 1, h = s & 1;
  const __m256i v = Load256(wp + pk::kQuants + 64 * (8 * j + k) + 32 * half);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256i q = h ? _mm256_and_si256(_mm256_srli_epi16(v, 4), low4) : _mm256_and_si256(v, low4);
  if constexpr (kT == GgmlType::Q5_K) {
    const __m256i hv = Load256(wp + pk::kHighBits + 64 * k + 32 * half);
    const int sh = 2 * j + h;  // bit sh of each byte to bit 4
    const __m256i b = sh <= 4 ? _mm256_slli_epi16(hv, 4 - sh) : _mm256_srli_epi16(hv, sh - 4);
    q = _mm256_or_si256(q, _mm256_and_si256(b, _mm256_set1_epi8(0x10)));
  } else if constexpr (kT == GgmlType::Q6_K) {
    const __m256i hv = Load256(wp + pk::kHighBits + 64 * (8 * (j >> 1) + k) + 32 * half);
    const int sh = 2 * (2 * (j & 1) + h);  // bits sh, sh + 1 to bits 4, 5
    const __m256i b = sh <= 4 ? _mm256_slli_epi16(hv, 4 - sh) : _mm256_srli_epi16(hv, sh - 4);
    q = _mm256_or_si256(q, _mm256_and_si256(b, _mm256_set1_epi8(0x30)));
  }
  return q;
}

// 8 rows (one half of a group) x kC activation rows over all nb blocks: out[c * os + r] for
// r < n_rows.
template <GgmlType kT, int kC, bool kPrefetch>
void MicroK(int64_t nb, const uint8_t* wp, int half, const uint8_t* x, size_t xs, float* out, size_t os, int n_rows) {
  constexpr size_t kBlock = PackedKBlockBytes(kT);
  constexpr int kGroupsPerSub = kT == GgmlType::Q6_K ? 2 : 1;  // scale groups per sub-block
  constexpr int kVecPerGroup = 8 / kGroupsPerSub;
#if !defined(__AVXVNNI__)
  const __m256i ones = _mm256_set1_epi16(1);
  constexpr int kPerSum = kT == GgmlType::Q4_K ? 8 : kT == GgmlType::Q5_K ? 4 : 2;
#endif
  __m256 acc[kC];
  _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) acc[c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i, wp += kBlock) {
    if constexpr (kPrefetch) {
      _Pragma("GCC unroll 64") for (size_t l = 0; l < kBlock; l += 64) _mm_prefetch(wp + kPrefetchAhead + l, _MM_HINT_T0);
    }
    const uint8_t* xb = x + static_cast<size_t>(i) * kPackedKActivationBlockBytes;
    __m256i isum[kC];
    _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) isum[c] = _mm256_setzero_si256();
    _Pragma("GCC unroll 8") for (int s = 0; s < 8; ++s) {
      _Pragma("GCC unroll 2") for (int gg = 0; gg < kGroupsPerSub; ++gg) {
        const int g = s * kGroupsPerSub + gg;
        __m256i sc;
        if constexpr (kT == GgmlType::Q6_K) {
          sc = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(wp + pk::kScales<kT> + 16 * g + 8 * half)));
        } else {
          sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(wp + pk::kScales<kT> + 16 * s + 8 * half)));
        }
        __m256i dot[kC];
        _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
          dot[c] = kT == GgmlType::Q6_K ? BcastK(xb + c * xs + pk::kXCorr16 + 4 * g) : _mm256_setzero_si256();
        }
#if defined(__AVXVNNI__)
        _Pragma("GCC unroll 8") for (int kk = 0; kk < kVecPerGroup; ++kk) {
          const int k = gg * kVecPerGroup + kk;
          const __m256i qk = QuantsK<kT>(wp, half, s, k);
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
            dot[c] = _mm256_dpbusd_avx_epi32(dot[c], qk, BcastK(xb + c * xs + 32 * s + 4 * k));
          }
        }
#else
        _Pragma("GCC unroll 4") for (int k0 = 0; k0 < kVecPerGroup; k0 += kPerSum) {
          __m256i sum16[kC];
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) sum16[c] = _mm256_setzero_si256();
          _Pragma("GCC unroll 8") for (int kk = k0; kk < k0 + kPerSum; ++kk) {
            const int k = gg * kVecPerGroup + kk;
            const __m256i qk = QuantsK<kT>(wp, half, s, k);
            _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
              sum16[c] = _mm256_add_epi16(sum16[c], _mm256_maddubs_epi16(qk, BcastK(xb + c * xs + 32 * s + 4 * k)));
            }
          }
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) dot[c] = _mm256_add_epi32(dot[c], _mm256_madd_epi16(sum16[c], ones));
        }
#endif
        _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(dot[c], sc));
      }
    }
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + pk::kD<kT> + 16 * half)));
    if constexpr (kT == GgmlType::Q6_K) {
      _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
        const __m256 dx = _mm256_set1_ps(LoadF32(xb + c * xs + pk::kXScale));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_mul_ps(d, dx), acc[c]);
      }
    } else {
      const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + pk::kDmin<kT> + 16 * half)));
      _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
        const uint8_t* xc = xb + c * xs;
        __m256i ms = _mm256_setzero_si256();
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; ++j) {
          const __m256i m = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wp + pk::kMins<kT> + 32 * j + 16 * half)));
          ms = _mm256_add_epi32(ms, _mm256_madd_epi16(m, BcastK(xc + pk::kXSums32 + 4 * j)));
        }
        const __m256 dx = _mm256_set1_ps(LoadF32(xc + pk::kXScale));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_mul_ps(d, dx), acc[c]);
        acc[c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_mul_ps(dmin, dx), acc[c]);
      }
    }
  }
  StoreHalfRows(acc, out, os, n_rows);
}

template <GgmlType kT>
void GemmK(int64_t n, const uint8_t* wp, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols, float* out,
           size_t os) {
  const int64_t nb = n / 256;
  const size_t group_bytes = PackedGroupBytes(kT, n);
  PackedTiles<2, 4, 2, 1>(n_rows, n_cols, [&]<int kC, bool kPrefetch>(int64_t g, int half, int64_t c, int rows) {
    MicroK<kT, kC, kPrefetch>(nb, wp + g * group_bytes, half, x + static_cast<size_t>(c) * xs, xs,
                              out + static_cast<size_t>(c) * os + g * kPackedGroupRows + half * kHalfRows, os, rows);
  });
}

inline PackedGemmFn PackedGemmKYmm(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_K: return &GemmK<GgmlType::Q4_K>;
    case GgmlType::Q5_K: return &GemmK<GgmlType::Q5_K>;
    case GgmlType::Q6_K: return &GemmK<GgmlType::Q6_K>;
    default: return nullptr;
  }
}

}  // namespace
}  // namespace deepgate::quant
