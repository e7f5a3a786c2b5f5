// MatMul over the thread pool: quantize activations once, then tiles of weight rows x all rows.
#include "core/model/matmul.h"

#include <algorithm>

#include "core/quant/quant.h"
#include "core/quant/tile.h"
#include "core/threadpool.h"

namespace deepgate {
namespace {

// A tile of weight rows small enough to stay in L2 while all T activation rows pass over it.
constexpr size_t kTileBytes = 64 * 1024;
// Decode computes on this many weight bytes per step and prefetches the next step's.
constexpr size_t kPrefetchBytes = 32 * 1024;

void PrefetchBytes(const uint8_t* p, size_t n) {
  for (size_t off = 0; off < n; off += 64) __builtin_prefetch(p + off, 0, 3);
}

}  // namespace

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            MatMulScratch& scratch) {
  const GgmlType xt = quant::VecDotType(w.type);
  const uint8_t* xq = reinterpret_cast<const uint8_t*>(x);
  size_t xq_stride = static_cast<size_t>(w.n_in) * sizeof(float);
  if (xt != GgmlType::F32) {
    xq_stride = *RowBytes(xt, w.n_in);  // n_in was checked against the block size at load
    scratch.x_quant.resize(xq_stride * static_cast<size_t>(n_tokens));
    uint8_t* dst = scratch.x_quant.data();
    pool.ParallelFor(n_tokens, 4, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) quant::QuantizeRow(xt, x + t * w.n_in, dst + t * xq_stride, w.n_in);
    });
    xq = dst;
  }

  // Decode (T = 1) streams each thread's contiguous share of rows with VecDotRows. Batches
  // use tile kernels on (a tile of weight rows) x (a chunk of activation rows), sized so both
  // stay in L2 while the tile kernel reuses each decoded weight block across activations.
  if (n_tokens == 1) {
    // Contiguous equal shares of rows per thread (ParallelFor splits statically).
    pool.ParallelFor(w.n_out, 16, [&](int64_t r0, int64_t r1) {
      // Short rows give the hardware prefetcher little to lock onto, and decode is a pure
      // stream of weights: prefetch the next step's bytes while this step computes.
      const int64_t step = std::max<int64_t>(1, static_cast<int64_t>(kPrefetchBytes / w.row_bytes));
      for (int64_t r = r0; r < r1; r += step) {
        const int64_t nr = std::min(step, r1 - r);
        if (r + nr < r1) PrefetchBytes(w.row(r + nr), static_cast<size_t>(std::min(step, r1 - r - nr)) * w.row_bytes);
        quant::VecDotRows(w.type, w.n_in, w.row(r), w.row_bytes, nr, xq, y + r);
      }
    });
    return;
  }
  const int64_t tile = std::clamp<int64_t>(static_cast<int64_t>(kTileBytes / w.row_bytes), 4, 64) / 4 * 4;
  const int64_t col_chunk = std::clamp<int64_t>(static_cast<int64_t>(kTileBytes / xq_stride), 2, 64);
  const int64_t n_tiles = (w.n_out + tile - 1) / tile;
  pool.ParallelFor(n_tiles, 1, [&](int64_t tb, int64_t te) {
    for (int64_t ti = tb; ti < te; ++ti) {
      const int64_t r0 = ti * tile;
      const int64_t nr = std::min(tile, w.n_out - r0);
      for (int64_t c0 = 0; c0 < n_tokens; c0 += col_chunk) {
        const int64_t nc = std::min(col_chunk, n_tokens - c0);
        quant::VecDotTile(w.type, w.n_in, w.row(r0), w.row_bytes, nr, xq + c0 * xq_stride, xq_stride, nc,
                          y + c0 * w.n_out + r0, static_cast<size_t>(w.n_out));
      }
    }
  });
}

void AddBias(const float* bias, int64_t n, int64_t n_tokens, float* y) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    for (int64_t i = 0; i < n; ++i) y[t * n + i] += bias[i];
  }
}

}  // namespace deepgate
