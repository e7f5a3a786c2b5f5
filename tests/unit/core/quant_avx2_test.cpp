// The AVX2 kernels against the scalar reference: dot products within a stated tolerance,
// activation quantizers byte-identical. Skipped on CPUs without AVX2/FMA/F16C.
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/quant_test_util.h"

namespace deepgate::quant {
namespace {

using testing::AbsDot;
using testing::Dequantized;
using testing::MakeActivation;
using testing::RandomRow;
using testing::RandomWeightRow;
using testing::ScopedKernels;

bool HaveAvx2() {
  ScopedKernels probe(KernelSet::kAvx2);
  return ActiveKernels() == KernelSet::kAvx2;
}

template <typename Fn>
auto WithKernels(KernelSet set, Fn fn) {
  ScopedKernels kernels(set);
  return fn();
}

class QuantAvx2VecDot : public ::testing::TestWithParam<GgmlType> {
 protected:
  void SetUp() override {
    if (!HaveAvx2()) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  }
};

// Every SIMD set this CPU runs (AVX2, AVX-VNNI, AVX-512).
std::vector<KernelSet> FastSets() {
  std::vector<KernelSet> sets;
  for (auto set : {KernelSet::kAvx2, KernelSet::kAvxVnni, KernelSet::kAvx512}) {
    if (set <= BestKernels()) sets.push_back(set);
  }
  return sets;
}

// Both paths sum the same exact integer products per block; only float summation order
// differs, so |fast - scalar| <= 1e-5 * sum |w_i x_i|. n = 800 has an odd block count.
TEST_P(QuantAvx2VecDot, MatchesScalarWithinSummationError) {
  const GgmlType type = GetParam();
  for (int64_t n : {256, 768, 800, 2304, 4864}) {
    if (n % 256 != 0 && VecDotType(type) == GgmlType::Q8_K) continue;
    for (uint32_t seed : {11u, 12u, 13u, 14u}) {
      const auto w = RandomWeightRow(type, n, seed);
      const auto x = MakeActivation(type, n, seed + 1000);
      const float scalar = WithKernels(KernelSet::kScalar, [&] { return VecDot(type, n, w.data(), x.bytes.data()); });
      const auto wf = Dequantized(type, w, n);
      for (KernelSet set : FastSets()) {
        const float fast = WithKernels(set, [&] { return VecDot(type, n, w.data(), x.bytes.data()); });
        EXPECT_NEAR(fast, scalar, 1e-5 * AbsDot(wf, x.values) + 1e-6)
            << TypeName(type) << " n=" << n << " " << KernelSetName(set);
      }
    }
  }
}

TEST_P(QuantAvx2VecDot, RowsMatchScalarRows) {
  const GgmlType type = GetParam();
  const int64_t n = 1024, rows = 9;
  const size_t stride = testing::Bytes(type, n);
  std::vector<uint8_t> matrix;
  for (int r = 0; r < rows; ++r) {
    const auto row = RandomWeightRow(type, n, 300 + r);
    matrix.insert(matrix.end(), row.begin(), row.end());
  }
  const auto x = MakeActivation(type, n, 77);
  std::vector<float> scalar(rows), fast(rows);
  WithKernels(KernelSet::kScalar, [&] { VecDotRows(type, n, matrix.data(), stride, rows, x.bytes.data(), scalar.data()); return 0; });
  for (KernelSet set : FastSets()) {
    WithKernels(set, [&] { VecDotRows(type, n, matrix.data(), stride, rows, x.bytes.data(), fast.data()); return 0; });
    for (int r = 0; r < rows; ++r) {
      const std::vector<uint8_t> row(matrix.begin() + r * stride, matrix.begin() + (r + 1) * stride);
      EXPECT_NEAR(fast[r], scalar[r], 1e-5 * AbsDot(Dequantized(type, row, n), x.values) + 1e-6)
          << r << " " << KernelSetName(set);
      // Each row alone (VecDot) gives exactly what the multi-row kernel gave.
      EXPECT_EQ(WithKernels(set, [&] { return VecDot(type, n, row.data(), x.bytes.data()); }), fast[r]) << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantAvx2VecDot,
                         ::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16,
                                           GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q8_0,
                                           GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K,
                                           GgmlType::Q5_K, GgmlType::Q6_K),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

class QuantAvx2Quantize : public ::testing::TestWithParam<GgmlType> {
 protected:
  void SetUp() override {
    if (!HaveAvx2()) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  }
};

TEST_P(QuantAvx2Quantize, ProducesTheScalarBytes) {
  const GgmlType type = GetParam();
  for (int64_t n : {256, 4864}) {
    for (uint32_t seed : {21u, 22u, 23u}) {
      for (float sigma : {1.0f, 1e-3f, 300.0f}) {
        const auto row = RandomRow(n, seed, sigma);
        const auto scalar = WithKernels(KernelSet::kScalar, [&] { return testing::Quantized(type, row); });
        const auto fast = WithKernels(KernelSet::kAvx2, [&] { return testing::Quantized(type, row); });
        EXPECT_EQ(fast, scalar) << TypeName(type) << " n=" << n << " sigma=" << sigma;
      }
    }
  }
}

// Equal magnitudes of opposite sign: the first one decides the scale's sign in both paths.
TEST_P(QuantAvx2Quantize, TiesOnTheExtremeResolveLikeScalar) {
  const GgmlType type = GetParam();
  std::vector<float> row(256, 0.25f);
  row[40] = -2.0f;
  row[41] = 2.0f;
  row[200] = 2.0f;
  const auto scalar = WithKernels(KernelSet::kScalar, [&] { return testing::Quantized(type, row); });
  const auto fast = WithKernels(KernelSet::kAvx2, [&] { return testing::Quantized(type, row); });
  EXPECT_EQ(fast, scalar);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantAvx2Quantize, ::testing::Values(GgmlType::Q8_0, GgmlType::Q8_K),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

TEST(QuantDispatch, ForcingScalarIsReportedAndReversible) {
  {
    ScopedKernels kernels(KernelSet::kScalar);
    EXPECT_EQ(ActiveKernels(), KernelSet::kScalar);
  }
  EXPECT_EQ(ActiveKernels(), BestKernels());
  EXPECT_EQ(BestKernels() != KernelSet::kScalar, HaveAvx2());
}

TEST(QuantDispatch, ComputeSupportCoversTheModelTypes) {
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0, GgmlType::Q4_1,
                     GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K, GgmlType::Q3_K,
                     GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    EXPECT_TRUE(IsComputeSupported(t)) << TypeName(t);
  }
  EXPECT_FALSE(IsComputeSupported(GgmlType::Q8_K));  // activation format only
  EXPECT_FALSE(IsComputeSupported(GgmlType::I32));
  EXPECT_FALSE(IsQuantizeSupported(GgmlType::Q2_K));
  EXPECT_TRUE(IsQuantizeSupported(GgmlType::Q8_K));
}

}  // namespace
}  // namespace deepgate::quant
