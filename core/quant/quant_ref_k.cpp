// Scalar reference kernels for the K-quants (Q2_K..Q6_K) and the Q8_K activation format.
//
// Quantizers use round-to-nearest with a small scale search (no importance matrix): each
// sub-block tries a few scales around the naive one and keeps the least-squares fit with the
// lowest squared error; the super-block then quantizes the sub-block scales.
// Dot products sum integers per sub-block and scale once per super-block, as the AVX2 kernels
// do, so both paths differ only by float summation order.
// Thread-safety: pure functions.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/fp16.h"
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"

namespace deepgate::quant {
namespace {

// Round half to even, like nearbyint in the default mode, without a libm call: adding
// 1.5 * 2^23 leaves the rounded integer in the low mantissa bits. Exact for |v| < 2^22; the
// scale searches call this in their inner loops, where the libm call dominated.
int RoundToInt(float v) {
  if (!(std::fabs(v) < 4194304.0f)) return static_cast<int>(std::nearbyint(v));
  const float shifted = v + 12582912.0f;
  int32_t bits;
  std::memcpy(&bits, &shifted, sizeof(bits));
  return (bits & 0x007fffff) - 0x00400000;
}

// ---- dequantize ----

void DequantizeQ2_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ2_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = Fp16ToF32(b[i].d), dmin = Fp16ToF32(b[i].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      const int half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
      const uint8_t sc = b[i].scales[8 * half + shift + l / 16];
      const int q = (b[i].qs[32 * half + l] >> shift) & 3;
      dst[e] = d * static_cast<float>(sc & 0xF) * static_cast<float>(q) -
               dmin * static_cast<float>(sc >> 4);
    }
  }
}

// Signed 3-bit quant (-4..3) of element e of a Q3_K block, and its sub-block.
int Q3KQuant(const BlockQ3_K& b, int e) {
  const int half = e / 128, j = (e % 128) / 32, l = e % 32;
  const int low = (b.qs[32 * half + l] >> (2 * j)) & 3;
  const bool high = (b.hmask[l] >> (4 * half + j)) & 1;
  return low - (high ? 0 : 4);
}

void DequantizeQ3_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ3_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = Fp16ToF32(b[i].d);
    for (int e = 0; e < kQK_K; ++e) {
      dst[e] = d * static_cast<float>(UnpackScaleQ3K(b[i].scales, e / 16)) *
               static_cast<float>(Q3KQuant(b[i], e));
    }
  }
}

// Unsigned quant of element e of a Q4_K / Q5_K block (fifth bit only when qh is given).
int Q4KQuant(const uint8_t* qs, const uint8_t* qh, int e) {
  const int chunk = e / 64, l = e % 32;
  const bool upper = (e % 64) >= 32;
  int q = upper ? (qs[32 * chunk + l] >> 4) : (qs[32 * chunk + l] & 0xF);
  if (qh) q |= ((qh[l] >> (2 * chunk + (upper ? 1 : 0))) & 1) << 4;
  return q;
}

void DequantizeQ4_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ4_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = Fp16ToF32(b[i].d), dmin = Fp16ToF32(b[i].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      uint8_t sc, m;
      UnpackScaleMinK4(b[i].scales, e / 32, &sc, &m);
      dst[e] = d * sc * static_cast<float>(Q4KQuant(b[i].qs, nullptr, e)) - dmin * m;
    }
  }
}

void DequantizeQ5_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ5_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = Fp16ToF32(b[i].d), dmin = Fp16ToF32(b[i].dmin);
    for (int e = 0; e < kQK_K; ++e) {
      uint8_t sc, m;
      UnpackScaleMinK4(b[i].scales, e / 32, &sc, &m);
      dst[e] = d * sc * static_cast<float>(Q4KQuant(b[i].qs, b[i].qh, e)) - dmin * m;
    }
  }
}

// Unsigned six-bit quant (0..63, value q - 32) of element e of a Q6_K block.
int Q6KQuant(const BlockQ6_K& b, int e) {
  const int half = e / 128, part = (e % 128) / 32, l = e % 32;
  const uint8_t* ql = b.ql + 64 * half;
  const uint8_t* qh = b.qh + 32 * half;
  const uint8_t low_byte = ql[l + (part & 1) * 32];
  const int low = part < 2 ? (low_byte & 0xF) : (low_byte >> 4);
  return low | (((qh[l] >> (2 * part)) & 3) << 4);
}

void DequantizeQ6_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ6_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = Fp16ToF32(b[i].d);
    for (int e = 0; e < kQK_K; ++e) {
      dst[e] = d * b[i].scales[e / 16] * static_cast<float>(Q6KQuant(b[i], e) - 32);
    }
  }
}

