// The per-block integer dot of Q4_0 / Q5_0 / Q8_0 weights with a Q8_0 activation block, shared
// by the AVX2 VecDotRows kernels (quant_legacy_avx2.cpp) and tile kernels (tile_avx2.cpp) so
// both produce the same int32 lanes, which keeps batched and one-by-one results identical.
// Include only from files compiled with -mavx2 -mfma -mf16c.
// Thread-safety: pure inline functions.
#pragma once

#include "core/quant/blocks.h"
#include "core/quant/simd_avx2.h"

namespace deepgate::quant::avx2 {
inline namespace DEEPGATE_SIMD_BUILD {  // see simd_avx2.h

enum class BlockKind { kQ4_0, kQ5_0, kQ8_0 };

template <BlockKind kKind>
struct BlockOf;
template <>
struct BlockOf<BlockKind::kQ4_0> { using type = BlockQ4_0; };
template <>
struct BlockOf<BlockKind::kQ5_0> { using type = BlockQ5_0; };
template <>
struct BlockOf<BlockKind::kQ8_0> { using type = BlockQ8_0; };

// Q4_0 / Q5_0: the stored quants as unsigned bytes (0..15 / 0..31), i.e. value + kOffset.
template <BlockKind kKind>
inline constexpr int kOffset = kKind == BlockKind::kQ4_0 ? 8 : 16;

template <BlockKind kKind>
inline __m256i UnsignedQuants(const typename BlockOf<kKind>::type& b) {
  const __m256i nibbles = NibblesOf16BytesBroadcast(b.qs);
  if constexpr (kKind == BlockKind::kQ4_0) {
    return nibbles;
  } else {
    return _mm256_or_si256(nibbles, _mm256_and_si256(BytesFromBits32(b.qh), _mm256_set1_epi8(0x10)));
  }
}

// Eight int32 lanes, lane k = sum over elements 4k..4k+3 of value * x: the same integers for
// every kernel (rows, tiles), so the float steps after them decide bit-exactness alone.
// Q8_0 weights are signed, so maddubs gets |q| and x with q's sign. Q4_0/Q5_0 weights go in
// unsigned (stored nibbles) and kOffset * x comes off in int16, which saves the sign steps:
// |pair| <= 2 * 31 * 127 + 16 * 254 < 2^15, so nothing saturates.
template <BlockKind kKind>
inline __m256i BlockDotLanes(const typename BlockOf<kKind>::type& b, __m256i xq, __m256i x_offset16) {
  if constexpr (kKind == BlockKind::kQ8_0) {
    (void)x_offset16;
    return DotInt8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs)), xq);
  } else {
    const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(UnsignedQuants<kKind>(b), xq), x_offset16);
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  }
}

// kOffset * (x[2j] + x[2j+1]) as int16 pairs (unused for Q8_0).
template <BlockKind kKind>
inline __m256i OffsetPairs(__m256i xq) {
  if constexpr (kKind == BlockKind::kQ8_0) {
    return xq;
  } else {
    return _mm256_maddubs_epi16(_mm256_set1_epi8(kOffset<kKind>), xq);
  }
}

}  // namespace DEEPGATE_SIMD_BUILD
}  // namespace deepgate::quant::avx2
