// AVX-512 (F, BW, VL, VNNI) kernels for Q4_0 / Q5_0 / Q8_0 weights against Q8_0 activations:
// VecDotRows and VecDotTile. Each 512-bit step covers two 32-element blocks, so one vpdpbusd,
// one convert, one multiply and one FMA do the work of two blocks (the AVX2 and AVX-VNNI
// kernels spend that on one). On CPUs whose two vCPUs share one core's ports, prefill is
// limited by instructions per multiply-accumulate, which this halves.
//
// Integer lanes as in legacy_block_avxvnni.cpp: dpbusd starts from the block's correction,
//   Q4_0/Q5_0: dpbusd(-kOffset * sum4(x), stored nibbles, x);  Q8_0: dpbusd(-128 * sum4(q), x + 128, q).
// Float steps per (row, column): acc(16 lanes) += (wd * xd) * float(lanes), block 2k in lanes
// 0..7 and block 2k+1 in lanes 8..15 (an odd last block in lanes 0..7, the rest adding zero),
// then one reduction. The order differs from the AVX2 kernels' (results agree within float
// rounding, tests/unit/quant_avx2_test.cpp), but it does not depend on the tile shape, and rows
// are the tile kernel with one column: VecDotRows, VecDot and VecDotTile agree bit for bit.
// Tiles convert the block scales once per call into a per-thread scratch array; rows (decode)
// read them inline.
// Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni (and AVX2/FMA/F16C); called only
// after CpuHasAvx512Vnni().
// Thread-safety: pure functions (the scratch is thread_local).
#include <cstring>
#include <vector>

#include "core/quant/blocks.h"
#include "core/quant/kernels.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

using avx2::BlockKind;
using avx2::BlockOf;

// [p[0] x 8, p[1] x 8]: the scales of two consecutive blocks, one per 256-bit half.
inline __m512 ExpandPair(const float* p) {
  // movq through _mm_loadl_epi64 (an unaligned type): p is only 4-byte aligned, so
  // _mm_load_sd's double* was a misaligned access (UBSan).
  const __m128 two = _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1),
                               _mm512_castps128_ps512(two));
}
// [p[0] x 8, 0 x 8]: an odd last block.
inline __m512 ExpandOne(const float* p) {
  return _mm512_zextps256_ps512(_mm256_broadcast_ss(p));
}

inline __m512i Join(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }

// The same vectors straight from the blocks' fp16 scales (no scratch array): decode reads each
// weight once, and a separate pass over the scales would fetch every line before the compute.
template <typename Block, bool kTwo>
inline __m512 ScalesFromBlocks(const uint8_t* row, int64_t i) {
  const Block* b = reinterpret_cast<const Block*>(row) + i;
  const __m128i lo = _mm_set1_epi16(static_cast<short>(b[0].d));
  const __m128i hi = kTwo ? _mm_set1_epi16(static_cast<short>(b[1].d)) : _mm_setzero_si128();
  return _mm512_cvtph_ps(_mm256_set_m128i(hi, lo));
}

// Quants of blocks i and i+1 (i+1 only when two) as 64 bytes: Q8_0 signed, Q4_0/Q5_0 unsigned.
template <BlockKind kKind, bool kTwo>
inline __m512i WeightQuants(const uint8_t* row, int64_t i) {
  using Block = typename BlockOf<kKind>::type;
  const Block* b = reinterpret_cast<const Block*>(row) + i;
  auto one = [](const Block& blk) {
    if constexpr (kKind == BlockKind::kQ8_0) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
    } else {
      return avx2::UnsignedQuants<kKind>(blk);
    }
  };
  if constexpr (kKind == BlockKind::kQ5_0) {
    // Nibbles as Q4_0, then the fifth bits of both blocks as one 64-bit mask selecting 0x10.
    uint32_t lo = 0, hi = 0;
    std::memcpy(&lo, b[0].qh, sizeof(lo));
    if constexpr (kTwo) std::memcpy(&hi, b[1].qh, sizeof(hi));
    const __m256i n0 = avx2::NibblesOf16BytesBroadcast(b[0].qs);
    const __m512i nibbles = kTwo ? Join(n0, avx2::NibblesOf16BytesBroadcast(b[1].qs)) : _mm512_zextsi256_si512(n0);
    const __mmask64 fifth = static_cast<__mmask64>(lo) | (static_cast<__mmask64>(hi) << 32);
    return _mm512_or_si512(nibbles, _mm512_maskz_mov_epi8(fifth, _mm512_set1_epi8(0x10)));
  } else if constexpr (kTwo) {
    return Join(one(b[0]), one(b[1]));
  } else {
    return _mm512_zextsi256_si512(one(b[0]));
  }
}

