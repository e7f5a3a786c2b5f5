// PackKWeights and PackKActivationRow: the K-quant packed forms (packed_gemm_k_layout.h).
// Plain C++, run once per matrix at load and once per activation row per matmul.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/quant/blocks.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/packed_gemm_k_layout.h"
#include "core/quant/quant.h"

namespace deepgate::quant {
namespace {

using namespace packed_k;

// Writes 4 bytes of row r into lane r of the 64-byte vector at v.
inline void PutLane(uint8_t* v, int r, const uint8_t* four) { std::memcpy(v + 4 * r, four, 4); }

template <typename Block>
void PackK4Block(const uint8_t* rows, size_t row_stride, int n_rows, uint8_t* out) {
  constexpr GgmlType kT = std::is_same_v<Block, BlockQ5_K> ? GgmlType::Q5_K : GgmlType::Q4_K;
  for (int r = 0; r < n_rows; ++r) {
    const auto* b = reinterpret_cast<const Block*>(rows + static_cast<size_t>(r) * row_stride);
    for (int v = 0; v < 32; ++v) PutLane(out + kQuants + 64 * v, r, b->qs + 4 * v);
    if constexpr (kT == GgmlType::Q5_K) {
      for (int k = 0; k < 8; ++k) PutLane(out + kHighBits + 64 * k, r, b->qh + 4 * k);
    }
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      UnpackScaleMinK4(b->scales, s, &sc, &m);
      out[kScales<kT> + 16 * s + r] = sc;
      out[kMins<kT> + 32 * (s / 2) + 2 * r + (s % 2)] = m;
    }
    std::memcpy(out + kD<kT> + 2 * r, &b->d, 2);
    std::memcpy(out + kDmin<kT> + 2 * r, &b->dmin, 2);
  }
}

// The layout's chunk j = Q6_K half j / 2, whose ql bytes b and 32 + b hold elements 64j + b
// and 64j + 32 + b in their low (even j) or high (odd j) nibbles; the high-bit part p is the
// stored qh of half p as it is.
void PackQ6KBlock(const uint8_t* rows, size_t row_stride, int n_rows, uint8_t* out) {
  constexpr GgmlType kT = GgmlType::Q6_K;
  for (int r = 0; r < n_rows; ++r) {
    const auto* b = reinterpret_cast<const BlockQ6_K*>(rows + static_cast<size_t>(r) * row_stride);
    for (int j = 0; j < 4; ++j) {
      const uint8_t* ql = b->ql + 64 * (j / 2);
      for (int k = 0; k < 8; ++k) {
        uint8_t low[4];
        for (int i = 0; i < 4; ++i) {
          const uint8_t lo = ql[4 * k + i], hi = ql[32 + 4 * k + i];
          low[i] = j % 2 == 0 ? static_cast<uint8_t>((lo & 0x0F) | (hi << 4)) : static_cast<uint8_t>((lo >> 4) | (hi & 0xF0));
        }
        PutLane(out + kQuants + 64 * (8 * j + k), r, low);
      }
    }
    for (int v = 0; v < 16; ++v) PutLane(out + kHighBits + 64 * v, r, b->qh + 4 * v);
    for (int g = 0; g < 16; ++g) out[kScales<kT> + 16 * g + r] = static_cast<uint8_t>(b->scales[g]);
    std::memcpy(out + kD<kT> + 2 * r, &b->d, 2);
  }
}

}  // namespace

void PackKWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst) {
  const int64_t nb = n / kQK_K;
  const size_t block_bytes = PackedKBlockBytes(w);
  const size_t src_block = w == GgmlType::Q4_K ? sizeof(BlockQ4_K) : w == GgmlType::Q5_K ? sizeof(BlockQ5_K)
                                                                                         : sizeof(BlockQ6_K);
  const size_t group_bytes = PackedGroupBytes(w, n);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t r0 = 0; r0 < n_rows; r0 += kPackedGroupRows) {
    const uint8_t* src = static_cast<const uint8_t*>(rows) + static_cast<size_t>(r0) * row_stride;
    const int rows_here = static_cast<int>(std::min<int64_t>(kPackedGroupRows, n_rows - r0));
    uint8_t* group = out + static_cast<size_t>(r0 / kPackedGroupRows) * group_bytes;
    std::memset(group, 0, group_bytes);  // padding rows and the block tails
    for (int64_t i = 0; i < nb; ++i) {
      const uint8_t* b = src + static_cast<size_t>(i) * src_block;
      uint8_t* o = group + static_cast<size_t>(i) * block_bytes;
      switch (w) {
        case GgmlType::Q4_K: PackK4Block<BlockQ4_K>(b, row_stride, rows_here, o); break;
        case GgmlType::Q5_K: PackK4Block<BlockQ5_K>(b, row_stride, rows_here, o); break;
        default: PackQ6KBlock(b, row_stride, rows_here, o); break;
      }
    }
  }
}

void PackKActivationRow(const float* x, int64_t n, void* dst) {
  const int64_t nb = n / kQK_K;
  thread_local std::vector<BlockQ8_K> q8;
  q8.resize(static_cast<size_t>(nb));
  QuantizeRow(GgmlType::Q8_K, x, q8.data(), n);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kPackedKActivationBlockBytes) {
    const BlockQ8_K& b = q8[static_cast<size_t>(i)];
    int16_t sums32[8];
    int32_t corr16[16];
    for (int s = 0; s < 8; ++s) sums32[s] = static_cast<int16_t>(b.bsums[2 * s] + b.bsums[2 * s + 1]);
    for (int g = 0; g < 16; ++g) corr16[g] = -32 * b.bsums[g];
    std::memcpy(out + kXQuants, b.qs, kQK_K);
    std::memcpy(out + kXScale, &b.d, sizeof(b.d));
    std::memcpy(out + kXSums32, sums32, sizeof(sums32));
    std::memcpy(out + kXCorr16, corr16, sizeof(corr16));
    std::memset(out + kXCorr16 + sizeof(corr16), 0, kPackedKActivationBlockBytes - kXCorr16 - sizeof(corr16));
  }
}

}  // namespace deepgate::quant
