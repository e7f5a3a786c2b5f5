// fp16 / bf16 scalar conversions: exact values, rounding, subnormals, inf and NaN.
#include "core/fp16.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

TEST(Fp16, DecodesNormalNumbersExactly) {
  EXPECT_EQ(Fp16ToF32(0x3C00), 1.0f);
  EXPECT_EQ(Fp16ToF32(0xC000), -2.0f);
  EXPECT_EQ(Fp16ToF32(0x7BFF), 65504.0f);
  EXPECT_EQ(Fp16ToF32(0x3555), 0.333251953125f);
}

TEST(Fp16, DecodesSubnormalsExactly) {
  EXPECT_EQ(Fp16ToF32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToF32(0x03FF), 1023.0f * std::ldexp(1.0f, -24));
  EXPECT_EQ(Fp16ToF32(0x8001), -std::ldexp(1.0f, -24));
}

TEST(Fp16, DecodesSignedZeroInfAndNan) {
  EXPECT_EQ(F32Bits(Fp16ToF32(0x8000)), 0x80000000u);
  EXPECT_EQ(Fp16ToF32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(Fp16ToF32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(Fp16ToF32(0x7E00)));
  EXPECT_TRUE(std::isnan(Fp16ToF32(0x7C01)));
}

TEST(Fp16, EveryHalfRoundTripsThroughF32) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = Fp16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(Fp16ToF32(F32ToFp16(f)))) << h;
    } else {
      EXPECT_EQ(F32ToFp16(f), h) << h;
    }
  }
}

TEST(Fp16, EncodeRoundsTiesToEven) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even 1.0.
  EXPECT_EQ(F32ToFp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);
  // 1 + 3 * 2^-11 is halfway between 0x3C01 and 0x3C02: goes to the even 0x3C02.
  EXPECT_EQ(F32ToFp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);
  // Just above the halfway point rounds up.
  EXPECT_EQ(F32ToFp16(std::nextafter(1.0f + std::ldexp(1.0f, -11), 2.0f)), 0x3C01);
}

TEST(Fp16, EncodeRoundsIntoAndOutOfSubnormals) {
  EXPECT_EQ(F32ToFp16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even zero
  EXPECT_EQ(F32ToFp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(F32ToFp16(std::ldexp(3.0f, -25)), 0x0002);  // 1.5 ulp ties to even 2
  EXPECT_EQ(F32ToFp16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(F32ToFp16(-std::ldexp(1.0f, -30)), 0x8000);
  // The largest subnormal plus half an ulp rounds up to the smallest normal.
  EXPECT_EQ(F32ToFp16(1023.5f * std::ldexp(1.0f, -24)), 0x0400);
}

TEST(Fp16, EncodeOverflowsToInfinity) {
  EXPECT_EQ(F32ToFp16(65504.0f), 0x7BFF);
  EXPECT_EQ(F32ToFp16(65519.0f), 0x7BFF);
  EXPECT_EQ(F32ToFp16(65520.0f), 0x7C00);
  EXPECT_EQ(F32ToFp16(-1e10f), 0xFC00);
  EXPECT_EQ(F32ToFp16(std::numeric_limits<float>::infinity()), 0x7C00);
}

TEST(Fp16, EncodeKeepsNanANan) {
  const uint16_t h = F32ToFp16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(h & 0x7C00, 0x7C00);
  EXPECT_NE(h & 0x03FF, 0);
  // A NaN whose payload lives only in the low bits must not turn into infinity.
  EXPECT_NE(F32ToFp16(F32FromBits(0x7F800001u)) & 0x03FF, 0);
}

TEST(Bf16, DecodesByWideningTheBits) {
  EXPECT_EQ(Bf16ToF32(0x3F80), 1.0f);
  EXPECT_EQ(Bf16ToF32(0xC040), -3.0f);
  EXPECT_EQ(Bf16ToF32(0x0001), F32FromBits(0x00010000u));  // subnormal
  EXPECT_EQ(Bf16ToF32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(Bf16ToF32(0x7FC0)));
}

TEST(Bf16, EncodeRoundsTiesToEven) {
  EXPECT_EQ(F32ToBf16(F32FromBits(0x3F808000u)), 0x3F80);  // tie, even stays
  EXPECT_EQ(F32ToBf16(F32FromBits(0x3F818000u)), 0x3F82);  // tie, odd rounds up
  EXPECT_EQ(F32ToBf16(F32FromBits(0x3F808001u)), 0x3F81);
  EXPECT_EQ(F32ToBf16(F32FromBits(0x7F7FFFFFu)), 0x7F80);  // overflow to inf
}

TEST(Bf16, EncodeKeepsNanANan) {
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(F32FromBits(0x7F800001u)))));
  EXPECT_TRUE(std::isnan(Bf16ToF32(F32ToBf16(std::numeric_limits<float>::quiet_NaN()))));
}

}  // namespace
}  // namespace deepgate
