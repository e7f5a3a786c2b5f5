// AVX2/FMA/F16C tile kernels: kRows weight rows x kCols activation rows per inner step.
//   float weights (F32/F16/BF16) x f32 activations: 3 x 2.
//   Q4_0/Q5_0/Q8_0 x Q8_0: 4 x 2; each weight block is unpacked once for both activations;
//   per pair a maddubs, an int16 offset subtract (Q8_0: a sign), madd, convert, mul and fma.
// Remainders use the same templates with fewer rows/cols. Per (row, column) the arithmetic and
// its order are those of the VecDotRows kernels in quant_legacy_avx2.cpp, so a tile returns
// exactly what VecDot returns: batching never changes a model's logits.
// Thread-safety: pure functions.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/quant/blocks.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {

namespace {

using avx2::HalfToFloat;
using avx2::HorizontalSum;

// ---- float weights ----

using avx2::FloatAt;
using avx2::FloatKind;
using avx2::kActivationKind;
using avx2::LoadFloat8;

// Same arithmetic per (row, column) as the VecDotRows float kernel (two accumulators over
// 16-element steps, an 8-element step, a scalar tail), so batched and one-by-one evaluation
// give bit-identical results; 3 x 2 keeps all 12 accumulators in registers.
template <FloatKind kKind, int kRows, int kCols>
void FloatTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  constexpr FloatKind kX = kActivationKind<kKind>;
  __m256 acc0[kRows][kCols], acc1[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = acc1[r][c] = _mm256_setzero_ps();
  auto x_at = [&](int c, int64_t i) { return LoadFloat8<kX>(x + c * xs, i); };
  PrefetchRange& pf = ThreadTilePrefetch();
  const uint8_t *pf_next = pf.next, *pf_end = pf.end;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    PrefetchStep<(kCols == 1 ? 2 : 1)>(pf_next, pf_end);  // the rows MatMul computes next (tile.h)
    if constexpr (kKind == FloatKind::kBF16) {  // both bf16: halves split alike, as the rows kernel
      __m256 xv[kCols];
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = avx2::Bf16HalfOf16<false>(reinterpret_cast<const uint16_t*>(x + c * xs) + i);
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const __m256 wv = avx2::Bf16HalfOf16<false>(reinterpret_cast<const uint16_t*>(w + r * ws) + i);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = _mm256_fmadd_ps(wv, xv[c], acc0[r][c]);
      }
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = avx2::Bf16HalfOf16<true>(reinterpret_cast<const uint16_t*>(x + c * xs) + i);
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const __m256 wv = avx2::Bf16HalfOf16<true>(reinterpret_cast<const uint16_t*>(w + r * ws) + i);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc1[r][c] = _mm256_fmadd_ps(wv, xv[c], acc1[r][c]);
      }
      continue;
    }
    __m256 xv[kCols];
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = x_at(c, i);
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256 wv = LoadFloat8<kKind>(w + r * ws, i);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = _mm256_fmadd_ps(wv, xv[c], acc0[r][c]);
    }
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = x_at(c, i + 8);
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256 wv = LoadFloat8<kKind>(w + r * ws, i + 8);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc1[r][c] = _mm256_fmadd_ps(wv, xv[c], acc1[r][c]);
    }
  }
  pf.next = pf_next;
  if (i + 8 <= n) {
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256 wv = LoadFloat8<kKind>(w + r * ws, i);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = _mm256_fmadd_ps(wv, x_at(c, i), acc0[r][c]);
    }
    i += 8;
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      float sum = HorizontalSum(_mm256_add_ps(acc0[r][c], acc1[r][c]));
      for (int64_t k = i; k < n; ++k) sum += FloatAt<kKind>(w + r * ws, k) * FloatAt<kX>(x + c * xs, k);
      out[c * os + r] = sum;
    }
  }
}

template <FloatKind kKind>
constexpr VecDotTileFn kFloatTile = &Tiled<FloatTile<kKind, 3, 2>, FloatTile<kKind, 3, 1>, FloatTile<kKind, 1, 2>,
                                           FloatTile<kKind, 1, 1>, 3, 2>;

// F16 weights in batches (prefill): a block of up to kPanelBlockRows rows is converted to f32
// once per call, kPanelChunk elements at a time, into a panel that every column of the call
// then reuses (FloatTile converts each weight vector once per 2 columns; those conversions
// and the short tiles MatMul could give it held prefill to ~63 % of the FMA peak).
// Per (row, column) the arithmetic is FloatTile's: acc0 takes the first 8 elements of every
// 16-element step and then the 8-element step, acc1 the second 8, each in element order, and
// the result is HorizontalSum(acc0 + acc1) plus the scalar tail. acc0 and acc1 are
// independent sequences, so they are run in separate passes (half the live registers: 4 rows x
// 3 columns per pass) and saved between chunks, which keeps the panel chunk and the columns'
// chunk in L1/L2 however long the rows are (the 4864-wide down projection).
constexpr int64_t kPanelChunk = 512;
constexpr int64_t kPanelBlockRows = 64;
// Up to this many columns (a few decoding streams, where MatMul streams the weights in small
// groups of rows from memory) FloatTile's direct conversion is faster: 8 streams, 2 threads,
// 95 against 75 t/s.
constexpr int64_t kPanelMinCols = 16;

