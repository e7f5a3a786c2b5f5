// AVX2/FMA/F16C kernels for F32, F16, BF16, Q4_0, Q5_0 and Q8_0 weights, and the Q8_0
// activation quantizer. Compiled with -mavx2 -mfma -mf16c; called only after CpuHasAvx2().
//
// Multi-row kernels take kRows weight rows against one activation row so each activation
// vector is loaded once per kRows rows; a row's arithmetic is the same whatever kRows is, so
// VecDotRows gives bit-identical results to VecDot.
// Thread-safety: pure functions.
#include <cmath>
#include <type_traits>

#include "core/quant/blocks.h"
#include "core/quant/kernels.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {

TypeKernels Avx2KQuantKernels(GgmlType t);  // quant_k_avx2.cpp

namespace {

using avx2::HalfToFloat;
using avx2::HorizontalSum;

// ---- float weights (f32 activations; bf16 for BF16 weights) ----

using avx2::FloatAt;
using avx2::FloatKind;
using avx2::kActivationKind;
using avx2::LoadFloat8;

template <FloatKind kKind>
using ActivationOf = std::conditional_t<kKind == FloatKind::kBF16, uint16_t, float>;

// Two accumulators per row over 16-element steps, then an 8-element step and a scalar tail.
template <FloatKind kKind, int kRows>
void FloatDotRows(int64_t n, const uint8_t* w, size_t stride, const ActivationOf<kKind>* x, float* out) {
  constexpr FloatKind kX = kActivationKind<kKind>;
  __m256 acc0[kRows], acc1[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  PrefetchRange& pf = ThreadTilePrefetch();
  const uint8_t *pf_next = pf.next, *pf_end = pf.end;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    PrefetchStep<1>(pf_next, pf_end);  // the rows MatMul computes next (tile.h)
    if constexpr (kKind == FloatKind::kBF16) {  // both bf16: halves split alike (Bf16HalfOf16)
      const __m256 x0 = avx2::Bf16HalfOf16<false>(x + i), x1 = avx2::Bf16HalfOf16<true>(x + i);
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        const uint16_t* wr = reinterpret_cast<const uint16_t*>(w + r * stride) + i;
        acc0[r] = _mm256_fmadd_ps(avx2::Bf16HalfOf16<false>(wr), x0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(avx2::Bf16HalfOf16<true>(wr), x1, acc1[r]);
      }
      continue;
    }
    const __m256 x0 = LoadFloat8<kX>(x, i), x1 = LoadFloat8<kX>(x, i + 8);
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      acc0[r] = _mm256_fmadd_ps(LoadFloat8<kKind>(w + r * stride, i), x0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(LoadFloat8<kKind>(w + r * stride, i + 8), x1, acc1[r]);
    }
  }
  pf.next = pf_next;
  if (i + 8 <= n) {
    const __m256 x0 = LoadFloat8<kX>(x, i);
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      acc0[r] = _mm256_fmadd_ps(LoadFloat8<kKind>(w + r * stride, i), x0, acc0[r]);
    }
    i += 8;
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
    float sum = HorizontalSum(_mm256_add_ps(acc0[r], acc1[r]));
    for (int64_t k = i; k < n; ++k) sum += FloatAt<kKind>(w + r * stride, k) * FloatAt<kX>(x, k);
    out[r] = sum;
  }
}

// ---- 32-element blocks against Q8_0 activations ----

using avx2::BlockDotLanes;
using avx2::BlockKind;
using avx2::BlockOf;
using avx2::OffsetPairs;

