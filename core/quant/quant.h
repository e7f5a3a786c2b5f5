// Quantized block formats: conversion to/from f32 and dot products, with a scalar reference
// path and an AVX2/FMA path (with AVX-VNNI dot products where the CPU has them) chosen once at
// run time from the CPU's features.
//
// A matmul converts its f32 activation row once into VecDotType(weight type) and then calls
// VecDot / VecDotRows against each weight row. All n are multiples of the type's block size
// (32 for Q4_0..Q8_0, 256 for the K-quants and Q8_K, any n for F32/F16/BF16); callers check
// that with RowBytes() when a tensor is loaded, these functions do not.
//
// Coverage:
//   compute (DequantizeRow + VecDot): F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K
//     Q5_K Q6_K; AVX2 dot kernels for all of them but Q4_1 and Q5_1 (those use the scalar
//     reference on every CPU).
//   QuantizeRow: F32 F16 BF16 Q8_0 Q4_0 Q5_0 Q8_K Q4_K Q5_K Q6_K (round to nearest with a
//     small scale search, no importance matrix); AVX2 for Q8_0 and Q8_K, byte-identical to
//     the scalar quantizers. Q8_K (f32 d, int8 qs[256], int16 bsums[16]) is an activation
//     format only: it can be quantized and dequantized but is not a weight type.
// Numerics: integer parts of the quantized dot products are exact; the AVX2 and scalar
// paths differ only in float summation order (tests hold them within 1e-5 of sum |w_i x_i|).
// VecDotRows returns exactly what VecDot returns for each row.
// Calls with an unsupported type do nothing (VecDot returns 0): check the Is*Supported
// functions when a model is loaded.
// Thread-safety: all functions are pure and may run on any number of threads; ForceKernels is
// for tests and benches and must not race with kernel calls.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ggml_type.h"

namespace deepgate::quant {

// True when DequantizeRow/VecDot work for tensors of this type.
bool IsComputeSupported(GgmlType t);
// True when QuantizeRow can produce this type (used for activations and the demo writer).
bool IsQuantizeSupported(GgmlType t);

// The activation format a weight type's dot product consumes:
// F32/F16 -> F32; BF16 -> BF16 (llama.cpp's choice too: products of two bf16 values, which
// AVX-512 BF16's vdpbf16ps takes 32 pairs at a time); Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 -> Q8_0;
// K-quants -> Q8_K.
GgmlType VecDotType(GgmlType weight);

// src: [n] f32 -> dst: RowBytes(t, n) bytes of type t.
void QuantizeRow(GgmlType t, const float* src, void* dst, int64_t n);
// src: RowBytes(t, n) bytes of type t -> dst: [n] f32.
void DequantizeRow(GgmlType t, const void* src, float* dst, int64_t n);

// Dot product of one weight row (type w, n elements) with one activation row in VecDotType(w).
float VecDot(GgmlType w, int64_t n, const void* w_row, const void* x_row);
// out[r] = VecDot(w, n, w_rows + r * w_row_stride, x_row) for r in [0, n_rows).
void VecDotRows(GgmlType w, int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                const void* x_row, float* out);

// kAvxVnni: the AVX2 kernels with AVX-VNNI dot products for Q4_0/Q5_0/Q8_0, which return
// exactly what the AVX2 ones return. kAvx512: kAvxVnni with AVX-512 dot products for
// F32/F16/BF16 and Q4_0/Q5_0/Q8_0 (within float rounding of the others).
// Ordered: each set needs what the one before it needs.
enum class KernelSet { kScalar, kAvx2, kAvxVnni, kAvx512 };
// The kernels in use: BestKernels() unless forced.
KernelSet ActiveKernels();
// The fastest set this CPU runs: kAvx512, kAvxVnni, kAvx2 (AVX2+FMA+F16C) or kScalar.
KernelSet BestKernels();
// Tests and benches compare paths by forcing one; forcing a set the CPU lacks is ignored.
void ForceKernels(KernelSet set);
// "scalar", "avx2", "avx2+avxvnni" or "avx512".
const char* KernelSetName(KernelSet set);

}  // namespace deepgate::quant
