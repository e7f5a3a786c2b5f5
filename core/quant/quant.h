// Quantized block formats: conversion to/from f32 and dot products, with a scalar reference
// path and an AVX2/FMA path chosen once at run time from the CPU's features.
//
// A matmul converts its f32 activation row once into VecDotType(weight type) and then calls
// VecDot / VecDotRows against each weight row. All n are multiples of the type's block size.
// Thread-safety: all functions are pure; ForceKernels is for tests and must not race with use.
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
// F32/F16/BF16 -> F32; Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 -> Q8_0; K-quants -> Q8_K.
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

enum class KernelSet { kScalar, kAvx2 };
// The kernels in use: kAvx2 when the CPU has AVX2+FMA+F16C, unless forced.
KernelSet ActiveKernels();
// Tests compare paths by forcing one; forcing kAvx2 on a CPU without it is ignored.
void ForceKernels(KernelSet set);

}  // namespace deepgate::quant
