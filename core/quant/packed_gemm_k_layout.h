// The packed K-quant layout (Q4_K / Q5_K / Q6_K) shared by PackKWeights and the AVX-512
// kernel, and the packed Q8_K activation block.
//
// One packed block = 256 elements of 16 rows (lane r of every 64-byte vector = row r; a
// padding row is all zero). Sub-block s (0..7) = elements 32s..32s+31; chunk j (0..3) =
// sub-blocks 2j, 2j+1, which share stored bytes as in the GGUF block.
//   quants    32 vectors, vector 8j + k, lane r = the row's low-4-bit bytes 4k..4k+3 of
//             chunk j: low nibbles elements 64j + 4k.., high nibbles 64j + 32 + 4k..
//             (Q4_K/Q5_K: the stored qs; Q6_K: ql rearranged into the same order)
//   high bits Q5_K: 8 vectors, vector k lane r = qh bytes 4k..4k+3 (bit 2j + h of byte b =
//             the fifth bit of element 64j + 32h + b, as stored);
//             Q6_K: 16 vectors, vector 8p + k lane r = bytes 4k..4k+3 of part p (chunks 2p,
//             2p+1): bits 2(2(j&1) + h) .. +1 of byte b = bits 4-5 of element 64j + 32h + b
//   scales    Q4_K/Q5_K: 8 x 16 bytes, sc[s][r] (6-bit); Q6_K: 16 x 16 int8, sc[g][r] for
//             the 16-element groups g
//   mins      Q4_K/Q5_K: 4 x 32 bytes, pair j = (m[2j][r], m[2j+1][r]) at bytes 2r, 2r+1:
//             zero-extended to int16, lane r is the pair vpdpwssd multiplies with the
//             activation's (sum[2j], sum[2j+1])
//   d, dmin   16 fp16 each (Q6_K: d only), then zero padding to the block size
// Thread-safety: constants only.
#pragma once

#include <cstddef>

#include "core/ggml_type.h"
#include "core/quant/packed_gemm.h"

namespace deepgate::quant::packed_k {

inline constexpr size_t kQuants = 0;
inline constexpr size_t kHighBits = 32 * 64;
template <GgmlType kT>
inline constexpr size_t kScales = kT == GgmlType::Q4_K ? kHighBits : kT == GgmlType::Q5_K ? kHighBits + 8 * 64
                                                                                          : kHighBits + 16 * 64;
template <GgmlType kT>
inline constexpr size_t kMins = kScales<kT> + 8 * 16;  // Q4_K / Q5_K only
template <GgmlType kT>
inline constexpr size_t kD = kT == GgmlType::Q6_K ? kScales<kT> + 16 * 16 : kMins<kT> + 4 * 32;
template <GgmlType kT>
inline constexpr size_t kDmin = kD<kT> + 32;  // Q4_K / Q5_K only
template <GgmlType kT>
inline constexpr size_t kUsed = kT == GgmlType::Q6_K ? kD<kT> + 32 : kDmin<kT> + 32;

static_assert(kUsed<GgmlType::Q4_K> <= PackedKBlockBytes(GgmlType::Q4_K));
static_assert(kUsed<GgmlType::Q5_K> <= PackedKBlockBytes(GgmlType::Q5_K));
static_assert(kUsed<GgmlType::Q6_K> <= PackedKBlockBytes(GgmlType::Q6_K));
static_assert(PackedKBlockBytes(GgmlType::Q4_K) - kUsed<GgmlType::Q4_K> < 64);
static_assert(PackedKBlockBytes(GgmlType::Q5_K) - kUsed<GgmlType::Q5_K> < 64);
static_assert(PackedKBlockBytes(GgmlType::Q6_K) - kUsed<GgmlType::Q6_K> < 64);

// The packed activation block (kPackedKActivationBlockBytes): the Q8_K block's quants, its
// scale, the sums of its 32-element sub-blocks (int16, pairs read as one int32), and
// -32 x the sums of its 16-element groups (int32, Q6_K's offset).
inline constexpr size_t kXQuants = 0;
inline constexpr size_t kXScale = 256;
inline constexpr size_t kXSums32 = 260;
inline constexpr size_t kXCorr16 = 276;
static_assert(kXCorr16 + 16 * 4 <= kPackedKActivationBlockBytes);

}  // namespace deepgate::quant::packed_k
