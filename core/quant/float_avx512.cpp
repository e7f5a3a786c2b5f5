// AVX-512 kernels for F32 / F16 / BF16 weights against f32 activations (bf16 for BF16 weights):
// VecDot, VecDotRows and VecDotTile. One accumulator of 16 lanes per (row, column) over 16-element steps, a masked
// step for the last n % 16 elements, then one reduction; the tile steps 4 rows x 6 columns
// (24 accumulators, each weight vector converted once for six columns). The order of that
// arithmetic does not depend on the tile shape, so rows, VecDot and tiles agree bit for bit;
// against the AVX2 kernels it differs only in float rounding.
// Compiled with -mavx512f -mavx512bw -mavx512vl (and AVX2/FMA/F16C); called only after
// CpuHasAvx512Vnni().
// Thread-safety: pure functions.
#include <immintrin.h>

#include "core/quant/kernels.h"
#include "core/quant/tile.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

// kBF16Pairs: BF16 weights on a CPU with AVX-512 BF16, where vdpbf16ps multiplies and adds
// 32 bf16 pairs per instruction (2x the FMA rate); kBF16 is the same type through 16-lane FMAs.
enum class FloatKind { kF32, kF16, kBF16, kBF16Pairs };

// BF16 weights take bf16 activations (VecDotType), the others f32 (kBF16Pairs loads its own).
template <FloatKind kKind>
inline constexpr FloatKind kActivationKind = kKind == FloatKind::kBF16 ? FloatKind::kBF16 : FloatKind::kF32;

// Sixteen weights from element i (only the lanes in mask are read; the rest are zero).
template <FloatKind kKind>
inline __m512 LoadWeights16(const uint8_t* row, int64_t i, __mmask16 mask) {
  if constexpr (kKind == FloatKind::kF32) {
    return _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(row) + i);
  } else {
    const __m256i h = _mm256_maskz_loadu_epi16(mask, reinterpret_cast<const uint16_t*>(row) + i);
    if constexpr (kKind == FloatKind::kF16) {
      return _mm512_cvtph_ps(h);
    } else {
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
  }
}

// The sum of the 16 lanes (halves, then quarters, then pairs).
inline float Sum16(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_movehdup_ps(q));
  return _mm_cvtss_f32(q);
}

// Sum16 of four vectors at once, with Sum16's pairings lane for lane (so the same bits): halves,
// then quarters, then pairs, then the last two, over vectors packed side by side. 15
// instructions for four sums instead of 32; with head_dim-long rows (attention) the sums
// had cost more than the multiply-adds. out[0..3] = Sum16(v0..v3).
inline void Sum16x4(__m512 v0, __m512 v1, __m512 v2, __m512 v3, float* out) {
  // Lanes 0-7: v0's halves added, 8-15: v1's (and v2, v3 in t23).
  const __m512 t01 = _mm512_add_ps(_mm512_shuffle_f32x4(v0, v1, 0x44), _mm512_shuffle_f32x4(v0, v1, 0xEE));
  const __m512 t23 = _mm512_add_ps(_mm512_shuffle_f32x4(v2, v3, 0x44), _mm512_shuffle_f32x4(v2, v3, 0xEE));
  // 128-bit lane k: vector k's quarters added.
  const __m512 q = _mm512_add_ps(_mm512_shuffle_f32x4(t01, t23, 0x88), _mm512_shuffle_f32x4(t01, t23, 0xDD));
  const __m512 p = _mm512_add_ps(q, _mm512_permute_ps(q, 0x4E));  // lanes 0, 1: q0 + q2, q1 + q3
  const __m512 s = _mm512_add_ps(p, _mm512_permute_ps(p, 0xB1));  // lane 0: p0 + p1
  const __m512 sums = _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s);
  _mm_storeu_ps(out, _mm512_castps512_ps128(sums));
}

// Sixteen elements from i (the lanes in mask) of a kRows x kCols step into acc.
template <FloatKind kKind, int kRows, int kCols>
__attribute__((always_inline)) inline void StepAt(int64_t i, __mmask16 mask, const uint8_t* w, size_t ws,
                                                  const uint8_t* x, size_t xs, __m512 (&acc)[kRows][kCols]) {
  __m512 xv[kCols];
  _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = LoadWeights16<kActivationKind<kKind>>(x + c * xs, i, mask);
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
    const __m512 wv = LoadWeights16<kKind>(w + r * ws, i, mask);
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_fmadd_ps(wv, xv[c], acc[r][c]);
  }
}

// out[c * os + r] = Sum16(acc[r][c]), four rows at a time in tiles of four rows and several
// columns. Decode's 4 x 1 steps keep the one-by-one sums: there Sum16x4's zmm shuffles cost
// more than they saved (1-thread Q6_K-file decode 46 -> 41 t/s, interleaved).
template <int kRows, int kCols>
__attribute__((always_inline)) inline void StoreSums(__m512 (&acc)[kRows][kCols], float* out, size_t os) {
  if constexpr (kRows == 4 && kCols > 1) {
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) Sum16x4(acc[0][c], acc[1][c], acc[2][c], acc[3][c], out + c * os);
  } else {
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = Sum16(acc[r][c]);
  }
}

