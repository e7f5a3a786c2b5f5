// PackedGemm: the matmul kernel for Q4_0 / Q5_0 / Q8_0 weights (AVX-512 VNNI, and AVX2 for
// CPUs without it: packed_gemm_avx2.cpp), on weights
// repacked at load into groups of 16 interleaved rows (PackWeights), so one vpdpbusd with a
// broadcast 4-byte group of an activation block does 16 rows x 4 elements and its lanes are
// already 16 outputs: no unpacking per (row, column), no horizontal sums. The packed copy has
// exactly the size of the rows it came from; the caller owns it (a private copy per process,
// where the mmapped file would be shared: see core/README.md for the trade-off).
//
// Packed layout of one group (16 rows, nb = n / 32 blocks; the last group of a matrix is
// padded with zero rows): nb quant blocks of PackedGroupQuantBytes(t), then nb x 16 fp16
// scales (32 bytes per block, lane r = row r's block scale), then up to 32 bytes of padding
// to the next 64-byte boundary. Quant vectors are 64 bytes,
// lane r (4 bytes) from row r:
//   Q8_0: 8 vectors, vector k = elements 4k..4k+3 as unsigned q + 128;
//   Q4_0: 4 vectors, vector k = stored bytes qs[4k..4k+3] (low nibbles: elements 4k..4k+3,
//         high nibbles: elements 16 + 4k..);
//   Q5_0: as Q4_0, then one vector of the rows' 32-bit qh words.
//
// Activations are packed once per matmul (PackActivationRow): each Q8_0 block with its scale
// as f32 and the corrections -off * sum(q) for the weight offsets (8, 16, 128), so the
// weights enter vpdpbusd as unsigned bytes (nibble, 5-bit value, q + 128).
//
// Numerics: the integer block dots are exact and equal VecDot's; the float steps are
// acc += float(dot) * (dw * dx) per block, one chain per output in block order, so results
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

// Bytes of one block's quant vectors in a packed group; 0 for types without a packed layout.
constexpr size_t PackedGroupQuantBytes(GgmlType t) {
  return t == GgmlType::Q8_0 ? 8 * 64 : t == GgmlType::Q4_0 ? 4 * 64 : t == GgmlType::Q5_0 ? 5 * 64 : 0;
}

// True when the active kernel set has a PackedGemm for weight type w.
bool HasPackedGemm(GgmlType w);

// Bytes of the packed form of n_rows rows of n elements (whole groups, padding included).
size_t PackedWeightBytes(GgmlType w, int64_t n, int64_t n_rows);
// Bytes from one packed group to the next (rounded up to 64: groups start 64-byte aligned).
inline size_t PackedGroupBytes(GgmlType w, int64_t n) {
  return (static_cast<size_t>(n / 32) * (PackedGroupQuantBytes(w) + kPackedGroupScaleBytes) + 63) / 64 * 64;
}

// rows [n_rows][row_stride] of type w -> dst (PackedWeightBytes, 64-byte aligned).
// w must have PackedGroupQuantBytes(w) > 0; any CPU.
void PackWeights(GgmlType w, int64_t n, const void* rows, size_t row_stride, int64_t n_rows, void* dst);

// Bytes of one packed activation row of n elements (n a multiple of 32).
inline size_t PackedActivationBytes(int64_t n) { return static_cast<size_t>(n / 32) * kPackedActivationBlockBytes; }

// x: [n] f32 -> dst: PackedActivationBytes(n) bytes; the Q8_0 quantization of VecDot's path.
void PackActivationRow(const float* x, int64_t n, void* dst);

// out[c * out_stride + r] = dot(row r, activation row c) for r < n_rows, c < n_cols, where
// w_packed is the packed form starting at a group boundary and x_rows are packed activation
// rows (row stride x_row_stride). Only call when HasPackedGemm(w).
void PackedGemm(GgmlType w, int64_t n, const void* w_packed, int64_t n_rows, const void* x_rows, size_t x_row_stride,
                int64_t n_cols, float* out, size_t out_stride);

}  // namespace deepgate::quant
