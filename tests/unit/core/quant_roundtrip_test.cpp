// Properties every type must have under both kernel sets: quantize -> dequantize stays within
// a per-type error bound, and VecDot equals the float dot product of the dequantized rows.
#include <string>

#include <gtest/gtest.h>

#include "tests/unit/quant_test_util.h"

namespace deepgate::quant {
namespace {

using testing::AbsDot;
using testing::Dequantized;
using testing::Dot;
using testing::MakeActivation;
using testing::Quantized;
using testing::RandomRow;
using testing::RandomWeightRow;
using testing::RelativeRmse;
using testing::ScopedKernels;

std::string SetName(KernelSet set) { return set == KernelSet::kScalar ? "Scalar" : "Avx2"; }

bool SkipUnlessAvailable(KernelSet set) {
  return set == KernelSet::kAvx2 && ActiveKernels() != KernelSet::kAvx2;
}

struct RoundTripCase {
  GgmlType type;
  double max_rel_rmse;  // for gaussian data, relative to the row's RMS
};

class QuantRoundTrip : public ::testing::TestWithParam<std::tuple<RoundTripCase, KernelSet>> {};

TEST_P(QuantRoundTrip, DequantizedRowStaysWithinTheTypesErrorBound) {
  const auto [c, set] = GetParam();
  ScopedKernels kernels(set);
  if (SkipUnlessAvailable(set)) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  for (int64_t n : {256, 1024, 4864}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      const auto row = RandomRow(n, seed);
      const auto back = Dequantized(c.type, Quantized(c.type, row), n);
      EXPECT_LT(RelativeRmse(row, back), c.max_rel_rmse) << TypeName(c.type) << " n=" << n;
    }
  }
}

TEST_P(QuantRoundTrip, ZeroRowQuantizesToZeros) {
  const auto [c, set] = GetParam();
  ScopedKernels kernels(set);
  if (SkipUnlessAvailable(set)) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  const std::vector<float> zeros(512, 0.0f);
  for (float v : Dequantized(c.type, Quantized(c.type, zeros), 512)) EXPECT_EQ(v, 0.0f);
}

const RoundTripCase kRoundTripCases[] = {
    // Bounds sit ~15% above what the quantizers reach on gaussian rows (n = 4864).
    {GgmlType::F32, 1e-9},   {GgmlType::F16, 3e-4},   {GgmlType::BF16, 2e-3},
    {GgmlType::Q8_0, 0.007}, {GgmlType::Q8_K, 0.008}, {GgmlType::Q4_0, 0.10},
    {GgmlType::Q5_0, 0.05},  {GgmlType::Q4_K, 0.08},  {GgmlType::Q5_K, 0.042},
    {GgmlType::Q6_K, 0.021},
};

INSTANTIATE_TEST_SUITE_P(
    Types, QuantRoundTrip,
    ::testing::Combine(::testing::ValuesIn(kRoundTripCases),
                       ::testing::Values(KernelSet::kScalar, KernelSet::kAvx2)),
    [](const auto& info) {
      return std::string(TypeName(std::get<0>(info.param).type)) + "_" +
             SetName(std::get<1>(info.param));
    });

class QuantVecDot : public ::testing::TestWithParam<std::tuple<GgmlType, KernelSet>> {};

// VecDot works on the stored integers; it must equal the float dot of the dequantized rows
// up to float summation error: |err| <= 1e-5 * sum |w_i x_i|.
TEST_P(QuantVecDot, EqualsDotOfDequantizedRows) {
  const auto [type, set] = GetParam();
  ScopedKernels kernels(set);
  if (SkipUnlessAvailable(set)) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  ASSERT_TRUE(IsComputeSupported(type));
  for (int64_t n : {256, 512, 4864}) {
    for (uint32_t seed : {7u, 8u, 9u}) {
      const auto w = RandomWeightRow(type, n, seed);
      const auto x = MakeActivation(type, n, seed + 100);
      const auto wf = Dequantized(type, w, n);
      const double want = Dot(wf, x.values);
      const float got = VecDot(type, n, w.data(), x.bytes.data());
      EXPECT_NEAR(got, want, 1e-5 * AbsDot(wf, x.values) + 1e-6) << TypeName(type) << " n=" << n;
    }
  }
}

TEST_P(QuantVecDot, RowsMatchSingleRowCalls) {
  const auto [type, set] = GetParam();
  ScopedKernels kernels(set);
  if (SkipUnlessAvailable(set)) GTEST_SKIP() << "CPU lacks AVX2/FMA/F16C";
  const int64_t n = 512, rows = 7;  // odd count exercises any multi-row tail
  const size_t stride = testing::Bytes(type, n);
  std::vector<uint8_t> matrix;
  for (int r = 0; r < rows; ++r) {
    const auto row = RandomWeightRow(type, n, 50 + r);
    matrix.insert(matrix.end(), row.begin(), row.end());
  }
  const auto x = MakeActivation(type, n, 99);
  std::vector<float> out(rows);
  VecDotRows(type, n, matrix.data(), stride, rows, x.bytes.data(), out.data());
  for (int r = 0; r < rows; ++r) {
    EXPECT_EQ(out[r], VecDot(type, n, matrix.data() + r * stride, x.bytes.data())) << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantVecDot,
    ::testing::Combine(::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16,
                                         GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                                         GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q2_K,
                                         GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                                         GgmlType::Q6_K),
                       ::testing::Values(KernelSet::kScalar, KernelSet::kAvx2)),
    [](const auto& info) {
      return std::string(TypeName(std::get<0>(info.param))) + "_" + SetName(std::get<1>(info.param));
    });

}  // namespace
}  // namespace deepgate::quant
