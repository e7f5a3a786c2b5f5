// AVX2/FMA/F16C tile kernels: kRows weight rows x kCols activation rows per inner step.
//   float weights (F32/F16/BF16) x f32 activations: 3 x 2.
//   Q4_0/Q5_0/Q8_0 x Q8_0: 4 x 2; each weight block is unpacked once for both activations;
//   per pair a maddubs, an int16 offset subtract (Q8_0: a sign), madd, convert, mul and fma.
// Remainders use the same templates with fewer rows/cols. Per (row, column) the arithmetic and
// its order are those of the VecDotRows kernels in quant_legacy_avx2.cpp, so a tile returns
// exactly what VecDot returns: batching never changes a model's logits.
// Thread-safety: pure functions.
#include <type_traits>

#include "core/quant/blocks.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {

namespace {

using avx2::HalfToFloat;
using avx2::HorizontalSum;

// ---- float weights ----

enum class FloatKind { kF32, kF16, kBF16 };

template <FloatKind kKind>
inline __m256 Load8Weights(const uint8_t* row, int64_t i) {
  if constexpr (kKind == FloatKind::kF32) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i));
    if constexpr (kKind == FloatKind::kF16) {
      return _mm256_cvtph_ps(h);
    } else {
      return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
  }
}

template <FloatKind kKind>
inline float WeightAt(const uint8_t* row, int64_t i) {
  if constexpr (kKind == FloatKind::kF32) {
    return reinterpret_cast<const float*>(row)[i];
  } else if constexpr (kKind == FloatKind::kF16) {
    return _cvtsh_ss(reinterpret_cast<const uint16_t*>(row)[i]);
  } else {
    uint32_t bits = static_cast<uint32_t>(reinterpret_cast<const uint16_t*>(row)[i]) << 16;
    float f;
    __builtin_memcpy(&f, &bits, sizeof(f));
    return f;
  }
}

// Same arithmetic per (row, column) as the VecDotRows float kernel (two accumulators over
// 16-element steps, an 8-element step, a scalar tail), so batched and one-by-one evaluation
// give bit-identical results; 3 x 2 keeps all 12 accumulators in registers.
template <FloatKind kKind, int kRows, int kCols>
void FloatTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  // BF16 weights take bf16 activations (VecDotType), the others f32.
  constexpr FloatKind kX = kKind == FloatKind::kBF16 ? FloatKind::kBF16 : FloatKind::kF32;
  __m256 acc0[kRows][kCols], acc1[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = acc1[r][c] = _mm256_setzero_ps();
  auto x_at = [&](int c, int64_t i) { return Load8Weights<kX>(x + c * xs, i); };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
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
      const __m256 wv = Load8Weights<kKind>(w + r * ws, i);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = _mm256_fmadd_ps(wv, xv[c], acc0[r][c]);
    }
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) xv[c] = x_at(c, i + 8);
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256 wv = Load8Weights<kKind>(w + r * ws, i + 8);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc1[r][c] = _mm256_fmadd_ps(wv, xv[c], acc1[r][c]);
    }
  }
  if (i + 8 <= n) {
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const __m256 wv = Load8Weights<kKind>(w + r * ws, i);
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc0[r][c] = _mm256_fmadd_ps(wv, x_at(c, i), acc0[r][c]);
    }
    i += 8;
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      float sum = HorizontalSum(_mm256_add_ps(acc0[r][c], acc1[r][c]));
      for (int64_t k = i; k < n; ++k) sum += WeightAt<kKind>(w + r * ws, k) * WeightAt<kX>(x + c * xs, k);
      out[c * os + r] = sum;
    }
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

template <FloatKind kKind>
constexpr VecDotTileFn kFloatTile = &Tiled<FloatTile<kKind, 3, 2>, FloatTile<kKind, 3, 1>, FloatTile<kKind, 1, 2>,
                                           FloatTile<kKind, 1, 1>, 3, 2>;
template <BlockKind kKind>
constexpr VecDotTileFn kBlockTile = &Tiled<BlockTile<kKind, 4, 2>, BlockTile<kKind, 4, 1>, BlockTile<kKind, 1, 2>,
                                           BlockTile<kKind, 1, 1>, 4, 2>;

}  // namespace

VecDotTileFn Avx2TileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return kFloatTile<FloatKind::kF32>;
    case GgmlType::F16: return kFloatTile<FloatKind::kF16>;
    case GgmlType::BF16: return kFloatTile<FloatKind::kBF16>;
    case GgmlType::Q4_0: return kBlockTile<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return kBlockTile<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return kBlockTile<BlockKind::kQ8_0>;
    default: return Avx2KQuantTileKernel(t);
  }
}

}  // namespace deepgate::quant
