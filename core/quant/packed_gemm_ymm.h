// The 256-bit PackedGemm for Q4_0 / Q5_0 / Q8_0 weights, on the same packed layout as the
// AVX-512 kernel (packed_gemm.h): CPUs without AVX-512 (and the -k avx2 / avxvnni kernel sets)
// get the interleaved rows too, instead of a row kernel that unpacks nibbles and sums
// horizontally per (row, column). Included by packed_gemm_avx2.cpp (AVX2: the vpmaddubsw
// steps below) and packed_gemm_avxvnni.cpp (AVX-VNNI: one vpdpbusd per vector and column,
// the weights unsigned as the AVX-512 kernel reads them, Q8_0's offset 128 corrected).
//
// A 64-byte packed vector holds 16 rows; a ymm takes half of it (8 rows, lane r = 4 bytes of
// row r), so each group runs as two 8-row passes (the second reads the group from L2), except
// in decode, where one pass takes both halves (the group streams through L1 once). Per
// block and activation row, without VNNI:
//   Q4_0 / Q5_0: the stored unsigned quants times a broadcast 4-byte group of the activation,
//     vpmaddubsw into int16 pairs, summed over the block in int16 (at most 8 x 2 x 15 x 127 =
//     30480 for nibbles; Q5_0's 5-bit values in two halves of 4 vectors each), one vpmaddwd
//     with ones into the 8 rows' int32 dots, plus the activation's correction (-off * sum x);
//   Q8_0: the stored q + 128 flipped back to signed q, and |q| x sign(x, q) (the sign trick:
//     no int16 pair can saturate), one vpmaddwd per vector.
// The integer dots are exact, and acc += float(dot) * (dw * dx) per block is the AVX-512
// kernel's float step: both give the same bits, for any tile shape.
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/quant/blocks.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/packed_gemm_common.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

using avx2::BlockKind;

constexpr int kHalfRows = 8;     // rows per ymm: half a packed group

inline __m256i Load256(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// acc[c] (lane r = row r of a half) to out[c * os + r] for r < n_rows.
template <int kC>
inline void StoreHalfRows(const __m256 (&acc)[kC], float* out, size_t os, int n_rows) {
  if (n_rows == kHalfRows) {
    _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  } else {
    const __m256i mask = avx2::FirstLanes(n_rows);
    _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) _mm256_maskstore_ps(out + c * os, mask, acc[c]);
  }
}

// Q5_0's fifth bits of quant vector k as 0x10 per byte: bit k of each byte of the reordered
// qh (packed_gemm.h) moved to bit 4 (16-bit shifts: bits crossing into a neighbour byte land
// outside the mask).
inline __m256i FifthBits(__m256i qh, int k) {
  const __m256i b = k <= 4 ? _mm256_slli_epi16(qh, 4 - k) : _mm256_srli_epi16(qh, k - 4);
  return _mm256_and_si256(b, _mm256_set1_epi8(0x10));
}

// Quant vector k (elements 4k..4k+3 of the block for each of the half's 8 rows): unsigned for
// Q4_0/Q5_0, signed q for Q8_0. p: the block's packed quants, offset to this half.
template <BlockKind kKind>
inline __m256i QuantVector(const uint8_t* p, int k) {
  if constexpr (kKind == BlockKind::kQ8_0) {
#if defined(__AVXVNNI__)
    return Load256(p + 64 * k);  // q + 128: vpdpbusd's unsigned operand
#else
    return _mm256_xor_si256(Load256(p + 64 * k), _mm256_set1_epi8(static_cast<char>(0x80)));
#endif
  } else {
    const __m256i v = Load256(p + 64 * (k & 3));
    const __m256i q = k < 4 ? _mm256_and_si256(v, _mm256_set1_epi8(0x0F))
                            : _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0F));
    if constexpr (kKind == BlockKind::kQ5_0) return _mm256_or_si256(q, FifthBits(Load256(p + 256), k));
    return q;
  }
}

