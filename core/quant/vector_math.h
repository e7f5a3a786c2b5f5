// Softmax and SwiGLU over f32 vectors, with an exp of our own (a degree-5 polynomial on
// [-ln2/2, ln2/2] and an exponent-field scale, within 2 ulp of expf) so it vectorises: the
// AVX2 kernel wherever the active kernel set has AVX2, else scalar code with the same
// polynomial. glibc's scalar expf took 4-6 % of a prefill (softmax over every cached position
// of every head, SiLU over every FFN activation).
// Thread-safety: pure functions over caller-owned buffers.
#pragma once

#include <cstdint>

namespace deepgate::quant {

// e^x for one float: the scalar form of the vector kernels' exp (x < -87 gives 0, x > 88 is
// clamped to 88, NaN stays NaN).
float ExpF32(float x);

// In place: x[i] = e^(x[i] - max) / sum_j e^(x[j] - max).
void SoftmaxF32(float* x, int64_t n);

// gate[i] = gate[i] / (1 + e^-gate[i]) * up[i] (SiLU of the gate times up).
void SwiGluF32(float* gate, const float* up, int64_t n);

}  // namespace deepgate::quant
