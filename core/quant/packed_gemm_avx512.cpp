// AVX-512 VNNI PackedGemm for Q4_0 / Q5_0 / Q8_0 weights (layout in packed_gemm.h).
//
// Micro-kernel, 16 rows x kC activation rows, per block: the quants of the 16 rows are
// unpacked once into 8 zmm of unsigned bytes (vector k, lane r = elements 4k..4k+3 of row r),
// then per column
//   dot = corr(c) + sum_k dpbusd(vector k, broadcast 4 bytes k of x(c))   (16 exact int32 dots)
//   acc(c) += float(dot) * (scales * dx(c))
// so a block costs 8 vpdpbusd + 4 other instructions per 16 x 32 multiply-adds (the row-pair
// tile kernel in legacy_block_avx512.cpp spends 4 per 2 x 32). Each output is one float chain
// over the blocks in order, whatever kC and the tile shape: decode, small batches and prefill
// give the same bits.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; called only after
// CpuHasAvx512Vnni().
// Thread-safety: pure functions.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/packed_gemm_common.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

using avx2::BlockKind;
using avx2::BlockOf;

constexpr int kGroupRows = kPackedGroupRows;  // one zmm lane per row
constexpr int kCols = 8;                      // activation rows per micro-kernel step

// Q5_0's fifth bits of quant vector k as 0x10 per byte: bit k of each byte of the reordered
// qh (packed_gemm.h) moved to bit 4 (16-bit shifts: bits crossing into a neighbour byte land
// outside the mask).
inline __m512i FifthBits(__m512i qh, int k) {
  const __m512i b = k <= 4 ? _mm512_slli_epi16(qh, 4 - k) : _mm512_srli_epi16(qh, k - 4);
  return _mm512_and_si512(b, _mm512_set1_epi8(0x10));
}

// The 8 unsigned quant vectors of one packed group block (see packed_gemm.h for the layout).
template <BlockKind kKind>
inline void Unpack(const uint8_t* p, __m512i (&q)[8]) {
  if constexpr (kKind == BlockKind::kQ8_0) {
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) q[k] = _mm512_load_si512(p + 64 * k);
  } else {
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    _Pragma("GCC unroll 4") for (int k = 0; k < 4; ++k) {
      const __m512i v = _mm512_load_si512(p + 64 * k);
      q[k] = _mm512_and_si512(v, low4);
      q[k + 4] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
    }
    if constexpr (kKind == BlockKind::kQ5_0) {
      const __m512i qh = _mm512_load_si512(p + 256);
      _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) q[k] = _mm512_or_si512(q[k], FifthBits(qh, k));
    }
  }
}

// 16 packed rows x kC activation rows over all nb blocks; out[c * os + r] for r in mask.
template <BlockKind kKind, int kC, bool kPrefetch>
void Micro(int64_t nb, const uint8_t* wp, const uint8_t* x, size_t xs, float* out, size_t os, __mmask16 mask) {
  constexpr size_t kQuants = PackedGroupQuantBytes(kType<kKind>);
  const uint8_t* scales = wp + static_cast<size_t>(nb) * kQuants;
  __m512 acc[kC];
  _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i, wp += kQuants) {
    if constexpr (kPrefetch) {
      _Pragma("GCC unroll 8") for (size_t l = 0; l < kQuants; l += 64) _mm_prefetch(wp + kPrefetchAhead + l, _MM_HINT_T0);
      PrefetchScales<kType<kKind>>(scales, i, nb);
    }
    __m512i q[8];
    Unpack<kKind>(wp, q);
    const __m512 dw = _mm512_cvtph_ps(_mm256_load_si256(reinterpret_cast<const __m256i*>(scales + 32 * i)));
    const uint8_t* xb = x + static_cast<size_t>(i) * kPackedActivationBlockBytes;
    _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
      const uint8_t* xc = xb + c * xs;
      __m512i dot = _mm512_set1_epi32(LoadI32(xc + kCorrOffset<kKind>));
      if constexpr (kC == 1) {
        // Decode: the block's only chain, run as two of 4 (int32 sums: the same bits in any
        // order). 1-thread Q4_0 decode 93.6-97.0 -> 97.1-107.2 t/s, interleaved.
        __m512i odd = _mm512_setzero_si512();
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k += 2) {
          dot = _mm512_dpbusd_epi32(dot, q[k], _mm512_set1_epi32(LoadI32(xc + 4 * k)));
          odd = _mm512_dpbusd_epi32(odd, q[k + 1], _mm512_set1_epi32(LoadI32(xc + 4 * k + 4)));
        }
        dot = _mm512_add_epi32(dot, odd);
      } else {
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
          dot = _mm512_dpbusd_epi32(dot, q[k], _mm512_set1_epi32(LoadI32(xc + 4 * k)));
        }
      }
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(LoadF32(xc + kXScale)));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[c]);
    }
  }
  _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) _mm512_mask_storeu_ps(out + c * os, mask, acc[c]);
}

template <BlockKind kKind>
void Gemm(int64_t n, const uint8_t* wp, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols, float* out,
          size_t os) {
  const int64_t nb = n / kQK;
  const size_t group_bytes = PackedGroupBytes(kType<kKind>, n);
  PackedTiles<1, kCols, 4, 2, 1>(n_rows, n_cols, [&]<int kC, bool kPrefetch>(int64_t g, int, int64_t c, int rows) {
    Micro<kKind, kC, kPrefetch>(nb, wp + g * group_bytes, x + static_cast<size_t>(c) * xs, xs,
                                out + static_cast<size_t>(c) * os + g * kGroupRows, os,
                                static_cast<__mmask16>((1u << rows) - 1));
  });
}

}  // namespace

PackedGemmFn Avx512PackedGemm(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return &Gemm<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return &Gemm<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return &Gemm<BlockKind::kQ8_0>;
    default: return Avx512KPackedGemm(t);
  }
}

}  // namespace deepgate::quant
