// AVX-VNNI kernels for Q4_0 / Q5_0 / Q8_0 weights against Q8_0 activations: VecDotRows and
// VecDotTile. vpdpbusd adds four u8 x s8 products into an int32 lane in one instruction where
// AVX2 needs maddubs + madd (and, for Q4_0/Q5_0, an int16 offset subtract), and it starts from
// an accumulator, which carries each block's correction term at no cost:
//   Q4_0/Q5_0: lanes = dpbusd(-kOffset * sum4(x), stored nibbles, x)  (once per activation block)
//   Q8_0:      lanes = dpbusd(-128 * sum4(q), x + 128, q)             (once per weight block)
// Every int32 lane is exactly the AVX2 kernels' lane (the sum over elements 4k..4k+3 of q * x;
// no int16 step, so nothing can saturate), and the float steps are theirs too: acc += (wd * xd)
// * float(lane), a horizontal sum at the end. So these kernels return bit-identical results to
// the AVX2 ones, and rows, tiles and batches stay interchangeable on every CPU.
// Rows are the tile kernel with one activation column.
// Compiled with -mavx2 -mfma -mf16c -mavxvnni; called only after CpuHasAvxVnni().
// Thread-safety: pure functions.
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/simd_avx2.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

using avx2::BlockKind;
using avx2::BlockOf;
using avx2::HalfToFloat;
using avx2::HorizontalSum;

template <BlockKind kKind, int kRows, int kCols>
void VnniBlockTile(int64_t n, const uint8_t* w, size_t ws, const uint8_t* x, size_t xs, float* out, size_t os) {
  using Block = typename BlockOf<kKind>::type;
  const __m256i zero = _mm256_setzero_si256();
  __m256 acc[kRows][kCols];
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) acc[r][c] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK; ++i) {
    // Q8_0 weights: the activation as x + 128 (unsigned). Q4_0/Q5_0: x as is, and the lane
    // start -kOffset * sum4(x) that removes the offset of the stored nibbles.
    __m256i xv[kCols], x_start[kCols];
    uint64_t x_halves = 0;
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
      const BlockQ8_0& xb = reinterpret_cast<const BlockQ8_0*>(x + c * xs)[i];
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs));
      if constexpr (kKind == BlockKind::kQ8_0) {
        xv[c] = _mm256_xor_si256(xq, _mm256_set1_epi8(static_cast<char>(0x80)));
      } else {
        xv[c] = xq;
        x_start[c] = _mm256_sub_epi32(
            zero, _mm256_dpbusd_avx_epi32(zero, _mm256_set1_epi8(avx2::kOffset<kKind>), xq));
      }
      x_halves |= static_cast<uint64_t>(xb.d) << (16 * c);
    }
    // dx[c][r] = wd_r * xd_c for the whole step in one multiply; each pair then broadcasts its
    // product from memory (a load, not an arithmetic instruction). Same floats as wd * xd.
    alignas(32) float dx[kCols][4];
    {
      uint64_t w_halves = 0;
      _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
        w_halves |= static_cast<uint64_t>(reinterpret_cast<const Block*>(w + r * ws)[i].d) << (16 * r);
      }
      const __m128 wd = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(w_halves)));
      const __m128 xd = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(x_halves)));
      if constexpr (kCols == 2) {
        const __m256 xd2 = _mm256_setr_m128(_mm_shuffle_ps(xd, xd, 0x00), _mm_shuffle_ps(xd, xd, 0x55));
        _mm256_store_ps(&dx[0][0], _mm256_mul_ps(_mm256_setr_m128(wd, wd), xd2));
      } else {
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
          _mm_store_ps(dx[c], _mm_mul_ps(wd, _mm_broadcastss_ps(_mm_shuffle_ps(xd, xd, c * 0x55))));
        }
      }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r) {
      const Block& b = reinterpret_cast<const Block*>(w + r * ws)[i];
      __m256i dot[kCols];
      if constexpr (kKind == BlockKind::kQ8_0) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
        const __m256i start = _mm256_sub_epi32(
            zero, _mm256_dpbusd_avx_epi32(zero, _mm256_set1_epi8(static_cast<char>(0x80)), q));
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) dot[c] = _mm256_dpbusd_avx_epi32(start, xv[c], q);
      } else {
        const __m256i q = avx2::UnsignedQuants<kKind>(b);
        _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) dot[c] = _mm256_dpbusd_avx_epi32(x_start[c], q, xv[c]);
      }
      _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) {
        acc[r][c] = _mm256_fmadd_ps(_mm256_broadcast_ss(&dx[c][r]), _mm256_cvtepi32_ps(dot[c]), acc[r][c]);
      }
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < kRows; ++r)
    _Pragma("GCC unroll 16") for (int c = 0; c < kCols; ++c) out[c * os + r] = HorizontalSum(acc[r][c]);
}

template <BlockKind kKind>
constexpr VecDotTileFn kTile = &Tiled<VnniBlockTile<kKind, 4, 2>, VnniBlockTile<kKind, 4, 1>,
                                      VnniBlockTile<kKind, 1, 2>, VnniBlockTile<kKind, 1, 1>, 4, 2>;

template <BlockKind kKind>
void Rows(int64_t n, const void* w_rows, size_t stride, int64_t n_rows, const void* x_row, float* out) {
  Tiled<VnniBlockTile<kKind, 4, 1>, VnniBlockTile<kKind, 4, 1>, VnniBlockTile<kKind, 1, 1>,
        VnniBlockTile<kKind, 1, 1>, 4, 1>(n, static_cast<const uint8_t*>(w_rows), stride, n_rows,
                                          static_cast<const uint8_t*>(x_row), 0, 1, out, 0);
}

template <BlockKind kKind>
float One(int64_t n, const void* w_row, const void* x_row) {
  float out;
  VnniBlockTile<kKind, 1, 1>(n, static_cast<const uint8_t*>(w_row), 0, static_cast<const uint8_t*>(x_row), 0,
                             &out, 0);
  return out;
}

template <BlockKind kKind>
TypeKernels Kernels() {
  return TypeKernels{nullptr, nullptr, &One<kKind>, &Rows<kKind>};
}

}  // namespace

TypeKernels AvxVnniKernels(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return Kernels<BlockKind::kQ4_0>();
    case GgmlType::Q5_0: return Kernels<BlockKind::kQ5_0>();
    case GgmlType::Q8_0: return Kernels<BlockKind::kQ8_0>();
    default: return TypeKernels{};
  }
}

VecDotTileFn AvxVnniTileKernel(GgmlType t) {
  switch (t) {
    case GgmlType::Q4_0: return kTile<BlockKind::kQ4_0>;
    case GgmlType::Q5_0: return kTile<BlockKind::kQ5_0>;
    case GgmlType::Q8_0: return kTile<BlockKind::kQ8_0>;
    default: return nullptr;
  }
}

}  // namespace deepgate::quant
