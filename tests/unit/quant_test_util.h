// Shared helpers for the quant tests: seeded random rows and blocks, row buffers, error norms.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "core/fp16.h"
#include "core/ggml_type.h"
#include "core/quant/blocks.h"
#include "core/quant/quant.h"

namespace deepgate::quant::testing {

inline std::vector<float> RandomRow(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& v : row) v = dist(rng);
  return row;
}

inline size_t Bytes(GgmlType t, int64_t n) { return RowBytes(t, n).value(); }

inline std::vector<uint8_t> Quantized(GgmlType t, const std::vector<float>& row) {
  std::vector<uint8_t> out(Bytes(t, static_cast<int64_t>(row.size())));
  QuantizeRow(t, row.data(), out.data(), static_cast<int64_t>(row.size()));
  return out;
}

inline std::vector<float> Dequantized(GgmlType t, const std::vector<uint8_t>& bytes, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  DequantizeRow(t, bytes.data(), out.data(), n);
  return out;
}

// A weight row of type t: quantized from a gaussian row where a quantizer exists, otherwise
// random bytes with every fp16 scale field set to a sane random value.
inline std::vector<uint8_t> RandomWeightRow(GgmlType t, int64_t n, uint32_t seed) {
  if (IsQuantizeSupported(t)) return Quantized(t, RandomRow(n, seed));
  std::mt19937 rng(seed);
  std::vector<uint8_t> out(Bytes(t, n));
  for (auto& b : out) b = static_cast<uint8_t>(rng());
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  auto set = [&](uint16_t* field) { *field = F32ToFp16(scale(rng)); };
  auto set_neg = [&](uint16_t* field) { *field = F32ToFp16(-8 * scale(rng)); };
  const size_t block_bytes = TypeTraitsOf(static_cast<uint32_t>(t))->block_bytes;
  for (size_t off = 0; off < out.size(); off += block_bytes) {
    void* p = out.data() + off;
    switch (t) {
      case GgmlType::Q4_1: set(&static_cast<BlockQ4_1*>(p)->d), set_neg(&static_cast<BlockQ4_1*>(p)->m); break;
      case GgmlType::Q5_1: set(&static_cast<BlockQ5_1*>(p)->d), set_neg(&static_cast<BlockQ5_1*>(p)->m); break;
      case GgmlType::Q2_K: set(&static_cast<BlockQ2_K*>(p)->d), set(&static_cast<BlockQ2_K*>(p)->dmin); break;
      case GgmlType::Q3_K: set(&static_cast<BlockQ3_K*>(p)->d); break;
      default: break;
    }
  }
  return out;
}

// Activation row in VecDotType(w) and its exact float values.
struct Activation {
  std::vector<uint8_t> bytes;
  std::vector<float> values;
};

inline Activation MakeActivation(GgmlType w, int64_t n, uint32_t seed) {
  const GgmlType xt = VecDotType(w);
  Activation a;
  a.bytes = Quantized(xt, RandomRow(n, seed));
  a.values = Dequantized(xt, a.bytes, n);
  return a;
}

inline double RelativeRmse(const std::vector<float>& ref, const std::vector<float>& got) {
  double err = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err += (static_cast<double>(ref[i]) - got[i]) * (static_cast<double>(ref[i]) - got[i]);
    norm += static_cast<double>(ref[i]) * ref[i];
  }
  return std::sqrt(err / norm);
}

// Scalar for tolerances: sum of |w_i * x_i|, the size of the dot product's rounding error.
inline double AbsDot(const std::vector<float>& w, const std::vector<float>& x) {
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) s += std::fabs(static_cast<double>(w[i]) * x[i]);
  return s;
}

inline double Dot(const std::vector<float>& w, const std::vector<float>& x) {
  double s = 0;
  for (size_t i = 0; i < w.size(); ++i) s += static_cast<double>(w[i]) * x[i];
  return s;
}

// Restores the default kernel choice when a test that forced one ends.
struct ScopedKernels {
  explicit ScopedKernels(KernelSet set) { ForceKernels(set); }
  ~ScopedKernels() { ForceKernels(BestKernels()); }
};

}  // namespace deepgate::quant::testing
