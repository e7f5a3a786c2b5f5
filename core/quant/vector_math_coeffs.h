// Internal to core/quant: the constants of vector_math's exp, shared by the scalar and SIMD
// forms so both compute the same polynomial.
//   e^x = 2^k e^r, k = round(x log2 e), r = x - k ln2 (ln2 split in two so r is exact to
//   float precision), e^r = 1 + r + r^2 P(r) with P the Cephes expf minimax coefficients.
#pragma once

namespace deepgate::quant::exp_poly {

inline constexpr float kLo = -87.0f;  // below: e^x < 1.7e-38, returned as 0
inline constexpr float kHi = 88.0f;   // above: clamped (e^88 = 1.65e38 < FLT_MAX)
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;  // 8 significant bits: k * kLn2Hi is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kP[6] = {1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f,
                                4.1665795894e-2f, 1.6666665459e-1f, 5.0000001201e-1f};

}  // namespace deepgate::quant::exp_poly