// kHalves x 8 rows (one half of a group from `half`, or both) x kC activation rows over all nb
// blocks: out[c * os + h * 8 + r] for h * 8 + r < n_rows. Decode takes both halves in one pass,
// so the group streams through L1 once and each activation group is broadcast once for both.
template <BlockKind kKind, int kC, bool kPrefetch, int kHalves = 1>
void Micro(int64_t nb, const uint8_t* wp, int half, const uint8_t* x, size_t xs, float* out, size_t os, int n_rows) {
  constexpr size_t kQuants = PackedGroupQuantBytes(kType<kKind>);
  const uint8_t* scales = wp + static_cast<size_t>(nb) * kQuants + 16 * half;
  const uint8_t* q = wp + 32 * half;
#if !defined(__AVXVNNI__)
  const __m256i ones = _mm256_set1_epi16(1);
#endif
  __m256 acc[kHalves][kC];
  _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
    _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) acc[h][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i, q += kQuants) {
    if constexpr (kPrefetch) {
      _Pragma("GCC unroll 8") for (size_t l = 0; l < kQuants; l += 64) _mm_prefetch(q + kPrefetchAhead + l, _MM_HINT_T0);
      PrefetchScales<kType<kKind>>(scales, i, nb);
    }
    const uint8_t* xb = x + static_cast<size_t>(i) * kPackedActivationBlockBytes;
    __m256i dot[kHalves][kC];
#if defined(__AVXVNNI__)
    _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
      _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) dot[h][c] = _mm256_set1_epi32(LoadI32(xb + c * xs + kCorrOffset<kKind>));
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
      _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
        const __m256i xk = _mm256_set1_epi32(LoadI32(xb + c * xs + 4 * k));
        _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h) {
          dot[h][c] = _mm256_dpbusd_avx_epi32(dot[h][c], QuantVector<kKind>(q + 32 * h, k), xk);
        }
      }
    }
#else
    if constexpr (kKind == BlockKind::kQ8_0) {
      _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
        _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) dot[h][c] = _mm256_setzero_si256();
      _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
        _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h) {
          const __m256i qk = QuantVector<kKind>(q + 32 * h, k), mag = _mm256_abs_epi8(qk);
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
            const __m256i xk = _mm256_sign_epi8(_mm256_set1_epi32(LoadI32(xb + c * xs + 4 * k)), qk);
            dot[h][c] = _mm256_add_epi32(dot[h][c], _mm256_madd_epi16(_mm256_maddubs_epi16(mag, xk), ones));
          }
        }
      }
    } else {
      // Nibbles: one int16 sum over all 8 vectors; 5-bit values: two of 4 (no int16 overflow).
      constexpr int kPerSum = kKind == BlockKind::kQ4_0 ? 8 : 4;
      _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
        _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) dot[h][c] = _mm256_set1_epi32(LoadI32(xb + c * xs + kCorrOffset<kKind>));
      _Pragma("GCC unroll 2") for (int k0 = 0; k0 < 8; k0 += kPerSum) {
        __m256i sum16[kHalves][kC];
        _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) sum16[h][c] = _mm256_setzero_si256();
        _Pragma("GCC unroll 8") for (int k = k0; k < k0 + kPerSum; ++k) {
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
            const __m256i xk = _mm256_set1_epi32(LoadI32(xb + c * xs + 4 * k));
            _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h) {
              sum16[h][c] = _mm256_add_epi16(sum16[h][c], _mm256_maddubs_epi16(QuantVector<kKind>(q + 32 * h, k), xk));
            }
          }
        }
        _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h)
          _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) dot[h][c] = _mm256_add_epi32(dot[h][c], _mm256_madd_epi16(sum16[h][c], ones));
      }
    }
#endif
    _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h) {
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales + 32 * i + 16 * h)));
      _Pragma("GCC unroll 8") for (int c = 0; c < kC; ++c) {
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(LoadF32(xb + c * xs + kXScale)));
        acc[h][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[h][c]), scale, acc[h][c]);
      }
    }
  }
  _Pragma("GCC unroll 2") for (int h = 0; h < kHalves; ++h) {
    const int rows = std::clamp(n_rows - h * kHalfRows, 0, kHalfRows);
    if (rows > 0) StoreHalfRows(acc[h], out + h * kHalfRows, os, rows);
  }
}

template <BlockKind kKind>
void Gemm(int64_t n, const uint8_t* wp, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols, float* out,
          size_t os) {
  const int64_t nb = n / kQK;
  const size_t group_bytes = PackedGroupBytes(kType<kKind>, n);
  if (n_cols == 1) {  // decode: whole groups, one pass each (1 thread: Q8_0 40-46 -> 55 t/s, Q4_0 63 -> 89)
    PackedTiles<1, 1>(n_rows, n_cols, [&]<int kC, bool kPrefetch>(int64_t g, int, int64_t, int rows) {
      Micro<kKind, kC, kPrefetch, 2>(nb, wp + g * group_bytes, 0, x, xs, out + g * kPackedGroupRows, os, rows);
    });
    return;
  }
  PackedTiles<2, 4, 2, 1>(n_rows, n_cols, [&]<int kC, bool kPrefetch>(int64_t g, int half, int64_t c, int rows) {
    Micro<kKind, kC, kPrefetch>(nb, wp + g * group_bytes, half, x + static_cast<size_t>(c) * xs, xs,
                                out + static_cast<size_t>(c) * os + g * kPackedGroupRows + half * kHalfRows, os, rows);
  });
}

inline PackedGemmFn PackedGemmYmm(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return &Gemm<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return &Gemm<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return &Gemm<BlockKind::kQ8_0>;
    default: return nullptr;
  }
}

}  // namespace
}  // namespace deepgate::quant
