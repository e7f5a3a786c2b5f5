// Internal to the PackedGemm kernels (packed_gemm_avx2.cpp, packed_gemm_avx512.cpp): the
// packed activation block's offsets, unaligned scalar loads from it, and the prefetch and
// column-chunk sizes both kernels stream with. Included by files compiled for different
// instruction sets, so everything here has internal linkage.
// Thread-safety: constants and pure inline functions.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/ggml_type.h"
#include "core/quant/legacy_block_avx2.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

// A packed activation block: int8 q[32], then f32 scale, then the corrections for offsets 8,
// 16 and 128 (int32 each).
constexpr size_t kXScale = 32;
template <avx2::BlockKind kKind>
constexpr GgmlType kType = kKind == avx2::BlockKind::kQ4_0   ? GgmlType::Q4_0
                           : kKind == avx2::BlockKind::kQ5_0 ? GgmlType::Q5_0
                                                             : GgmlType::Q8_0;
template <avx2::BlockKind kKind>
constexpr size_t kCorrOffset = kKind == avx2::BlockKind::kQ4_0 ? 36 : kKind == avx2::BlockKind::kQ5_0 ? 40 : 44;

// Activation rows per pass over a tile's row groups: 64 rows of a 4864-wide FFN input are
// 467 KiB, which stays in L2 while every row group of the tile reads them.
constexpr int64_t kColChunk = 64;
// Narrow steps (decode, a few streams) are memory-bound: they prefetch this far ahead in the
// packed quant stream (which runs on into the next group), a block's lines per block.
constexpr size_t kPrefetchAhead = 8192;
constexpr int64_t kPrefetchCols = 16;

// The legacy layout keeps a group's scales after its quants: a second stream, one 64-byte
// line per two blocks, which the quant prefetch does not cover. Called per block in narrow
// steps, it fetches the scale line of the block as far ahead as the quant prefetch (past the
// last block: the next group's first scales, which the next call reads first).
template <GgmlType kT>
inline void PrefetchScales(const uint8_t* scales, int64_t i, int64_t nb) {
  constexpr int64_t kAheadBlocks = static_cast<int64_t>(kPrefetchAhead / PackedGroupQuantBytes(kT));
  if (i % 2 != 0) return;
  const int64_t j = i + kAheadBlocks;
  if (j < nb) {
    _mm_prefetch(reinterpret_cast<const char*>(scales + kPackedGroupScaleBytes * j), _MM_HINT_T0);
  } else if (j < 2 * nb) {
    const size_t group_bytes = PackedGroupBytes(kT, nb * kQK);
    _mm_prefetch(reinterpret_cast<const char*>(scales + group_bytes + kPackedGroupScaleBytes * (j - nb)), _MM_HINT_T0);
  }
}

// The tiling every PackedGemm kernel shares: chunks of kColChunk activation rows, then the
// 16-row groups in kPasses passes of 16 / kPasses rows (a ymm kernel takes a group as two
// 8-row halves), then ColumnGroups<kCols, kRest...> of the chunk's activation rows. Calls
// micro.template operator()<kC, kPrefetch>(group, pass, first activation row, rows in the
// pass); narrow steps (decode, a few streams: n_cols <= kPrefetchCols) prefetch in the first
// pass, which fetches the group from memory (later passes find it in cache).
template <int kPasses, int kCols, int... kRest, typename Micro>
inline void PackedTiles(int64_t n_rows, int64_t n_cols, Micro&& micro) {
  constexpr int kPassRows = kPackedGroupRows / kPasses;
  const bool prefetch = n_cols <= kPrefetchCols;
  const int64_t n_groups = (n_rows + kPackedGroupRows - 1) / kPackedGroupRows;
  for (int64_t c0 = 0; c0 < n_cols; c0 += kColChunk) {
    const int64_t nc = std::min(kColChunk, n_cols - c0);
    for (int64_t g = 0; g < n_groups; ++g) {
      for (int pass = 0; pass < kPasses; ++pass) {
        const int64_t r0 = g * kPackedGroupRows + pass * kPassRows;
        if (r0 >= n_rows) break;
        const int rows = static_cast<int>(std::min<int64_t>(kPassRows, n_rows - r0));
        ColumnGroups<kCols, kRest...>(nc, [&]<int kC>(int64_t c) {
          if (prefetch && pass == 0) {
            micro.template operator()<kC, true>(g, pass, c0 + c, rows);
          } else {
            micro.template operator()<kC, false>(g, pass, c0 + c, rows);
          }
        });
      }
    }
  }
}

inline int32_t LoadI32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
inline float LoadF32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

}  // namespace
}  // namespace deepgate::quant
