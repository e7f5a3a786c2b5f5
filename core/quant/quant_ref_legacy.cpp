// Scalar reference kernels for F32, F16, BF16 and the 32-element block types (Q4_0, Q4_1,
// Q5_0, Q5_1, Q8_0). Plain loops that follow the format definitions; the SIMD kernels are
// tested against these.
// Thread-safety: pure functions.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"

namespace deepgate::quant {
namespace {

// ---- plain float types (activations are f32) ----

void DequantizeF32(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void QuantizeF32(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void DequantizeF16(const void* src, float* dst, int64_t n) {
  const auto* h = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Fp16ToF32(h[i]);
}
void QuantizeF16(const float* src, void* dst, int64_t n) {
  auto* h = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) h[i] = F32ToFp16(src[i]);
}
void DequantizeBF16(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Bf16ToF32(b[i]);
}
void QuantizeBF16(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) b[i] = F32ToBf16(src[i]);
}

float VecDotF32(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const float*>(w_row);
  const auto* x = static_cast<const float*>(x_row);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(w[i]) * x[i];
  return static_cast<float>(sum);
}
float VecDotF16(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* x = static_cast<const float*>(x_row);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Fp16ToF32(w[i])) * x[i];
  return static_cast<float>(sum);
}
// Activations in bf16, as llama.cpp's BF16 matmul takes them (VecDotType).
float VecDotBF16(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const uint16_t*>(w_row);
  const auto* x = static_cast<const uint16_t*>(x_row);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Bf16ToF32(w[i])) * Bf16ToF32(x[i]);
  return static_cast<float>(sum);
}

// ---- 32-element blocks ----

// Signed value of largest magnitude in [x, x + count) (the first one on ties).
float SignedAbsMax(const float* x, int count) {
  float best = 0, best_abs = 0;
  for (int i = 0; i < count; ++i) {
    if (std::fabs(x[i]) > best_abs) best_abs = std::fabs(x[i]), best = x[i];
  }
  return best;
}

// Element j's fifth bit (0 or 16) of a Q5 block.
int Q5HighBit(const uint8_t* qh, int j) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof(bits));
  return static_cast<int>((bits >> j) & 1u) << 4;
}

// Unsigned quant of element j (0..31) of a block with nibbles qs and optional fifth bits.
int Nibble(const uint8_t* qs, int j) { return j < 16 ? (qs[j] & 0xF) : (qs[j - 16] >> 4); }

void DequantizeQ4_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = Fp16ToF32(b[i].d);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = d * static_cast<float>(Nibble(b[i].qs, j) - 8);
  }
}
void DequantizeQ4_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = Fp16ToF32(b[i].d), m = Fp16ToF32(b[i].m);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = d * static_cast<float>(Nibble(b[i].qs, j)) + m;
  }
}
void DequantizeQ5_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = Fp16ToF32(b[i].d);
    for (int j = 0; j < kQK; ++j) {
      dst[i * kQK + j] = d * static_cast<float>((Nibble(b[i].qs, j) | Q5HighBit(b[i].qh, j)) - 16);
    }
  }
}
void DequantizeQ5_1(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_1*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = Fp16ToF32(b[i].d), m = Fp16ToF32(b[i].m);
    for (int j = 0; j < kQK; ++j) {
      dst[i * kQK + j] = d * static_cast<float>(Nibble(b[i].qs, j) | Q5HighBit(b[i].qh, j)) + m;
    }
  }
}
void DequantizeQ8_0(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float d = Fp16ToF32(b[i].d);
    for (int j = 0; j < kQK; ++j) dst[i * kQK + j] = d * static_cast<float>(b[i].qs[j]);
  }
}

// Q8_0: d = amax / 127, q = round-half-even(x / d). The AVX2 quantizer computes the same
// float operations, so both produce identical blocks.
void QuantizeQ8_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    float amax = 0;
    for (int j = 0; j < kQK; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = F32ToFp16(d);
    for (int j = 0; j < kQK; ++j) b[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
  }
}