void DequantizeQ8_K(const void* src, float* dst, int64_t n) {
  const auto* b = static_cast<const BlockQ8_K*>(src);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    for (int e = 0; e < kQK_K; ++e) dst[e] = b[i].d * b[i].qs[e];
  }
}

// ---- quantize ----

// Q8_K: the signed extreme maps to -127 (d = max / -127, as ggml's quantize_row_q8_K: with
// -128 K-quant logits drift from llama.cpp's by enough to flip near-tied MoE routing), others
// round half to even and clamp at 127. The AVX2 quantizer performs the same float operations.
void QuantizeQ8_K(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ8_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    float amax = 0, max = 0;
    for (int e = 0; e < kQK_K; ++e) {
      if (std::fabs(src[e]) > amax) amax = std::fabs(src[e]), max = src[e];
    }
    if (amax == 0) {
      std::memset(&b[i], 0, sizeof(b[i]));
      continue;
    }
    const float iscale = -127.0f / max;
    for (int e = 0; e < kQK_K; ++e) {
      b[i].qs[e] = static_cast<int8_t>(std::min(127, RoundToInt(iscale * src[e])));
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int e = 0; e < 16; ++e) sum += b[i].qs[16 * g + e];
      b[i].bsums[g] = static_cast<int16_t>(sum);
    }
    b[i].d = 1.0f / iscale;
  }
}

// Best x ≈ scale * q + offset (offset <= 0, q in [0, nmax]) for count values, by trying
// inverse scales around nmax / range and refitting scale and offset by least squares.
void FitScaleOffset(const float* x, int count, int nmax, float* scale, float* offset) {
  float lo = *std::min_element(x, x + count), hi = *std::max_element(x, x + count);
  lo = std::min(lo, 0.0f);
  if (hi <= lo) {
    *scale = 0, *offset = lo;
    return;
  }
  float best_err = INFINITY;
  *scale = (hi - lo) / nmax, *offset = lo;
  for (int step = -6; step <= 12; ++step) {
    const float iscale = (nmax + 0.1f * step) / (hi - lo);
    // Least squares for fixed q: minimise sum (x - s*q - o)^2.
    double sq = 0, sqq = 0, sx = 0, sxq = 0;
    for (int k = 0; k < count; ++k) {
      const int q = std::clamp(RoundToInt((x[k] - lo) * iscale), 0, nmax);
      sq += q, sqq += q * q, sx += x[k], sxq += x[k] * q;
    }
    const double det = count * sqq - sq * sq;
    if (det <= 0) continue;
    double s = (count * sxq - sq * sx) / det;
    double o = (sqq * sx - sq * sxq) / det;
    if (o > 0) o = 0, s = sqq > 0 ? sxq / sqq : 0;
    if (s <= 0) continue;
    double err = 0;
    for (int k = 0; k < count; ++k) {
      const int q = std::clamp(RoundToInt(static_cast<float>((x[k] - o) / s)), 0, nmax);
      const double diff = x[k] - s * q - o;
      err += diff * diff;
    }
    if (err < best_err) best_err = static_cast<float>(err), *scale = static_cast<float>(s),
                        *offset = static_cast<float>(o);
  }
}

// Q4_K / Q5_K share everything but the quant width and the fifth-bit plane.
// Fills d, dmin and the 12 packed scale bytes; writes the unsigned quants to q[256].
void QuantizeSuperBlockK4(const float* x, int nmax, uint16_t* d_out, uint16_t* dmin_out,
                          uint8_t* packed, uint8_t* q) {
  float scales[8], offsets[8];
  float max_scale = 0, max_min = 0;
  for (int s = 0; s < 8; ++s) {
    FitScaleOffset(x + 32 * s, 32, nmax, &scales[s], &offsets[s]);
    max_scale = std::max(max_scale, scales[s]);
    max_min = std::max(max_min, -offsets[s]);
  }
  *d_out = F32ToFp16(max_scale / 63.0f);
  *dmin_out = F32ToFp16(max_min / 63.0f);
  const float d = Fp16ToF32(*d_out), dmin = Fp16ToF32(*dmin_out);
  std::memset(packed, 0, 12);
  for (int s = 0; s < 8; ++s) {
    const int ls = d > 0 ? std::clamp(RoundToInt(scales[s] / d), 0, 63) : 0;
    const int lm = dmin > 0 ? std::clamp(RoundToInt(-offsets[s] / dmin), 0, 63) : 0;
    if (s < 4) {
      packed[s] = static_cast<uint8_t>(packed[s] | ls);
      packed[s + 4] = static_cast<uint8_t>(packed[s + 4] | lm);
    } else {
      packed[s + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      packed[s - 4] = static_cast<uint8_t>(packed[s - 4] | ((ls >> 4) << 6));
      packed[s] = static_cast<uint8_t>(packed[s] | ((lm >> 4) << 6));
    }
    // Requantize against the scales as stored, so rounding of d/dmin is accounted for.
    const float step = d * ls, base = dmin * lm;
    for (int k = 0; k < 32; ++k) {
      const int e = 32 * s + k;
      q[e] = static_cast<uint8_t>(step > 0 ? std::clamp(RoundToInt((x[e] + base) / step), 0, nmax) : 0);
    }
  }
}

void QuantizeQ4_K(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ4_K*>(dst);
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    QuantizeSuperBlockK4(src, 15, &b[i].d, &b[i].dmin, b[i].scales, q);
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        b[i].qs[32 * chunk + l] = static_cast<uint8_t>(q[64 * chunk + l] | (q[64 * chunk + 32 + l] << 4));
      }
    }
  }
}

