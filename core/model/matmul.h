// MatMul: y[T][n_out] = x[T][n_in] * W^T for a quantized weight, split over the thread pool.
//
// Each activation row is converted once to the weight's VecDotType; the output rows are split
// into tiles, and each tile of weight rows is applied to all T activation rows while it is in
// cache, so a prefill reads each weight byte from memory once.
// Thread-safety: one MatMul at a time per MatMulScratch.
#pragma once
#include <cstdint>
#include <vector>

#include "core/model/weights.h"

namespace deepgate {

class ThreadPool;

struct MatMulScratch {
  std::vector<uint8_t> x_quant;  // [T][RowBytes(VecDotType(w), n_in)], reused between calls
  std::vector<uint8_t> x_packed; // [T][PackedActivationBytes(w, n_in)] for the packed GEMM
};

void MatMul(ThreadPool& pool, const WeightMatrix& w, const float* x, int64_t n_tokens, float* y,
            MatMulScratch& scratch);

// One output of MatMulShared: y [T][w->n_out] = x * w^T.
struct MatMulOutput {
  const WeightMatrix* w;
  float* y;
};

// Several matmuls of the same input (q/k/v, gate/up) in one pass over the pool: one dispatch
// instead of one per matrix, and the rows of all matrices are split together, so small ones
// (k/v) do not leave threads idle. Every output is exactly what MatMul gives. The matrices
// must share n_in; when their activation formats differ it runs them one by one.
void MatMulShared(ThreadPool& pool, const MatMulOutput* outputs, int n_outputs, const float* x, int64_t n_tokens,
                  MatMulScratch& scratch);

// y[t][i] += bias[i] for every row.
void AddBias(const float* bias, int64_t n, int64_t n_tokens, float* y);

}  // namespace deepgate
