// Hand-built blocks decode to known values: pins the block layouts to the GGUF format.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "core/fp16.h"
#include "core/quant/blocks.h"
#include "core/quant/quant.h"

namespace deepgate::quant {
namespace {

class QuantFormat : public ::testing::TestWithParam<KernelSet> {
 protected:
  void SetUp() override {
    ForceKernels(GetParam());
    if (GetParam() == KernelSet::kAvx2 && ActiveKernels() != KernelSet::kAvx2) {
      GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
    }
  }
  void TearDown() override { ForceKernels(KernelSet::kAvx2); }
};

TEST_P(QuantFormat, Q4_0NibblesDecodeToMinus8Through7) {
  BlockQ4_0 b{};
  b.d = F32ToFp16(1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  float out[32];
  DequantizeRow(GgmlType::Q4_0, &b, out, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], j - 8) << j;
    EXPECT_EQ(out[16 + j], 7 - j) << j;
  }
}

TEST_P(QuantFormat, Q4_1AddsTheBlockMinimum) {
  BlockQ4_1 b{};
  b.d = F32ToFp16(0.5f);
  b.m = F32ToFp16(-1.0f);
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>(j | (j << 4));
  float out[32];
  DequantizeRow(GgmlType::Q4_1, &b, out, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], 0.5f * j - 1.0f);
    EXPECT_EQ(out[16 + j], 0.5f * j - 1.0f);
  }
}

TEST_P(QuantFormat, Q5_0FifthBitComesFromQhBitOfTheElement) {
  BlockQ5_0 b{};
  b.d = F32ToFp16(2.0f);
  const uint32_t high = 0x0001'8001u;  // elements 0, 15 and 16 get bit 4
  std::memcpy(b.qh, &high, 4);
  for (int j = 0; j < 16; ++j) b.qs[j] = 0x33;
  float out[32];
  DequantizeRow(GgmlType::Q5_0, &b, out, 32);
  EXPECT_EQ(out[0], 2.0f * (19 - 16));
  EXPECT_EQ(out[1], 2.0f * (3 - 16));
  EXPECT_EQ(out[15], 2.0f * (19 - 16));
  EXPECT_EQ(out[16], 2.0f * (19 - 16));
  EXPECT_EQ(out[17], 2.0f * (3 - 16));
}

TEST_P(QuantFormat, Q8_0IsScaleTimesInt8) {
  BlockQ8_0 b{};
  b.d = F32ToFp16(0.25f);
  for (int j = 0; j < 32; ++j) b.qs[j] = static_cast<int8_t>(j * 8 - 128);
  float out[32];
  DequantizeRow(GgmlType::Q8_0, &b, out, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], 0.25f * (j * 8 - 128));
}

TEST_P(QuantFormat, Q8_0QuantizesTheMaximumTo127) {
  float x[32];
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j) - 10.0f;  // max |x| = 21
  BlockQ8_0 b{};
  QuantizeRow(GgmlType::Q8_0, x, &b, 32);
  EXPECT_EQ(b.qs[31], 127);
  EXPECT_EQ(b.qs[10], 0);
  EXPECT_EQ(Fp16ToF32(b.d), Fp16ToF32(F32ToFp16(21.0f / 127.0f)));
}

TEST_P(QuantFormat, Q4_0QuantizesTheSignedExtremeToMinus8) {
  float x[32] = {};
  x[3] = 4.0f;
  x[20] = -2.0f;
  BlockQ4_0 b{};
  QuantizeRow(GgmlType::Q4_0, x, &b, 32);
  EXPECT_EQ(Fp16ToF32(b.d), -0.5f);
  EXPECT_EQ(b.qs[3] & 0xF, 0);      // 4 / -0.5 = -8 -> nibble 0
  EXPECT_EQ(b.qs[4] >> 4, 12);      // -2 / -0.5 = 4 -> nibble 12
  EXPECT_EQ(b.qs[0] & 0xF, 8);      // zero -> nibble 8
}

TEST_P(QuantFormat, F16AndBf16RowsConvertElementwise) {
  const float x[4] = {1.0f, -0.5f, 3.0f, 65504.0f};
  uint16_t h[4], bf[4];
  float back[4];
  QuantizeRow(GgmlType::F16, x, h, 4);
  DequantizeRow(GgmlType::F16, h, back, 4);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(back[j], x[j]);
  QuantizeRow(GgmlType::BF16, x, bf, 4);
  DequantizeRow(GgmlType::BF16, bf, back, 4);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(back[j], x[j]);
  EXPECT_EQ(back[3], 65536.0f);  // bf16 keeps 8 mantissa bits
}

TEST_P(QuantFormat, VecDotTypeFollowsTheWeightFamily) {
  EXPECT_EQ(VecDotType(GgmlType::F16), GgmlType::F32);
  EXPECT_EQ(VecDotType(GgmlType::BF16), GgmlType::F32);
  EXPECT_EQ(VecDotType(GgmlType::Q4_0), GgmlType::Q8_0);
  EXPECT_EQ(VecDotType(GgmlType::Q5_1), GgmlType::Q8_0);
  EXPECT_EQ(VecDotType(GgmlType::Q4_K), GgmlType::Q8_K);
  EXPECT_EQ(VecDotType(GgmlType::Q6_K), GgmlType::Q8_K);
}

INSTANTIATE_TEST_SUITE_P(Kernels, QuantFormat,
                         ::testing::Values(KernelSet::kScalar, KernelSet::kAvx2),
                         [](const auto& info) {
                           return info.param == KernelSet::kScalar ? "Scalar" : "Avx2";
                         });

}  // namespace
}  // namespace deepgate::quant