void QuantizeQ5_K(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ5_K*>(dst);
  uint8_t q[kQK_K];
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    QuantizeSuperBlockK4(src, 31, &b[i].d, &b[i].dmin, b[i].scales, q);
    std::memset(b[i].qh, 0, sizeof(b[i].qh));
    for (int chunk = 0; chunk < 4; ++chunk) {
      for (int l = 0; l < 32; ++l) {
        const int lo = q[64 * chunk + l], hi = q[64 * chunk + 32 + l];
        b[i].qs[32 * chunk + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        b[i].qh[l] = static_cast<uint8_t>(b[i].qh[l] | ((lo >> 4) << (2 * chunk)) |
                                          ((hi >> 4) << (2 * chunk + 1)));
      }
    }
  }
}

// Best symmetric x ≈ scale * q (q in [-nmax, nmax - 1]) for count values.
float FitSymmetricScale(const float* x, int count, int nmax) {
  float amax = 0, max = 0;
  for (int k = 0; k < count; ++k) {
    if (std::fabs(x[k]) > amax) amax = std::fabs(x[k]), max = x[k];
  }
  if (amax == 0) return 0;
  float best_scale = max / -nmax;
  double best_err = INFINITY;
  for (int step = -8; step <= 8; ++step) {
    const float iscale = -(nmax + 0.1f * step) / max;
    double sxq = 0, sqq = 0;
    for (int k = 0; k < count; ++k) {
      const int q = std::clamp(RoundToInt(iscale * x[k]), -nmax, nmax - 1);
      sxq += x[k] * q, sqq += q * q;
    }
    if (sqq == 0) continue;
    const double s = sxq / sqq;
    double err = 0;
    for (int k = 0; k < count; ++k) {
      const int q = std::clamp(RoundToInt(static_cast<float>(x[k] / s)), -nmax, nmax - 1);
      err += (x[k] - s * q) * (x[k] - s * q);
    }
    if (err < best_err) best_err = err, best_scale = static_cast<float>(s);
  }
  return best_scale;
}

void QuantizeQ6_K(const float* src, void* dst, int64_t n) {
  auto* b = static_cast<BlockQ6_K*>(dst);
  for (int64_t i = 0; i < n / kQK_K; ++i, src += kQK_K) {
    float scales[16];
    float max_scale = 0, amax_scale = 0;
    for (int s = 0; s < 16; ++s) {
      scales[s] = FitSymmetricScale(src + 16 * s, 16, 32);
      if (std::fabs(scales[s]) > amax_scale) amax_scale = std::fabs(scales[s]), max_scale = scales[s];
    }
    uint8_t q[kQK_K];  // unsigned, value q - 32
    if (amax_scale == 0) {
      std::memset(&b[i], 0, sizeof(b[i]));
      std::fill(q, q + kQK_K, uint8_t{32});
    } else {
      const float iscale = -128.0f / max_scale;
      b[i].d = F32ToFp16(1.0f / iscale);
      const float d = Fp16ToF32(b[i].d);
      for (int s = 0; s < 16; ++s) {
        const int ls = std::min(127, RoundToInt(iscale * scales[s]));
        b[i].scales[s] = static_cast<int8_t>(ls);
        const float step = d * ls;
        for (int k = 0; k < 16; ++k) {
          const int e = 16 * s + k;
          const int v = step != 0 ? std::clamp(RoundToInt(src[e] / step), -32, 31) : 0;
          q[e] = static_cast<uint8_t>(v + 32);
        }
      }
    }
    for (int half = 0; half < 2; ++half) {
      uint8_t* ql = b[i].ql + 64 * half;
      uint8_t* qh = b[i].qh + 32 * half;
      const uint8_t* qq = q + 128 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((qq[l] & 0xF) | ((qq[l + 64] & 0xF) << 4));
        ql[l + 32] = static_cast<uint8_t>((qq[l + 32] & 0xF) | ((qq[l + 96] & 0xF) << 4));
        qh[l] = static_cast<uint8_t>((qq[l] >> 4) | ((qq[l + 32] >> 4) << 2) |
                                     ((qq[l + 64] >> 4) << 4) | ((qq[l + 96] >> 4) << 6));
      }
    }
  }
}

