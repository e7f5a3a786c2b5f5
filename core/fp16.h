// IEEE half (fp16) and bfloat16 <-> f32 scalar conversions, bit-exact and portable.
//
// f32 -> fp16 and f32 -> bf16 round to nearest, ties to even; overflow gives inf, NaN stays a
// (quiet) NaN, subnormals are produced and read exactly. These are the conversions every
// quantized format's block scales use, so the scalar and SIMD paths must agree with them
// (F16C's vcvtps2ph with rounding mode 0 gives the same results).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <cstring>

namespace deepgate {

inline uint32_t F32Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float F32FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

inline float Fp16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  const uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) return F32FromBits(sign | 0x7F800000u | (mant << 13));  // inf / NaN
  if (exp != 0) return F32FromBits(sign | ((exp + 112) << 23) | (mant << 13));
  // Zero or subnormal: mant * 2^-24 is exact in f32.
  const float magnitude = static_cast<float>(mant) * (1.0f / 16777216.0f);
  return F32FromBits(sign | F32Bits(magnitude));
}

inline uint16_t F32ToFp16(float f) {
  const uint32_t u = F32Bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t abs = u & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) {  // inf or NaN (NaN keeps a payload bit so it stays NaN)
    return static_cast<uint16_t>(sign | 0x7C00u | (abs > 0x7F800000u ? 0x200u | ((abs >> 13) & 0x3FFu) : 0));
  }
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);  // rounds past 65504
  if (abs < 0x38800000u) {
    // Result is subnormal or zero: value / 2^-24 rounded to an integer, ties to even.
    // Adding 0.5f moves the mantissa bits of interest to the bottom of the f32 mantissa, and
    // the f32 add itself rounds ties to even.
    const float scaled = F32FromBits(abs) + 0.5f;
    return static_cast<uint16_t>(sign | (F32Bits(scaled) - F32Bits(0.5f)));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits, ties to even; a carry
  // out of the mantissa correctly bumps the exponent.
  const uint32_t odd = (abs >> 13) & 1u;
  const uint32_t rounded = abs + 0xFFFu + odd;
  return static_cast<uint16_t>(sign | ((rounded - 0x38000000u) >> 13));
}

inline float Bf16ToF32(uint16_t b) { return F32FromBits(static_cast<uint32_t>(b) << 16); }

inline uint16_t F32ToBf16(float f) {
  const uint32_t u = F32Bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);  // quiet NaN
  const uint32_t odd = (u >> 16) & 1u;
  return static_cast<uint16_t>((u + 0x7FFFu + odd) >> 16);
}

}  // namespace deepgate