template <BlockKind kKind, int kRows>
void BlockDotRows(int64_t n, const uint8_t* w, size_t stride, const BlockQ8_0* x, float* out) {
  using Block = typename BlockOf<kKind>::type;
  __m256 acc[kRows];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs));
    const __m256i x_offset = OffsetPairs<kKind>(xq);
    const float xd = HalfToFloat(x[i].d);
    // d_r * xd for every row: with four rows the fp16 scales are packed in a general register
    // and converted and multiplied as one vector (the same float products as one by one), which
    // keeps four scalar conversions off the vector ports.
    alignas(16) float dx[kRows];
    if constexpr (kRows == 4 && kKind != BlockKind::kQ8_0) {  // Q8_0 measured no faster
      uint64_t halves = 0;
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        halves |= static_cast<uint64_t>(reinterpret_cast<const Block*>(w + r * stride)[i].d) << (16 * r);
      }
      const __m128i packed = _mm_cvtsi64_si128(static_cast<long long>(halves));
      _mm_store_ps(dx, _mm_mul_ps(_mm_cvtph_ps(packed), _mm_set1_ps(xd)));
    } else {
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) dx[r] = HalfToFloat(reinterpret_cast<const Block*>(w + r * stride)[i].d) * xd;
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * stride)[i];
      const __m256i dot = BlockDotLanes<kKind>(b, xq, x_offset);
      acc[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(&dx[r]), _mm256_cvtepi32_ps(dot), acc[r]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) out[r] = HorizontalSum(acc[r]);
}

// ---- entry points ----

// Rows in groups of kGroup, the remainder one at a time.
template <typename Activation, void (*kGroupFn)(int64_t, const uint8_t*, size_t, const Activation*, float*),
          void (*kOneFn)(int64_t, const uint8_t*, size_t, const Activation*, float*), int kGroup>
void RowsInGroups(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row,
                  float* out) {
  const auto* w = static_cast<const uint8_t*>(w_rows);
  const auto* x = static_cast<const Activation*>(x_row);
  int64_t r = 0;
  for (; r + kGroup <= n_rows; r += kGroup) kGroupFn(n, w + r * stride, stride, x, out + r);
  for (; r < n_rows; ++r) kOneFn(n, w + r * stride, stride, x, out + r);
}

template <typename Activation, void (*kOneFn)(int64_t, const uint8_t*, size_t, const Activation*, float*)>
float OneRow(int64_t n, const void* w_row, const void* x_row) {
  float out;
  kOneFn(n, static_cast<const uint8_t*>(w_row), 0, static_cast<const Activation*>(x_row), &out);
  return out;
}

template <FloatKind kKind>
TypeKernels FloatKernels() {
  using X = ActivationOf<kKind>;
  return TypeKernels{nullptr, nullptr, &OneRow<X, FloatDotRows<kKind, 1>>,
                     &RowsInGroups<X, FloatDotRows<kKind, 4>, FloatDotRows<kKind, 1>, 4>};
}

template <BlockKind kKind>
TypeKernels BlockKernels(QuantizeFn quantize) {
  return TypeKernels{nullptr, quantize, &OneRow<BlockQ8_0, BlockDotRows<kKind, 1>>,
                     &RowsInGroups<BlockQ8_0, BlockDotRows<kKind, 4>, BlockDotRows<kKind, 1>, 4>};
}

// Same float operations as the scalar quantizer (amax / 127, multiply by the inverse, round
// half to even), so the blocks are identical.
void QuantizeQ8_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t i = 0; i < n / kQK; ++i, src += kQK) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(src + 8 * k);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_bit, v[k]));
    }
    const float d = avx2::HorizontalMax(amax) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = static_cast<uint16_t>(_cvtss_sh(d, _MM_FROUND_TO_NEAREST_INT));  // == F32ToFp16(d)
    const __m256 scale = _mm256_set1_ps(id);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
      q[k] = _mm256_cvtps_epi32(
          _mm256_round_ps(_mm256_mul_ps(v[k], scale), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    // packs interleave 128-bit lanes; the permute puts the 32 bytes back in element order.
    const __m256i q16a = _mm256_packs_epi32(q[0], q[1]), q16b = _mm256_packs_epi32(q[2], q[3]);
    const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b),
                                                   _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs), q8);
  }
}

}  // namespace

TypeKernels Avx2Kernels(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return FloatKernels<FloatKind::kF32>();
    case GgmlType::F16: return FloatKernels<FloatKind::kF16>();
    case GgmlType::BF16: return FloatKernels<FloatKind::kBF16>();
    case GgmlType::Q4_0: return BlockKernels<BlockKind::kQ4_0>(nullptr);
    case GgmlType::Q5_0: return BlockKernels<BlockKind::kQ5_0>(nullptr);
    case GgmlType::Q8_0: return BlockKernels<BlockKind::kQ8_0>(QuantizeQ8_0);
    default: return Avx2KQuantKernels(t);
  }
}

}  // namespace deepgate::quant