// ---- dot products against Q8_K ----

float VecDotQ2_K(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ2_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sumi = 0, summ = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int k = 0; k < 16; ++k) {
        const int e = 16 * g + k, half = e / 128, shift = 2 * ((e % 128) / 32), l = e % 32;
        dot += ((w[i].qs[32 * half + l] >> shift) & 3) * x[i].qs[e];
      }
      // Sub-block g of the format's element order: 8*half + shift/2*2 + l/16 == g.
      sumi += (w[i].scales[g] & 0xF) * dot;
      summ += (w[i].scales[g] >> 4) * x[i].bsums[g];
    }
    sum += x[i].d * (Fp16ToF32(w[i].d) * static_cast<float>(sumi) -
                     Fp16ToF32(w[i].dmin) * static_cast<float>(summ));
  }
  return sum;
}

float VecDotQ3_K(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ3_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sumi = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int k = 0; k < 16; ++k) dot += Q3KQuant(w[i], 16 * g + k) * x[i].qs[16 * g + k];
      sumi += UnpackScaleQ3K(w[i].scales, g) * dot;
    }
    sum += x[i].d * Fp16ToF32(w[i].d) * static_cast<float>(sumi);
  }
  return sum;
}

template <bool kFiveBit, typename Block>
float VecDotK4(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const Block*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const uint8_t* qh = nullptr;
    if constexpr (kFiveBit) qh = w[i].qh;
    int sumi = 0, summ = 0;
    for (int s = 0; s < 8; ++s) {
      uint8_t sc, m;
      UnpackScaleMinK4(w[i].scales, s, &sc, &m);
      int dot = 0;
      for (int k = 0; k < 32; ++k) dot += Q4KQuant(w[i].qs, qh, 32 * s + k) * x[i].qs[32 * s + k];
      sumi += sc * dot;
      summ += m * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
    }
    sum += x[i].d * (Fp16ToF32(w[i].d) * static_cast<float>(sumi) -
                     Fp16ToF32(w[i].dmin) * static_cast<float>(summ));
  }
  return sum;
}

float VecDotQ4_K(int64_t n, const void* w, const void* x) { return VecDotK4<false, BlockQ4_K>(n, w, x); }
float VecDotQ5_K(int64_t n, const void* w, const void* x) { return VecDotK4<true, BlockQ5_K>(n, w, x); }

float VecDotQ6_K(int64_t n, const void* w_row, const void* x_row) {
  const auto* w = static_cast<const BlockQ6_K*>(w_row);
  const auto* x = static_cast<const BlockQ8_K*>(x_row);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sumi = 0;
    for (int g = 0; g < 16; ++g) {
      int dot = 0;
      for (int k = 0; k < 16; ++k) dot += Q6KQuant(w[i], 16 * g + k) * x[i].qs[16 * g + k];
      // The -32 offset folds into the group's activation sum.
      sumi += w[i].scales[g] * (dot - 32 * x[i].bsums[g]);
    }
    sum += x[i].d * Fp16ToF32(w[i].d) * static_cast<float>(sumi);
  }
  return sum;
}

template <VecDotFn kDot>
TypeKernels Make(DequantizeFn dequantize, QuantizeFn quantize) {
  return TypeKernels{dequantize, quantize, kDot, &VecDotRowsByRow<kDot>};
}

}  // namespace

TypeKernels ScalarKQuantKernels(GgmlType t) {
  switch (t) {
    case GgmlType::Q2_K: return Make<VecDotQ2_K>(DequantizeQ2_K, nullptr);
    case GgmlType::Q3_K: return Make<VecDotQ3_K>(DequantizeQ3_K, nullptr);
    case GgmlType::Q4_K: return Make<VecDotQ4_K>(DequantizeQ4_K, QuantizeQ4_K);
    case GgmlType::Q5_K: return Make<VecDotQ5_K>(DequantizeQ5_K, QuantizeQ5_K);
    case GgmlType::Q6_K: return Make<VecDotQ6_K>(DequantizeQ6_K, QuantizeQ6_K);
    // Q8_K is an activation format only: no dot product takes it as the weight.
    case GgmlType::Q8_K: return TypeKernels{DequantizeQ8_K, QuantizeQ8_K, nullptr, nullptr};
    default: return TypeKernels{};
  }
}

}  // namespace deepgate::quant
