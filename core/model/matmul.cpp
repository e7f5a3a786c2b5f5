// MatMul over the thread pool: quantize activations once, then tiles of weight rows x all rows.
// MatMulShared runs several weight matrices of one input in the same dispatch.
#include "core/model/matmul.h"

#include <algorithm>

#include "core/quant/packed_gemm.h"
#include "core/quant/quant.h"
#include "core/quant/tile.h"
#include "core/threadpool.h"

namespace deepgate {
namespace {

constexpr int kMaxOutputs = 8;
// Decode prefetches this far ahead of the rows it computes, in slices of kPrefetchGroupRows.
// 16 KiB measured best or level with 4 and 32 KiB on every type (bench/RESULTS.md).
constexpr size_t kPrefetchAheadBytes = 16 * 1024;
constexpr int64_t kPrefetchGroupRows = 4;
// Batches of up to this many tokens stream the weights like decode, in groups of rows.
constexpr int64_t kStreamingTokens = 16;
constexpr int64_t kStreamingGroupRows = 16;
// Packed GEMM tiles for prefill: at most this many packed weight bytes per tile.
constexpr size_t kPackedTileBytes = 64 * 1024;

void PrefetchBytes(const uint8_t* p, size_t n) {
  for (size_t off = 0; off < n; off += 64) __builtin_prefetch(p + off, 0, 3);
}

bool IsPacked(const MatMulOutput& o) { return o.w->packed && quant::HasPackedGemm(o.w->type); }

int CountPacked(const MatMulOutput* outputs, int n_outputs) {
  int n = 0;
  for (int i = 0; i < n_outputs; ++i) n += IsPacked(outputs[i]) ? 1 : 0;
  return n;
}

// All outputs on the packed GEMM (weights repacked at load, packed_gemm.h): activations
// packed once, then groups of 16 rows of all outputs, taken end to end, split over the pool;
// decode and small batches take one group per step (the kernel prefetches ahead in the
// packed stream), prefill tiles of up to kPackedTileBytes so a tile stays in L2 while every
// activation row passes over it.
void PackedMatMul(ThreadPool& pool, const MatMulOutput* outputs, int n_outputs, const float* x, int64_t n_tokens,
                  MatMulScratch& scratch) {
  const int64_t n_in = outputs[0].w->n_in;
  const GgmlType w0 = outputs[0].w->type;  // all outputs share its activation format
  const size_t xs = quant::PackedActivationBytes(w0, n_in);
  scratch.x_packed.resize(xs * static_cast<size_t>(n_tokens));
  uint8_t* xp = scratch.x_packed.data();
  pool.ParallelFor(n_tokens, 4, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) quant::PackActivationRow(w0, x + t * n_in, n_in, xp + t * xs);
  });
  constexpr int64_t kRows = quant::kPackedGroupRows;
  size_t group_bytes[kMaxOutputs];
  int64_t tile_groups[kMaxOutputs], tile_end[kMaxOutputs];  // groups per tile, tiles of outputs 0..i
  int64_t n_tiles = 0;
  for (int i = 0; i < n_outputs; ++i) {
    group_bytes[i] = quant::PackedGroupBytes(outputs[i].w->type, n_in);
    tile_groups[i] = n_tokens <= kStreamingTokens
                         ? 1
                         : std::max<int64_t>(1, static_cast<int64_t>(kPackedTileBytes / group_bytes[i]));
    const int64_t groups = (outputs[i].w->n_out + kRows - 1) / kRows;
    tile_end[i] = n_tiles += (groups + tile_groups[i] - 1) / tile_groups[i];
  }
  pool.ParallelFor(n_tiles, 1, [&](int64_t tb, int64_t te) {
    int i = 0;
    for (int64_t ti = tb; ti < te; ++ti) {
      while (ti >= tile_end[i]) ++i;
      const WeightMatrix& w = *outputs[i].w;
      const int64_t g0 = (ti - (i == 0 ? 0 : tile_end[i - 1])) * tile_groups[i];
      const int64_t r0 = g0 * kRows, nr = std::min(tile_groups[i] * kRows, w.n_out - r0);
      quant::PackedGemm(w.type, n_in, w.packed + static_cast<size_t>(g0) * group_bytes[i], nr, xp, xs, n_tokens,
                        outputs[i].y + r0, static_cast<size_t>(w.n_out));
    }
  });
}

}  // namespace

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            MatMulScratch& scratch) {
  const MatMulOutput out{&w, y};
  MatMulShared(pool, &out, 1, x, n_tokens, scratch);
}