// vdpbf16ps steps: 32 elements (16 pairs per lane) per step, a masked step for the last
// n % 32; lane l of an accumulator adds w[2l+1] x[2l+1], then w[2l] x[2l] (the instruction's
// order), so every tile shape gives VecDot's bits.
template <int kRows, int kCols>
__attribute__((target("avx512bf16"))) void PairStep(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x,
                                                    size_t xs, float* out, size_t os) {
  __m512 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_setzero_ps();
  PrefetchRange& pf = ThreadTilePrefetch();
  const uint8_t *pf_next = pf.next, *pf_end = pf.end;
  for (int64_t i = 0; i < n; i += 32) {
    PrefetchStep<(kCols == 1 ? 4 : 2)>(pf_next, pf_end);
    const __mmask32 mask = n - i >= 32 ? ~static_cast<__mmask32>(0) : static_cast<__mmask32>((1u << (n - i)) - 1);
    __m512bh xv[kCols];
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      xv[c] = (__m512bh)_mm512_maskz_loadu_epi16(mask, reinterpret_cast<const uint16_t*>(x + c * xs) + i);
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(mask, reinterpret_cast<const uint16_t*>(w + r * ws) + i);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], wv, xv[c]);
    }
  }
  pf.next = pf_next;
  StoreSums<kRows, kCols>(acc, out, os);
}

// 16-lane FMA steps (every kind but kBF16Pairs).
template <FloatKind kKind, int kRows, int kCols>
void FmaStep(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  __m512 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_setzero_ps();
  // One loop with a computed mask (full but for the last n % 16 elements): a second call site
  // for the tail made GCC keep the accumulators in memory.
  PrefetchRange& pf = ThreadTilePrefetch();
  const uint8_t *pf_next = pf.next, *pf_end = pf.end;
  for (int64_t i = 0; i < n; i += 16) {
    PrefetchStep<(kCols == 1 ? 2 : 1)>(pf_next, pf_end);  // the rows MatMul computes next (tile.h)
    const __mmask16 mask = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    StepAt<kKind, kRows, kCols>(i, mask, w, ws, x, xs, acc);
  }
  pf.next = pf_next;
  StoreSums<kRows, kCols>(acc, out, os);
}

template <FloatKind kKind, int kRows, int kCols>
void Step(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  if constexpr (kKind == FloatKind::kBF16Pairs) {
    PairStep<kRows, kCols>(n, w, ws, x, xs, out, os);
  } else {
    FmaStep<kKind, kRows, kCols>(n, w, ws, x, xs, out, os);
  }
}

template <FloatKind kKind>
void Rows(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row, float* out) {
  Tiled<Step<kKind, 4, 1>, Step<kKind, 4, 1>, Step<kKind, 1, 1>, Step<kKind, 1, 1>, 4, 1>(
      n, static_cast<const uint8_t*>(w_rows), stride, n_rows, static_cast<const uint8_t*>(x_row), 0, 1, out, 0);
}

template <FloatKind kKind>
float One(int64_t n, const void* w_row, const void* x_row) {
  float out;
  Step<kKind, 1, 1>(n, static_cast<const uint8_t*>(w_row), 0, static_cast<const uint8_t*>(x_row), 0, &out, 0);
  return out;
}

template <FloatKind kKind>
TypeKernels Kernels() {
  return TypeKernels{nullptr, nullptr, &One<kKind>, &Rows<kKind>};
}

// Columns outer, rows inner: a group of kC activation rows (f32, the larger operand) stays in
// L1 while the weight rows stream past it.
template <FloatKind kKind, int kR, int kC>
void ColumnsOuterTile(int64_t n, const uint8_t* w, size_t ws, int64_t n_rows, const uint8_t* x, size_t xs,
                      int64_t n_cols, float* out, size_t os) {
  ColumnGroups<kC, 3, 2, 1>(n_cols, [&]<int kCols>(int64_t c) {
    int64_t r = 0;
    for (; r + kR <= n_rows; r += kR) Step<kKind, kR, kCols>(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
    for (; r < n_rows; ++r) Step<kKind, 1, kCols>(n, w + r * ws, ws, x + c * xs, xs, out + c * os + r, os);
  });
}

template <FloatKind kKind>
constexpr VecDotTileFn kTile = &ColumnsOuterTile<kKind, 4, 6>;

}  // namespace

TypeKernels Avx512FloatKernels(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return Kernels<FloatKind::kF32>();
    case GgmlType::F16: return Kernels<FloatKind::kF16>();
    case GgmlType::BF16: return CpuHasAvx512Bf16() ? Kernels<FloatKind::kBF16Pairs>() : Kernels<FloatKind::kBF16>();
    default: return TypeKernels{};
  }
}

VecDotTileFn Avx512FloatTileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return kTile<FloatKind::kF32>;
    case GgmlType::F16: return kTile<FloatKind::kF16>;
    case GgmlType::BF16: return CpuHasAvx512Bf16() ? kTile<FloatKind::kBF16Pairs> : kTile<FloatKind::kBF16>;
    default: return nullptr;
  }
}

}  // namespace deepgate::quant