// Q4_0 / Q5_0: the signed extreme maps to the most negative quant (-8 / -16) so the full
// range is used; q = trunc(x / d + offset + 0.5) clamped to the top quant.
void QuantizeQ4_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    const float d = SignedAbsMax(x, kQK) / -8.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = F32ToFp16(d);
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(15, static_cast<int>(x[j] * id + 8.5f));
      const int q1 = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
      b[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}
void QuantizeQ5_0(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_0*>(dst);
  for (int64_t i = 0; i < n / kQK; ++i) {
    const float* x = src + i * kQK;
    const float d = SignedAbsMax(x, kQK) / -16.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    b[i].d = F32ToFp16(d);
    uint32_t high_bits = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const int q0 = std::min(31, static_cast<int>(x[j] * id + 16.5f));
      const int q1 = std::min(31, static_cast<int>(x[j + 16] * id + 16.5f));
      b[i].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      high_bits |= static_cast<uint32_t>(q0 >> 4) << j;
      high_bits |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    std::memcpy(b[i].qh, &high_bits, sizeof(high_bits));
  }
}

// Dot products against Q8_0 activations: integer sums per block, scaled once per block.
int Q8Sum(const int8_t* q) {
  int s = 0;
  for (int j = 0; j < kQK; ++j) s += q[j];
  return s;
}

float VecDotQ8_0(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ8_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += w[i].qs[j] * x[i].qs[j];
    sum += static_cast<float>(sumi) * Fp16ToF32(w[i].d) * Fp16ToF32(x[i].d);
  }
  return sum;
}
float VecDotQ4_0(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ4_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += (Nibble(w[i].qs, j) - 8) * x[i].qs[j];
    sum += static_cast<float>(sumi) * Fp16ToF32(w[i].d) * Fp16ToF32(x[i].d);
  }
  return sum;
}
float VecDotQ4_1(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ4_1*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += Nibble(w[i].qs, j) * x[i].qs[j];
    const float dx = Fp16ToF32(x[i].d);
    sum += static_cast<float>(sumi) * Fp16ToF32(w[i].d) * dx +
           Fp16ToF32(w[i].m) * dx * static_cast<float>(Q8Sum(x[i].qs));
  }
  return sum;
}
float VecDotQ5_0(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ5_0*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) {
      sumi += ((Nibble(w[i].qs, j) | Q5HighBit(w[i].qh, j)) - 16) * x[i].qs[j];
    }
    sum += static_cast<float>(sumi) * Fp16ToF32(w[i].d) * Fp16ToF32(x[i].d);
  }
  return sum;
}
float VecDotQ5_1(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ5_1*>(w_row);
  const auto* x = static_cast<const BlockQ8_0*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK; ++j) sumi += (Nibble(w[i].qs, j) | Q5HighBit(w[i].qh, j)) * x[i].qs[j];
    const float dx = Fp16ToF32(x[i].d);
    sum += static_cast<float>(sumi) * Fp16ToF32(w[i].d) * dx +
           Fp16ToF32(w[i].m) * dx * static_cast<float>(Q8Sum(x[i].qs));
  }
  return sum;
}

template <VecDotFn kDot>
TypeKernels Make(DequantizeFn dequantize, QuantizeFn quantize) {
  return TypeKernels{dequantize, quantize, kDot, &VecDotRowsByRow<kDot>};
}

}  // namespace

TypeKernels ScalarLegacyKernels(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return Make<VecDotF32>(DequantizeF32, QuantizeF32);
    case GgmlType::F16: return Make<VecDotF16>(DequantizeF16, QuantizeF16);
    case GgmlType::BF16: return Make<VecDotBF16>(DequantizeBF16, QuantizeBF16);
    case GgmlType::Q4_0: return Make<VecDotQ4_0>(DequantizeQ4_0, QuantizeQ4_0);
    case GgmlType::Q4_1: return Make<VecDotQ4_1>(DequantizeQ4_1, nullptr);
    case GgmlType::Q5_0: return Make<VecDotQ5_0>(DequantizeQ5_0, QuantizeQ5_0);
    case GgmlType::Q5_1: return Make<VecDotQ5_1>(DequantizeQ5_1, nullptr);
    case GgmlType::Q8_0: return Make<VecDotQ8_0>(DequantizeQ8_0, QuantizeQ8_0);
    default: return TypeKernels{};
  }
}

}  // namespace deepgate::quant