void MatMulShared(ThreadPool& pool, const MatMulOutput* outputs, int n_outputs, const float* x, int64_t n_tokens,
                  MatMulScratch& scratch) {
  if (n_outputs <= 0) return;
  const WeightMatrix& w0 = *outputs[0].w;
  const GgmlType xt = quant::VecDotType(w0.type);
  bool shared = n_outputs <= kMaxOutputs;
  for (int i = 1; i < n_outputs && shared; ++i) {
    shared = quant::VecDotType(outputs[i].w->type) == xt && outputs[i].w->n_in == w0.n_in;
  }
  if (!shared) {
    for (int i = 0; i < n_outputs; ++i) MatMulShared(pool, outputs + i, 1, x, n_tokens, scratch);
    return;
  }
  const int64_t n_in = w0.n_in;
  const int n_packed = CountPacked(outputs, n_outputs);
  if (n_packed == n_outputs) {
    PackedMatMul(pool, outputs, n_outputs, x, n_tokens, scratch);
    return;
  }
  if (n_packed > 0) {
    // Mixed (a Q4_K_M file's Q4_K and Q6_K, where only one has a packed copy): the packed
    // outputs together, then the rest.
    MatMulOutput packed[kMaxOutputs], rows[kMaxOutputs];
    int np = 0, nr = 0;
    for (int i = 0; i < n_outputs; ++i) (IsPacked(outputs[i]) ? packed[np++] : rows[nr++]) = outputs[i];
    PackedMatMul(pool, packed, np, x, n_tokens, scratch);
    MatMulShared(pool, rows, nr, x, n_tokens, scratch);
    return;
  }
  const uint8_t* xq = reinterpret_cast<const uint8_t*>(x);
  size_t xq_stride = static_cast<size_t>(n_in) * sizeof(float);
  if (xt != GgmlType::F32) {
    xq_stride = *RowBytes(xt, n_in);  // n_in was checked against the block size at load
    scratch.x_quant.resize(xq_stride * static_cast<size_t>(n_tokens));
    uint8_t* dst = scratch.x_quant.data();
    pool.ParallelFor(n_tokens, 4, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) quant::QuantizeRow(xt, x + t * n_in, dst + t * xq_stride, n_in);
    });
    xq = dst;
  }

  // Decode (T = 1) and small batches (T <= kStreamingTokens: a few concurrent streams) are
  // memory-bound: each weight byte is used for at most a few multiply-adds, so each thread
  // streams its contiguous share of the rows of all outputs, taken end to end, with
  // VecDotRows (T = 1) or VecDotTile over groups of rows and all T activations.
  if (n_tokens <= kStreamingTokens) {
    int64_t row_end[kMaxOutputs];  // rows of outputs 0..i, end to end
    int64_t total = 0;
    for (int i = 0; i < n_outputs; ++i) row_end[i] = total += outputs[i].w->n_out;
    const int64_t group = n_tokens == 1 ? kPrefetchGroupRows : kStreamingGroupRows;
    pool.ParallelFor(total, 16, [&](int64_t r0, int64_t r1) {
      int64_t first = 0;
      for (int i = 0; i < n_outputs && first < r1; first = row_end[i++]) {
        const int64_t b = std::max(r0, first), e = std::min(r1, row_end[i]);
        if (b >= e) continue;
        const WeightMatrix& w = *outputs[i].w;
        // Software prefetch kPrefetchAheadBytes ahead of the rows being computed, a slice
        // per group of rows, so the fetch of later rows overlaps the arithmetic on these (a
        // burst of prefetches stalls once the line-fill buffers are full, which serialises
        // fetching and computing). Small batches gain from it too once the tile kernel reads
        // the weight scales inline (8 streams, q8_0: 98 t/s without, 107 with).
        // Kernels that can spread the prefetch over their steps get it to do so (tile.h).
        const int64_t ahead = std::max<int64_t>(group, static_cast<int64_t>(kPrefetchAheadBytes / w.row_bytes));
        const bool inline_prefetch = quant::TilePrefetchesInline(w.type);
        float* y = outputs[i].y;
        for (int64_t r = b; r < e; r += group) {
          const int64_t nr = std::min(group, e - r);
          const int64_t p0 = r + ahead, p1 = std::min(p0 + nr, e);
          const size_t p_bytes = p0 < p1 ? static_cast<size_t>(p1 - p0) * w.row_bytes : 0;
          if (p_bytes > 0 && inline_prefetch) {
            quant::SetTilePrefetch(w.row(p0 - first), p_bytes);
          } else if (p_bytes > 0) {
            PrefetchBytes(w.row(p0 - first), p_bytes);
          }
          if (n_tokens == 1) {
            quant::VecDotRows(w.type, n_in, w.row(r - first), w.row_bytes, nr, xq, y + (r - first));
          } else {
            quant::VecDotTile(w.type, n_in, w.row(r - first), w.row_bytes, nr, xq, xq_stride, n_tokens,
                              y + (r - first), static_cast<size_t>(w.n_out));
          }
          if (inline_prefetch) {
            const quant::PrefetchRange rest = quant::TakeTilePrefetch();
            if (rest.next < rest.end) PrefetchBytes(rest.next, static_cast<size_t>(rest.end - rest.next));
          }
        }
      }
    });
    return;
  }

  // Batches: tiles of weight rows x chunks of activation rows, of the shape the active tile
  // kernel wants (quant::BatchTileShape: both in L2 while the kernel reuses each decoded
  // weight block across activations). Column chunks are a multiple of 6 (the tile kernels
  // step 2, 3 or 6 columns at a time, so no chunk leaves a remainder for the slower
  // one-column steps but the batch's last).
  int64_t col_chunk = 0, tile_rows[kMaxOutputs], tile_end[kMaxOutputs];  // rows per tile, tiles of outputs 0..i
  int64_t n_tiles = 0;
  for (int i = 0; i < n_outputs; ++i) {
    const WeightMatrix& w = *outputs[i].w;
    const quant::TileShape shape = quant::BatchTileShape(w.type, w.row_bytes, xq_stride);
    tile_rows[i] = shape.rows;
    col_chunk = i == 0 ? shape.cols : std::min(col_chunk, shape.cols);
    tile_end[i] = n_tiles += (w.n_out + tile_rows[i] - 1) / tile_rows[i];
  }
  pool.ParallelFor(n_tiles, 1, [&](int64_t tb, int64_t te) {
    int i = 0;
    for (int64_t ti = tb; ti < te; ++ti) {
      while (ti >= tile_end[i]) ++i;
      const WeightMatrix& w = *outputs[i].w;
      const int64_t r0 = (ti - (i == 0 ? 0 : tile_end[i - 1])) * tile_rows[i];
      const int64_t nr = std::min(tile_rows[i], w.n_out - r0);
      for (int64_t c0 = 0; c0 < n_tokens; c0 += col_chunk) {
        const int64_t nc = std::min(col_chunk, n_tokens - c0);
        quant::VecDotTile(w.type, n_in, w.row(r0), w.row_bytes, nr, xq + c0 * xq_stride, xq_stride, nc,
                          outputs[i].y + c0 * w.n_out + r0, static_cast<size_t>(w.n_out));
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
