// VecDotTile: a block of weight rows against a block of activation rows in one call, the
// kernel of batched matmuls (prefill, continuous batching). Each weight block is decoded once
// per group of activation rows and each activation block loaded once per group of weight
// rows, so a tile costs fewer instructions than one VecDotRows call per activation row.
//
// Results are exactly VecDot's: the AVX2 tile kernels (F32, F16, BF16, Q4_0, Q5_0, Q8_0, Q4_K,
// Q6_K) repeat the AVX2 VecDotRows arithmetic per pair, and every other type (and every type
// on the scalar path) falls back to VecDotRows per activation row. So batching never changes
// a model's output.
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

// Weight rows and activation rows per VecDotTile call in a batch (prefill): what suits the
// active kernel for w. Most kernels reuse the call's decoded weights across its columns, so
// both sides are kept to ~64 KiB (L2); the AVX2 F16 kernel converts its rows to f32 once per
// call and blocks the row length itself, so it takes more of both.
struct TileShape {
  int64_t rows;
  int64_t cols;
};
TileShape BatchTileShape(GgmlType w, size_t w_row_bytes, size_t x_row_bytes);

// Software prefetch spread over a VecDotTile or VecDotRows call: where TilePrefetchesInline(w)
// (F32 / F16 / BF16 rows and tiles on the SIMD sets), the active kernel issues a line or two
// of [begin, begin + bytes) per inner step, so the fetch of the rows MatMul computes next
// overlaps the arithmetic (a burst of prefetches before the call stalls once the line-fill
// buffers are full, and fetching and computing then take turns). TakeTilePrefetch returns
// what the call did not reach, for the caller to prefetch itself, and clears the range. Per
// thread.
struct PrefetchRange {
  const uint8_t* next = nullptr;
  const uint8_t* end = nullptr;
};
bool TilePrefetchesInline(GgmlType w);
void SetTilePrefetch(const void* begin, size_t bytes);
PrefetchRange TakeTilePrefetch();

// True when VecDotTile has a dedicated kernel for w on this CPU (benchmarks and tests).
bool HasTileKernel(GgmlType w);

}  // namespace deepgate::quant