template <bool kTwo>
inline __m512i ActivationQuants(const uint8_t* row, int64_t i) {
  const BlockQ8_0* b = reinterpret_cast<const BlockQ8_0*>(row) + i;
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[0].qs));
  if constexpr (kTwo) {
    return Join(lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[1].qs)));
  } else {
    return _mm512_zextsi256_si512(lo);
  }
}

// One or two blocks (from block i) of a kRows x kCols step into acc. Scales come from the
// wd / xd arrays, or (kInlineW / kInlineX) from the blocks themselves: the same floats either way.
template <BlockKind kKind, int kRows, int kCols, bool kInlineW, bool kInlineX, bool kTwo>
inline void StepBlocks(int64_t i, int64_t nb, const uint8_t* w, size_t ws, const float* wd, const uint8_t* x,
                       size_t xs, const float* xd, __m512 (&acc)[kRows][kCols]) {
  const __m512i zero = _mm512_setzero_si512();
  __m512i xv[kCols], x_start[kCols];
  __m512 xs_v[kCols];
  _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
    const __m512i xq = ActivationQuants<kTwo>(x + c * xs, i);
    if constexpr (kKind == BlockKind::kQ8_0) {
      xv[c] = _mm512_xor_si512(xq, _mm512_set1_epi8(static_cast<char>(0x80)));
    } else {
      xv[c] = xq;
      x_start[c] = _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(avx2::kOffset<kKind>), xq));
    }
    if constexpr (kInlineX) {
      xs_v[c] = ScalesFromBlocks<BlockQ8_0, kTwo>(x + c * xs, i);
    } else {
      xs_v[c] = kTwo ? ExpandPair(xd + c * nb + i) : ExpandOne(xd + c * nb + i);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
    const __m512i q = WeightQuants<kKind, kTwo>(w + r * ws, i);
    __m512 wv;
    if constexpr (kInlineW) {
      wv = ScalesFromBlocks<typename BlockOf<kKind>::type, kTwo>(w + r * ws, i);
    } else {
      wv = kTwo ? ExpandPair(wd + r * nb + i) : ExpandOne(wd + r * nb + i);
    }
    __m512i dot[kCols];
    if constexpr (kKind == BlockKind::kQ8_0) {
      const __m512i start =
          _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(static_cast<char>(0x80)), q));
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) dot[c] = _mm512_dpbusd_epi32(start, xv[c], q);
    } else {
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) dot[c] = _mm512_dpbusd_epi32(x_start[c], q, xv[c]);
    }
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      acc[r][c] = _mm512_fmadd_ps(_mm512_mul_ps(wv, xs_v[c]), _mm512_cvtepi32_ps(dot[c]), acc[r][c]);
    }
  }
}

// kRows weight rows x kCols activation rows over all nb blocks. wd: [kRows][nb] scales (row
// stride nb), xd: [kCols][nb]; unused with kInlineW / kInlineX.
template <BlockKind kKind, int kRows, int kCols, bool kInlineW = false, bool kInlineX = false>
void Step(int64_t nb, const uint8_t* w, size_t ws, const float* wd, const uint8_t* x, size_t xs, const float* xd,
          float* out, size_t os) {
  __m512 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 2 <= nb; i += 2) StepBlocks<kKind, kRows, kCols, kInlineW, kInlineX, true>(i, nb, w, ws, wd, x, xs, xd, acc);
  if (i < nb) StepBlocks<kKind, kRows, kCols, kInlineW, kInlineX, false>(i, nb, w, ws, wd, x, xs, xd, acc);
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = _mm512_reduce_add_ps(acc[r][c]);
}

