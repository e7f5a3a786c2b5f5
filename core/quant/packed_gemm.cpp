// PackedGemm dispatch and the activation packing (plain C++: one pass per activation row).
#include "core/quant/packed_gemm.h"

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
  return ActiveKernels() == KernelSet::kAvx512 ? Avx512PackedGemm(w) : nullptr;
}

}  // namespace

bool HasPackedGemm(GgmlType w) { return ActivePackedGemm(w) != nullptr; }

void PackActivationRow(const float* x, int64_t n, void* dst) {
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

void PackWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst) {
  const int64_t nb = n / kQK;
  const size_t quant_bytes = PackedGroupQuantBytes(w);
  auto* out = static_cast<uint8_t*>(dst);
  std::memset(out, 0, PackedWeightBytes(w, n, n_rows));
  for (int64_t r = 0; r < n_rows; ++r) {
    const uint8_t* row = static_cast<const uint8_t*>(rows) + static_cast<size_t>(r) * row_stride;
    const int lane = static_cast<int>(r % kPackedGroupRows);
    uint8_t* group = out + static_cast<size_t>(r / kPackedGroupRows) * PackedGroupBytes(w, n);
    uint8_t* scales = group + static_cast<size_t>(nb) * quant_bytes;
    for (int64_t i = 0; i < nb; ++i) {
      uint8_t* q = group + static_cast<size_t>(i) * quant_bytes + 4 * lane;  // vector k at q + 64 k
      uint16_t d = 0;
      if (w == GgmlType::Q8_0) {
        const BlockQ8_0& b = reinterpret_cast<const BlockQ8_0*>(row)[i];
        d = b.d;
        for (int e = 0; e < kQK; ++e) q[64 * (e / 4) + e % 4] = static_cast<uint8_t>(b.qs[e] ^ 0x80);
      } else if (w == GgmlType::Q4_0) {
        const BlockQ4_0& b = reinterpret_cast<const BlockQ4_0*>(row)[i];
        d = b.d;
        for (int e = 0; e < kQK / 2; ++e) q[64 * (e / 4) + e % 4] = b.qs[e];
      } else {
        const BlockQ5_0& b = reinterpret_cast<const BlockQ5_0*>(row)[i];
        d = b.d;
        for (int e = 0; e < kQK / 2; ++e) q[64 * (e / 4) + e % 4] = b.qs[e];
        std::memcpy(q + 4 * 64, b.qh, 4);
      }
      std::memcpy(scales + static_cast<size_t>(i) * kPackedGroupScaleBytes + 2 * lane, &d, sizeof(d));
    }
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
