// VecDotTile: a block of weight rows against a block of activation rows in one call, the
// kernel of batched matmuls (prefill, continuous batching). Each weight block is decoded once
// per group of activation rows and each activation block loaded once per group of weight
// rows, so a tile costs fewer instructions than one VecDotRows call per activation row.
//
// Results equal VecDot's up to float summation order (the integer parts are exact), within
// the same 1e-5 of sum |w_i x_i| that holds between the scalar and AVX2 paths. Types without
// a tile kernel (and every type on the scalar path) fall back to VecDotRows per activation.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ggml_type.h"

namespace deepgate::quant {

// out[c * out_stride + r] = VecDot(w, n, w_rows + r * w_row_stride, x_rows + c * x_row_stride)
// for r in [0, n_rows), c in [0, n_cols). x rows are in VecDotType(w).
void VecDotTile(GgmlType w, int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                const void* x_rows, size_t x_row_stride, int64_t n_cols, float* out, size_t out_stride);

// True when VecDotTile has a dedicated kernel for w on this CPU (benchmarks and tests).
bool HasTileKernel(GgmlType w);

}  // namespace deepgate::quant