// The fp16 block scales of n_rows rows as floats, row after row.
template <BlockKind kKind>
void ScalesOf(const uint8_t* rows, size_t stride, int64_t n_rows, int64_t nb, float* dst) {
  using Block = typename BlockOf<kKind>::type;
  for (int64_t r = 0; r < n_rows; ++r) {
    const Block* b = reinterpret_cast<const Block*>(rows + r * stride);
    for (int64_t i = 0; i < nb; ++i) dst[r * nb + i] = _cvtsh_ss(b[i].d);
  }
}

constexpr int kR = 4, kC = 6;

// Up to this many columns (two column groups) a tile reads the weight scales inline: a small
// batch streams its weights from memory, and a separate pass over the scales stalled on the
// first touch of every row (perf: 59 % of the tile's own time at 8 columns); beyond it each
// row's scales would be converted once per column group, so they go through the scratch.
constexpr int64_t kInlineWeightScaleCols = 2 * kC;

template <BlockKind kKind, bool kInlineW>
void TileWith(int64_t n, const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols,
              float* out, size_t os) {
  const int64_t nb = n / kQK;
  thread_local std::vector<float> scales;
  const int64_t scratch_rows = kInlineW ? 0 : n_rows;
  scales.resize(static_cast<size_t>((scratch_rows + n_cols) * nb));
  float* wd = scales.data();
  float* xd = wd + scratch_rows * nb;
  if constexpr (!kInlineW) ScalesOf<kKind>(w, ws, n_rows, nb, wd);
  ScalesOf<BlockKind::kQ8_0>(x, xs, n_cols, nb, xd);
  int64_t r = 0;
  auto columns = [&]<int kRows>() {
    ColumnGroups<kC, 3, 2, 1>(n_cols, [&]<int kCols>(int64_t c) {
      Step<kKind, kRows, kCols, kInlineW>(nb, w + r * ws, ws, kInlineW ? nullptr : wd + r * nb, x + c * xs, xs,
                                          xd + c * nb, out + c * os + r, os);
    });
  };
  for (; r + kR <= n_rows; r += kR) columns.template operator()<kR>();
  for (; r < n_rows; ++r) columns.template operator()<1>();
}

template <BlockKind kKind>
void Tile(int64_t n, const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols,
          float* out, size_t os) {
  if (n_cols <= kInlineWeightScaleCols) {
    TileWith<kKind, true>(n, w, ws, n_rows, x, xs, n_cols, out, os);
  } else {
    TileWith<kKind, false>(n, w, ws, n_rows, x, xs, n_cols, out, os);
  }
}

// One activation row (decode): four rows at a time, scales read inline.
template <BlockKind kKind>
void Rows(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row, float* out) {
  const auto* w = static_cast<const uint8_t*>(w_rows);
  const auto* x = static_cast<const uint8_t*>(x_row);
  const int64_t nb = n / kQK;
  int64_t r = 0;
  for (; r + kR <= n_rows; r += kR) Step<kKind, kR, 1, true, true>(nb, w + r * stride, stride, nullptr, x, 0, nullptr, out + r, 0);
  for (; r < n_rows; ++r) Step<kKind, 1, 1, true, true>(nb, w + r * stride, stride, nullptr, x, 0, nullptr, out + r, 0);
}

template <BlockKind kKind>
float One(int64_t n, const void* w_row, const void* x_row) {
  float out;
  Rows<kKind>(n, w_row, 0, 1, x_row, &out);
  return out;
}

template <BlockKind kKind>
TypeKernels Kernels() {
  return TypeKernels{nullptr, nullptr, &One<kKind>, &Rows<kKind>};
}

}  // namespace

TypeKernels Avx512Kernels(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return Kernels<BlockKind::kQ4_0>();
    case GgmlType::Q5_0: return Kernels<BlockKind::kQ5_0>();
    case GgmlType::Q8_0: return Kernels<BlockKind::kQ8_0>();
    case GgmlType::Q4_K:
    case GgmlType::Q5_K: return Avx512KQuantKernels(t);
    default: return Avx512FloatKernels(t);
  }
}

VecDotTileFn Avx512TileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return &Tile<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return &Tile<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return &Tile<BlockKind::kQ8_0>;
    default: return Avx512FloatTileKernel(t);
  }
}

}  // namespace deepgate::quant
