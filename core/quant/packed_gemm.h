// PackedGemm: the matmul kernel for Q4_0 / Q5_0 / Q8_0 weights (AVX-512 VNNI, and AVX2 for
// CPUs without it: packed_gemm_avx2.cpp) and for Q4_K / Q5_K / Q6_K (packed_gemm_k_avx512.cpp,
// packed_gemm_k_ymm.h), on weights
// repacked at load into groups of 16 interleaved rows (PackWeights), so one vpdpbusd with a
// broadcast 4-byte group of an activation block does 16 rows x 4 elements and its lanes are
// already 16 outputs: no unpacking per (row, column), no horizontal sums. The legacy types'
// packed copy has exactly the size of the rows it came from, the K-quants' 1-3 % more (scales
// unpacked to a byte per row); the caller owns it (a private copy per process, where the
// mmapped file would be shared: see core/README.md for the trade-off).
//
// Legacy packed layout of one group (16 rows, nb = n / 32 blocks; the last group of a matrix is
// padded with zero rows): nb quant blocks of PackedGroupQuantBytes(t), then nb x 16 fp16
// scales (32 bytes per block, lane r = row r's block scale), then up to 32 bytes of padding
// to the next 64-byte boundary. Quant vectors are 64 bytes,
// lane r (4 bytes) from row r:
//   Q8_0: 8 vectors, vector k = elements 4k..4k+3 as unsigned q + 128;
//   Q4_0: 4 vectors, vector k = stored bytes qs[4k..4k+3] (low nibbles: elements 4k..4k+3,
//         high nibbles: elements 16 + 4k..);
//   Q5_0: as Q4_0, then one vector of the rows' qh words reordered: byte i, bit k = the fifth
//         bit of element 4k + i (for vector k: shift by k, mask 0x01 per byte).
// K-quant layout: nb = n / 256 packed blocks of PackedKBlockBytes(t) (a multiple of 64), laid
// out in packed_gemm_k_layout.h.
//
// Activations are packed once per matmul (PackActivationRow), in the weight type's format:
// legacy types get each Q8_0 block with its scale as f32 and the corrections -off * sum(q) for
// the weight offsets (8, 16, 128), so the weights enter vpdpbusd as unsigned bytes (nibble,
// 5-bit value, q + 128); K-quants get each Q8_K block with its 32-element sums (for the mins)
// and -32 x its 16-element sums (Q6_K's offset).
//
// Numerics: the integer block dots are exact and equal VecDot's; the float steps are
// acc += float(dot) * (dw * dx) per block (K-quants: minus float(mins dot) * (dmin * dx)),
// one chain per output in block order, so results
// agree with VecDot within float rounding (not bit for bit) and are the same bits for any
// number of activation rows and any row range: decode, small batches and prefill agree.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/ggml_type.h"

namespace deepgate::quant {

inline constexpr int kPackedGroupRows = 16;
inline constexpr size_t kPackedGroupScaleBytes = 32;  // per block: 16 fp16 scales
// One packed activation block: int8 q[32], f32 d, int32 corrections for offsets 8, 16, 128.
inline constexpr size_t kPackedActivationBlockBytes = 48;

// One packed K activation block: int8 q[256], f32 d, int16 sums of 32, int32 -32 x sums of 16.
inline constexpr size_t kPackedKActivationBlockBytes = 352;

// Bytes of one block's quant vectors in a legacy packed group; 0 for other types.
constexpr size_t PackedGroupQuantBytes(GgmlType t) {
  return t == GgmlType::Q8_0 ? 8 * 64 : t == GgmlType::Q4_0 ? 4 * 64 : t == GgmlType::Q5_0 ? 5 * 64 : 0;
}
// Bytes of one packed K-quant block of a group (256 elements x 16 rows); 0 for other types.
constexpr size_t PackedKBlockBytes(GgmlType t) {
  return t == GgmlType::Q4_K ? 37 * 64 : t == GgmlType::Q5_K ? 45 * 64 : t == GgmlType::Q6_K ? 53 * 64 : 0;
}
constexpr bool IsPackedKType(GgmlType t) { return PackedKBlockBytes(t) != 0; }

// True when the active kernel set has a PackedGemm for weight type w.
bool HasPackedGemm(GgmlType w);

// Bytes of the packed form of n_rows rows of n elements (whole groups, padding included).
size_t PackedWeightBytes(GgmlType w, int64_t n, int64_t n_rows);
// Bytes from one packed group to the next (rounded up to 64: groups start 64-byte aligned).
inline size_t PackedGroupBytes(GgmlType w, int64_t n) {
  if (IsPackedKType(w)) return static_cast<size_t>(n / 256) * PackedKBlockBytes(w);
  return (static_cast<size_t>(n / 32) * (PackedGroupQuantBytes(w) + kPackedGroupScaleBytes) + 63) / 64 * 64;
}

// rows [n_rows][row_stride] of type w -> dst (PackedWeightBytes, 64-byte aligned).
// w must have PackedGroupQuantBytes(w) > 0 or IsPackedKType(w); any CPU.
void PackWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst);
// The K-quant part of PackWeights (packed_gemm_k.cpp).
void PackKWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst);

// Bytes of one packed activation row of n elements for weights of type w (n a multiple of
// the type's block).
inline size_t PackedActivationBytes(GgmlType w, int64_t n) {
  return IsPackedKType(w) ? static_cast<size_t>(n / 256) * kPackedKActivationBlockBytes
                          : static_cast<size_t>(n / 32) * kPackedActivationBlockBytes;
}

// x: [n] f32 -> dst: PackedActivationBytes(w, n) bytes; the quantization of VecDot's path
// (Q8_0, or Q8_K for the K-quants).
void PackActivationRow(GgmlType w, const float* x, int64_t n, void* dst);
// The K-quant part of PackActivationRow (packed_gemm_k.cpp).
void PackKActivationRow(const float* x, int64_t n, void* dst);

// out[c * out_stride + r] = dot(row r, activation row c) for r < n_rows, c < n_cols, where
// w_packed is the packed form starting at a group boundary and x_rows are packed activation
// rows (row stride x_row_stride). Only call when HasPackedGemm(w).
void PackedGemm(GgmlType w, int64_t n, const void* w_packed, int64_t n_rows, const void* x_rows, size_t x_row_stride,
                int64_t n_cols, float* out, size_t out_stride);

}  // namespace deepgate::quant
