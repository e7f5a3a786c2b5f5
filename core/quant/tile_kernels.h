// Internal to core/quant: the AVX2 tile kernels behind VecDotTile.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ggml_type.h"

namespace deepgate::quant {

using VecDotTileFn = void (*)(int64_t n, const uint8_t* w_rows, size_t w_row_stride, int64_t n_rows,
                              const uint8_t* x_rows, size_t x_row_stride, int64_t n_cols, float* out,
                              size_t out_stride);

// The AVX2 tile kernel for weight type t, or null. Only call after CpuHasAvx2().
VecDotTileFn Avx2TileKernel(GgmlType t);
// The K-quant part of Avx2TileKernel (tile_k_avx2.cpp).
VecDotTileFn Avx2KQuantTileKernel(GgmlType t);
// The AVX-VNNI tile kernel (Q4_0, Q5_0, Q8_0), or null. Only call after CpuHasAvxVnni().
VecDotTileFn AvxVnniTileKernel(GgmlType t);
// The AVX-512 tile kernel (Q4_0, Q5_0, Q8_0), or null. Only call after CpuHasAvx512Vnni().
VecDotTileFn Avx512TileKernel(GgmlType t);
// The F32/F16/BF16 part of Avx512TileKernel (float_avx512.cpp).
VecDotTileFn Avx512FloatTileKernel(GgmlType t);
// The AVX-512 PackedGemm (Q4_0, Q5_0, Q8_0; see packed_gemm.h), or null.
using PackedGemmFn = void (*)(int64_t n, const uint8_t* w_packed, int64_t n_rows, const uint8_t* x_rows,
                              size_t x_row_stride, int64_t n_cols, float* out, size_t out_stride);
PackedGemmFn Avx512PackedGemm(GgmlType t);
// The K-quant part of Avx512PackedGemm (Q4_K, Q5_K, Q6_K; packed_gemm_k_avx512.cpp).
PackedGemmFn Avx512KPackedGemm(GgmlType t);
// The AVX2 PackedGemm on the same layout (the AVX2 and AVX-VNNI sets), or null. Only call
// after CpuHasAvx2().
PackedGemmFn Avx2PackedGemm(GgmlType t);
// The same with vpdpbusd (the AVX-VNNI set), or null. Only call after CpuHasAvxVnni().
PackedGemmFn AvxVnniPackedGemm(GgmlType t);

// The calling thread's prefetch range (tile.h's SetTilePrefetch), for the kernels that take it.
struct PrefetchRange;
PrefetchRange& ThreadTilePrefetch();

// One inner step's share of that range: kLines cache lines, while any are left. The AVX-512
// rows kernels (decode) take 2 a step, about what their four rows consume, the AVX2 ones 1
// (measured: AVX-512 1 line 25-26 against 30-32 t/s, AVX2 2 lines 18-22 against 1 line
// 25-28, 1-thread F16 decode); tiles 1, as they pass the same rows once per group of columns.
template <int kLines>
inline void PrefetchStep(const uint8_t*& next, const uint8_t* end) {
  _Pragma("GCC unroll 4") for (int l = 0; l < kLines; ++l) {
    if (next < end) {
      __builtin_prefetch(next, 0, 3);
      next += 64;
    }
  }
}

// One fixed-shape step of a tile kernel: kR weight rows x kC activation rows, out as VecDotTile.
using TileStep = void (*)(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out,
                          size_t os);

// Calls step.template operator()<kCols>(c) for column groups that cover [0, n_cols): as many
// kC-wide groups as fit, then one group each of the widths in kRest (descending, ending in 1)
// while they fit — e.g. 8 columns with kC = 3, kRest = 2, 1 are 3 + 3 + 2, not 3 + 3 + 1 + 1.
template <int kC, int... kRest, typename StepFn>
inline void ColumnGroups(int64_t n_cols, StepFn&& step) {
  int64_t c = 0;
  for (; c + kC <= n_cols; c += kC) step.template operator()<kC>(c);
  if constexpr (sizeof...(kRest) > 0) {
    auto rest = [&]<int kW>() {
      while (c + kW <= n_cols) {
        step.template operator()<kW>(c);
        c += kW;
      }
    };
    (rest.template operator()<kRest>(), ...);
  }
}

// A whole tile from fixed-shape steps: kR x kC over the tile, then kR x 1 for leftover
// columns and 1 x kC / 1 x 1 for leftover rows.
template <TileStep kFull, TileStep kRowsOnly, TileStep kColsOnly, TileStep kOne, int kR, int kC>
void Tiled(int64_t n, const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* x, size_t xs, int64_t n_cols,
           float* out, size_t os) {
  int64_t r = 0;
  for (; r + kR <= n_rows; r += kR) {
    int64_t c = 0;
    for (; c + kC <= n_cols; c += kC) kFull(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
    for (; c < n_cols; ++c) kRowsOnly(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
  }
  for (; r < n_rows; ++r) {
    int64_t c = 0;
    for (; c + kC <= n_cols; c += kC) kColsOnly(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
    for (; c < n_cols; ++c) kOne(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
  }
}

}  // namespace deepgate::quant
