// PackedGemm dispatch and the activation packing (plain C++: one pass per activation row).
#include "core/quant/packed_gemm.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "core/fp16.h"
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"
#include "core/quant/quant.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

PackedGemmFn ActivePackedGemm(GgmlType w) {
  switch (ActiveKernels()) {
    case KernelSet::kAvx512: return Avx512PackedGemm(w);
    case KernelSet::kAvxVnni: return AvxVnniPackedGemm(w);
    case KernelSet::kAvx2: return Avx2PackedGemm(w);
    case KernelSet::kScalar: break;
  }
  return nullptr;
}

}  // namespace

bool HasPackedGemm(GgmlType w) { return ActivePackedGemm(w) != nullptr; }

void PackActivationRow(GgmlType w, const float* x, int64_t n, void* dst) {
  if (IsPackedKType(w)) {
    PackKActivationRow(x, n, dst);
    return;
  }
  const int64_t nb = n / kQK;
  thread_local std::vector<BlockQ8_0> q8;
  q8.resize(static_cast<size_t>(nb));
  QuantizeRow(GgmlType::Q8_0, x, q8.data(), n);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t i = 0; i < nb; ++i, out += kPackedActivationBlockBytes) {
    const BlockQ8_0& b = q8[static_cast<size_t>(i)];
    int32_t sum = 0;
    for (int8_t q : b.qs) sum += q;
    const float d = Fp16ToF32(b.d);
    const int32_t corr[3] = {-8 * sum, -16 * sum, -128 * sum};
    std::memcpy(out, b.qs, kQK);
    std::memcpy(out + kQK, &d, sizeof(d));
    std::memcpy(out + kQK + sizeof(d), corr, sizeof(corr));
  }
}

size_t PackedWeightBytes(GgmlType w, int64_t n, int64_t n_rows) {
  return static_cast<size_t>((n_rows + kPackedGroupRows - 1) / kPackedGroupRows) * PackedGroupBytes(w, n);
}

namespace {

// Q5_0's qh word (bit e = element e's fifth bit) reordered so that byte i holds, in bit k, the
// fifth bit of element 4k + i: the kernels' quant vector k (elements 4k..4k+3) then takes its
// fifth bits with one shift and one mask.
uint32_t Q5FifthBitsByVector(uint32_t qh) {
  uint32_t out = 0;
  for (int i = 0; i < 4; ++i) {
    for (int k = 0; k < 8; ++k) out |= ((qh >> (4 * k + i)) & 1u) << (8 * i + k);
  }
  return out;
}

// Block i of n_rows rows (from rows[0], stride row_stride) into one packed group block: q
// (the block's quant vectors, vector k at q + 64 k, row r at lane bytes 4r..4r+3) and
// scales (16 fp16). Block-major, so each destination line is written whole while it is in
// cache (row-major packing walked every line of a group 16 times).
void PackBlock(GgmlType w, const uint8_t* rows, size_t row_stride, int n_rows, uint8_t* q, uint8_t* scales) {
  const int n_vectors = w == GgmlType::Q8_0 ? 8 : 4;
  const size_t qs_offset = w == GgmlType::Q5_0 ? offsetof(BlockQ5_0, qs) : offsetof(BlockQ8_0, qs);
  const uint32_t flip = w == GgmlType::Q8_0 ? 0x80808080u : 0;  // Q8_0: q + 128 as unsigned bytes
  for (int k = 0; k < n_vectors; ++k) {
    uint32_t lanes[kPackedGroupRows] = {};
    for (int r = 0; r < n_rows; ++r) {
      std::memcpy(&lanes[r], rows + static_cast<size_t>(r) * row_stride + qs_offset + 4 * k, 4);
      lanes[r] ^= flip;
    }
    std::memcpy(q + 64 * k, lanes, sizeof(lanes));
  }
  uint32_t qh[kPackedGroupRows] = {};
  uint16_t d[kPackedGroupRows] = {};
  for (int r = 0; r < n_rows; ++r) {
    const uint8_t* b = rows + static_cast<size_t>(r) * row_stride;
    std::memcpy(&d[r], b, sizeof(uint16_t));  // d is every legacy block's first field
    if (w == GgmlType::Q5_0) std::memcpy(&qh[r], b + offsetof(BlockQ5_0, qh), 4);
  }
  if (w == GgmlType::Q5_0) {
    for (uint32_t& h : qh) h = Q5FifthBitsByVector(h);
    std::memcpy(q + 64 * 4, qh, sizeof(qh));
  }
  std::memcpy(scales, d, sizeof(d));
}

}  // namespace

void PackWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst) {
  if (IsPackedKType(w)) {
    PackKWeights(w, n, rows, row_stride, n_rows, dst);
    return;
  }
  const int64_t nb = n / kQK;
  const size_t quant_bytes = PackedGroupQuantBytes(w);
  const size_t block_bytes = w == GgmlType::Q8_0 ? sizeof(BlockQ8_0) : w == GgmlType::Q4_0 ? sizeof(BlockQ4_0)
                                                                                            : sizeof(BlockQ5_0);
  const size_t group_bytes = PackedGroupBytes(w, n);
  const size_t used = static_cast<size_t>(nb) * (quant_bytes + kPackedGroupScaleBytes);
  auto* out = static_cast<uint8_t*>(dst);
  for (int64_t r0 = 0; r0 < n_rows; r0 += kPackedGroupRows) {
    const uint8_t* src = static_cast<const uint8_t*>(rows) + static_cast<size_t>(r0) * row_stride;
    const int rows_here = static_cast<int>(std::min<int64_t>(kPackedGroupRows, n_rows - r0));
    uint8_t* group = out + static_cast<size_t>(r0 / kPackedGroupRows) * group_bytes;
    uint8_t* scales = group + static_cast<size_t>(nb) * quant_bytes;
    for (int64_t i = 0; i < nb; ++i) {
      PackBlock(w, src + static_cast<size_t>(i) * block_bytes, row_stride, rows_here,
                group + static_cast<size_t>(i) * quant_bytes, scales + kPackedGroupScaleBytes * i);
    }
    std::memset(group + used, 0, group_bytes - used);
  }
}

void PackedGemm(GgmlType w, int64_t n, const void* w_packed, int64_t n_rows, const void* x_rows, size_t x_row_stride,
                int64_t n_cols, float* out, size_t out_stride) {
  if (const PackedGemmFn f = ActivePackedGemm(w)) {
    f(n, static_cast<const uint8_t*>(w_packed), n_rows, static_cast<const uint8_t*>(x_rows), x_row_stride, n_cols,
      out, out_stride);
  }
}

}  // namespace deepgate::quant
