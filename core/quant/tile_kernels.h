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

}  // namespace deepgate::quant