struct PanelScratch {
  std::vector<float> panel;  // kPanelBlockRows x kPanelChunk
  std::vector<float> sums;   // per (column, row): acc0 then acc1, 8 lanes each
};

PanelScratch& ThreadPanelScratch() {
  thread_local PanelScratch s;
  return s;
}

// One pass over [k0, k1) of kHalf's accumulators for kR rows x kC columns; the accumulators of
// (c, r) live at sums[(c * sum_rows + r) * 16 + kHalf * 8].
template <int kR, int kC, int kHalf>
__attribute__((always_inline)) inline void PanelPass(const float* panel, int64_t k0, int64_t k1, const uint8_t* x,
                                                     size_t xs, float* sums, int64_t sum_rows) {
  __m256 acc[kR][kC];
  auto at = [&](int r, int c) { return sums + (c * sum_rows + r) * 16 + kHalf * 8; };
  _Pragma("GCC unroll 16") for (int r = 0; r < kR; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) acc[r][c] = k0 == 0 ? _mm256_setzero_ps() : _mm256_loadu_ps(at(r, c));
  auto step = [&](int64_t i) {
    _Pragma("GCC unroll 16") for (int r = 0; r < kR; ++r) {
      const __m256 wv = _mm256_loadu_ps(panel + r * kPanelChunk + (i - k0));
      _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) {
        acc[r][c] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(reinterpret_cast<const float*>(x + c * xs) + i), acc[r][c]);
      }
    }
  };
  int64_t i = k0;
  for (; i + 16 <= k1; i += 16) step(i + kHalf * 8);
  if (kHalf == 0 && i + 8 <= k1) step(i);  // the 8-element step (last chunk only)
  _Pragma("GCC unroll 16") for (int r = 0; r < kR; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kC; ++c) _mm256_storeu_ps(at(r, c), acc[r][c]);
}

// Both passes of one chunk for kR rows from row r of the block, every column.
template <int kR>
inline void PanelRows(const float* panel, int64_t k0, int64_t k1, const uint8_t* x, size_t xs, int64_t n_cols,
                      float* sums, int64_t sum_rows) {
  ColumnGroups<3, 2, 1>(n_cols, [&]<int kC>(int64_t c) {
    PanelPass<kR, kC, 0>(panel, k0, k1, x + c * xs, xs, sums + c * sum_rows * 16, sum_rows);
    PanelPass<kR, kC, 1>(panel, k0, k1, x + c * xs, xs, sums + c * sum_rows * 16, sum_rows);
  });
}

// The F16 bytes [k0, k1) of rows [r0, r1) of w into the cache (the next chunk's conversion
// would otherwise wait on memory: the hardware prefetcher barely streams on some hosts).
inline void PrefetchF16Rows(const uint8_t* w, size_t ws, int64_t r0, int64_t r1, int64_t k0, int64_t k1) {
  for (int64_t r = r0; r < r1; ++r) {
    for (int64_t i = k0 * 2; i < k1 * 2; i += 64) __builtin_prefetch(w + r * ws + i, 0, 3);
  }
}

// Rows [0, rows) of w (at most kPanelBlockRows) against every column; next / next_rows: the
// rows the call computes after these, whose first chunk is prefetched during the last one.
void F16PanelBlock(int64_t n, const uint8_t* w, size_t ws, int64_t rows, const uint8_t* next, int64_t next_rows,
                   const uint8_t* x, size_t xs, int64_t n_cols, float* out, size_t os, PanelScratch& scratch) {
  const int64_t n_vec = n / 16 * 16 + (n % 16 >= 8 ? 8 : 0);  // elements the vector steps cover
  float* sums = scratch.sums.data();
  float* panel = scratch.panel.data();
  for (int64_t k0 = 0; k0 < n_vec; k0 += kPanelChunk) {
    const int64_t k1 = std::min(n_vec, k0 + kPanelChunk);
    for (int64_t r = 0; r < rows; ++r) {
      const uint16_t* src = reinterpret_cast<const uint16_t*>(w + r * ws);
      for (int64_t i = k0; i < k1; i += 8) {
        _mm256_storeu_ps(panel + r * kPanelChunk + (i - k0),
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
      }
    }
    // Rows outer: a strip's panel chunk (8 KiB) stays in L1 while the columns' chunks pass.
    // Each strip prefetches its share of the next chunk's (or the next rows') weights.
    const bool last = k1 == n_vec;
    const uint8_t* pw = last ? next : w;
    const int64_t p_rows = last ? next_rows : rows, p0 = last ? 0 : k1, p1 = std::min(n_vec, p0 + kPanelChunk);
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4) {
      if (pw != nullptr) PrefetchF16Rows(pw, ws, std::min(r, p_rows), std::min(r + 4, p_rows), p0, p1);
      PanelRows<4>(panel + r * kPanelChunk, k0, k1, x, xs, n_cols, sums + r * 16, rows);
    }
    for (; r < rows; ++r) PanelRows<1>(panel + r * kPanelChunk, k0, k1, x, xs, n_cols, sums + r * 16, rows);
  }
  for (int64_t c = 0; c < n_cols; ++c) {
    const uint8_t* xc = x + c * xs;
    int64_t r = 0;
    if (n_vec == n) {  // no scalar tail: eight rows' sums per store
      for (; r + 8 <= rows; r += 8) {
        __m256 v[8];
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; ++k) {
          const float* s = sums + (c * rows + r + k) * 16;
          v[k] = _mm256_add_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8));
        }
        _mm256_storeu_ps(out + c * os + r, avx2::HorizontalSums8(v));
      }
    }
    for (; r < rows; ++r) {
      const float* s = sums + (c * rows + r) * 16;
      float sum = HorizontalSum(_mm256_add_ps(_mm256_loadu_ps(s), _mm256_loadu_ps(s + 8)));
      for (int64_t k = n_vec; k < n; ++k) sum += FloatAt<FloatKind::kF16>(w + r * ws, k) * FloatAt<FloatKind::kF32>(xc, k);
      out[c * os + r] = sum;
    }
  }
}

