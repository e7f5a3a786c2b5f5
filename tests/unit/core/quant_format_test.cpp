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
    if (ActiveKernels() != GetParam()) GTEST_SKIP() << "CPU lacks " << KernelSetName(GetParam());
  }
  void TearDown() override { ForceKernels(BestKernels()); }
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

TEST_P(QuantFormat, Q4_KAppliesSubBlockScaleAndMin) {
  BlockQ4_K b{};
  b.d = F32ToFp16(0.5f);
  b.dmin = F32ToFp16(0.25f);
  // Sub-block 0: scale 2, min 4. Sub-block 5: scale 33 (= 1 + 2 << 4), min 18 (= 2 + 1 << 4).
  b.scales[0] = 2;
  b.scales[4] = 4;
  b.scales[9] = static_cast<uint8_t>(1 | (2 << 4));  // low nibbles of scale 5 / min 5
  b.scales[1] = static_cast<uint8_t>(2 << 6);        // scale 5 bits 4-5
  b.scales[5] = static_cast<uint8_t>(1 << 6);        // min 5 bits 4-5
  for (int l = 0; l < 32; ++l) b.qs[l] = static_cast<uint8_t>((l % 16) | (3 << 4));  // sub-blocks 0, 1
  for (int l = 0; l < 32; ++l) b.qs[64 + l] = static_cast<uint8_t>(7 << 4);         // sub-block 5 = 7
  float out[256];
  DequantizeRow(GgmlType::Q4_K, &b, out, 256);
  for (int l = 0; l < 32; ++l) EXPECT_EQ(out[l], 0.5f * 2 * (l % 16) - 0.25f * 4) << l;
  EXPECT_EQ(out[32], 0.0f);  // sub-block 1 has scale 0 and min 0
  for (int l = 0; l < 32; ++l) EXPECT_EQ(out[160 + l], 0.5f * 33 * 7 - 0.25f * 18) << l;
}

TEST_P(QuantFormat, Q6_KCentresSixBitQuantsOn32) {
  BlockQ6_K b{};
  b.d = F32ToFp16(0.125f);
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(s - 8);
  // Element 0: low nibble 5, high bits 2 -> 37 -> +5. Element 64: high nibble 1, bits 0 -> -31.
  b.ql[0] = static_cast<uint8_t>(5 | (1 << 4));
  b.qh[0] = 2;
  float out[256];
  DequantizeRow(GgmlType::Q6_K, &b, out, 256);
  EXPECT_EQ(out[0], 0.125f * -8 * 5);
  EXPECT_EQ(out[64], 0.125f * (4 - 8) * -31);
  EXPECT_EQ(out[1], 0.125f * -8 * -32);
}

// ggml's quantize_row_q8_K: iscale = -127 / max (the signed extreme maps to -127), so
// activations match llama.cpp's bit for bit.
TEST_P(QuantFormat, Q8_KRecordsGroupSumsAndMapsTheExtremeToMinus127) {
  float x[256];
  for (int e = 0; e < 256; ++e) x[e] = static_cast<float>(e % 16) - 4.0f;
  x[100] = 64.0f;
  BlockQ8_K b{};
  QuantizeRow(GgmlType::Q8_K, x, &b, 256);
  EXPECT_EQ(b.qs[100], -127);
  EXPECT_FLOAT_EQ(b.d, -64.0f / 127.0f);
  for (int g = 0; g < 16; ++g) {
    int sum = 0;
    for (int k = 0; k < 16; ++k) sum += b.qs[16 * g + k];
    EXPECT_EQ(b.bsums[g], sum) << g;
  }
  EXPECT_EQ(b.qs[0], 8);  // -4 * -127 / 64 = 7.94
}

TEST_P(QuantFormat, F32DotHandlesLengthsThatAreNotAVectorMultiple) {
  for (int64_t n : {1, 7, 15, 37}) {
    std::vector<float> w(n), x(n);
    float want = 0;
    for (int64_t i = 0; i < n; ++i) w[i] = 0.5f * i, x[i] = 1.0f - 0.25f * i, want += w[i] * x[i];
    EXPECT_FLOAT_EQ(VecDot(GgmlType::F32, n, w.data(), x.data()), want) << n;
    std::vector<uint16_t> h(n);
    QuantizeRow(GgmlType::F16, w.data(), h.data(), n);
    EXPECT_FLOAT_EQ(VecDot(GgmlType::F16, n, h.data(), x.data()), want) << n;
  }
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
  EXPECT_EQ(VecDotType(GgmlType::BF16), GgmlType::BF16);  // bf16 activations, as llama.cpp
  EXPECT_EQ(VecDotType(GgmlType::Q4_0), GgmlType::Q8_0);
  EXPECT_EQ(VecDotType(GgmlType::Q5_1), GgmlType::Q8_0);
  EXPECT_EQ(VecDotType(GgmlType::Q4_K), GgmlType::Q8_K);
  EXPECT_EQ(VecDotType(GgmlType::Q6_K), GgmlType::Q8_K);
}

INSTANTIATE_TEST_SUITE_P(Kernels, QuantFormat,
                         ::testing::Values(KernelSet::kScalar, KernelSet::kAvx2, KernelSet::kAvxVnni, KernelSet::kAvx512),
                         [](const auto& info) {
                           return info.param == KernelSet::kScalar    ? "Scalar"
                                  : info.param == KernelSet::kAvx2    ? "Avx2"
                                  : info.param == KernelSet::kAvxVnni ? "AvxVnni"
                                                                      : "Avx512";
                         });

}  // namespace
}  // namespace deepgate::quant
