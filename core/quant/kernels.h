// Internal to core/quant: the per-type kernel table that quant.cpp dispatches through, and
// the entry points of each kernel family (scalar reference, AVX2).
// Thread-safety: pure functions and immutable tables.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ggml_type.h"

namespace deepgate::quant {

using DequantizeFn = void (*)(const void* src, float* dst, int64_t n);
using QuantizeFn = void (*)(const float* src, void* dst, int64_t n);
using VecDotFn = float (*)(int64_t n, const void* w_row, const void* x_row);
using VecDotRowsFn = void (*)(int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                              const void* x_row, float* out);

// One type's kernels; a null entry means "not provided by this family".
struct TypeKernels {
  DequantizeFn dequantize = nullptr;
  QuantizeFn quantize = nullptr;
  VecDotFn vec_dot = nullptr;
  VecDotRowsFn vec_dot_rows = nullptr;
};

// VecDotRows built from a single-row kernel: what a family uses when it has no multi-row one.
template <VecDotFn kDot>
void VecDotRowsByRow(int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                     const void* x_row, float* out) {
  const auto* w = static_cast<const uint8_t*>(w_rows);
  for (int64_t r = 0; r < n_rows; ++r) out[r] = kDot(n, w + r * w_row_stride, x_row);
}

// Scalar reference kernels: F32/F16/BF16 and the 32-element block types.
TypeKernels ScalarLegacyKernels(GgmlType t);
// Scalar reference kernels: the K-quants and Q8_K.
TypeKernels ScalarKQuantKernels(GgmlType t);
// AVX2/FMA/F16C kernels; only call these after checking the CPU. Entries are null where the
// scalar kernel is used instead.
TypeKernels Avx2Kernels(GgmlType t);
// True when this CPU runs AVX2, FMA and F16C.
bool CpuHasAvx2();
// AVX-VNNI dot kernels for Q4_0/Q5_0/Q8_0 (bit-identical to the AVX2 ones, fewer
// instructions); null entries elsewhere. Only call these after CpuHasAvxVnni().
TypeKernels AvxVnniKernels(GgmlType t);
// True when this CPU runs the AVX2 kernels and AVX-VNNI (vpdpbusd on 256-bit vectors).
bool CpuHasAvxVnni();
// AVX-512 dot kernels for F32/F16/BF16, Q4_0/Q5_0/Q8_0 and Q4_K/Q5_K (16 lanes, two blocks per
// instruction; float order of their own); null entries elsewhere. Only call these after
// CpuHasAvx512Vnni().
TypeKernels Avx512Kernels(GgmlType t);
// The F32/F16/BF16 part of Avx512Kernels (float_avx512.cpp).
TypeKernels Avx512FloatKernels(GgmlType t);
// The Q4_K/Q5_K part of Avx512Kernels (quant_k_avx512.cpp).
TypeKernels Avx512KQuantKernels(GgmlType t);
// True when this CPU (and OS) runs AVX-512 F/BW/VL/VNNI besides the AVX2 kernels.
bool CpuHasAvx512Vnni();
// True when CpuHasAvx512Vnni() and the CPU has AVX-512 BF16 (vdpbf16ps): BF16 weights then
// take the pair-dot kernels.
bool CpuHasAvx512Bf16();

}  // namespace deepgate::quant