void F16PanelTile(int64_t n, const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* x, size_t xs,
                  int64_t n_cols, float* out, size_t os) {
  if (n_cols <= kPanelMinCols || n < 16) {  // (a row under 16 elements is all tail)
    kFloatTile<FloatKind::kF16>(n, w, ws, n_rows, x, xs, n_cols, out, os);
    return;
  }
  PanelScratch& scratch = ThreadPanelScratch();
  scratch.panel.resize(static_cast<size_t>(kPanelBlockRows * kPanelChunk));
  const size_t sums = static_cast<size_t>(n_cols * std::min(n_rows, kPanelBlockRows) * 16);
  if (scratch.sums.size() < sums) scratch.sums.resize(sums);
  for (int64_t r = 0; r < n_rows; r += kPanelBlockRows) {
    const int64_t rows = std::min(kPanelBlockRows, n_rows - r), next_rows = std::min(kPanelBlockRows, n_rows - r - rows);
    F16PanelBlock(n, w + r * ws, ws, rows, next_rows > 0 ? w + (r + rows) * ws : nullptr, next_rows, x, xs, n_cols,
                  out + r, os, scratch);
  }
}

// ---- 32-element blocks x Q8_0 ----

using avx2::BlockKind;
using avx2::BlockOf;

// Per (row, column) the int32 lanes are BlockDotLanes' (legacy_block_avx2.h) and the float
// steps those of BlockDotRows: acc += (wd * xd) * float(lanes). Each weight block is unpacked
// once per row for all columns; wd and xd are broadcast once per row / column and multiplied
// as vectors (the same float product as the scalar one).
template <BlockKind kKind, int kRows, int kCols>
void BlockTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  using Block = typename BlockOf<kKind>::type;
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    __m256i xq[kCols], x_offset[kCols];
    __m256 xd[kCols];
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      const BlockQ8_0& xb = reinterpret_cast<const BlockQ8_0*>(x + c * xs)[i];
      xq[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs));
      x_offset[c] = avx2::OffsetPairs<kKind>(xq[c]);
      xd[c] = _mm256_set1_ps(HalfToFloat(xb.d));
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * ws)[i];
      const __m256 wd = _mm256_set1_ps(HalfToFloat(b.d));
      __m256i dot[kCols];
      if constexpr (kKind == BlockKind::kQ8_0) {
        // sum q * x = sum |q| * (x * sign(q)): maddubs needs its first operand unsigned.
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
        const __m256i abs_q = _mm256_sign_epi8(q, q);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
          dot[c] = _mm256_madd_epi16(_mm256_maddubs_epi16(abs_q, _mm256_sign_epi8(xq[c], q)), ones);
        }
      } else {
        const __m256i q = avx2::UnsignedQuants<kKind>(b);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
          dot[c] = _mm256_madd_epi16(_mm256_sub_epi16(_mm256_maddubs_epi16(q, xq[c]), x_offset[c]), ones);
        }
      }
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_mul_ps(wd, xd[c]), _mm256_cvtepi32_ps(dot[c]), acc[r][c]);
      }
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = HorizontalSum(acc[r][c]);
}

template <BlockKind kKind>
constexpr VecDotTileFn kBlockTile = &Tiled<BlockTile<kKind, 4, 2>, BlockTile<kKind, 4, 1>, BlockTile<kKind, 1, 2>,
                                           BlockTile<kKind, 1, 1>, 4, 2>;

}  // namespace

VecDotTileFn Avx2TileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return kFloatTile<FloatKind::kF32>;
    case GgmlType::F16: return &F16PanelTile;
    case GgmlType::BF16: return kFloatTile<FloatKind::kBF16>;
    case GgmlType::Q4_0: return kBlockTile<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return kBlockTile<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return kBlockTile<BlockKind::kQ8_0>;
    default: return Avx2KQuantTileKernel(t);
  }
}

}  // namespace deepgate::quant
