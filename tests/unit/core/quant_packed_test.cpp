// PackWeights + PackedGemm: every (weight row, activation row) pair agrees with VecDot of the same
// Q8_0 (K-quants: Q8_K) activation within float rounding, for row counts around the 16-row group
// (padding rows, masked stores), column counts that use every micro-kernel width, an odd block
// count, Q8_0 quants of -128, K-quant blocks with every quant, scale and min bit pattern, and
// an output stride wider than the tile; one column at a time and a later row range give the
// same bits as the whole tile; the packed path is offered only on the SIMD kernel sets.
#include "core/quant/packed_gemm.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/quant/blocks.h"
#include "core/quant/quant.h"
#include "quant_test_util.h"

namespace deepgate::quant {
namespace {

using testing::RandomRow;

// RandomWeightRow, and for the K-quants random bytes over everything but the block scales
// (d, dmin), so every quant, high bit, sub-block scale (Q6_K: negative ones too) and min occurs.
std::vector<uint8_t> RandomWeightRow(GgmlType w, int64_t n, uint32_t seed) {
  std::vector<uint8_t> row = testing::RandomWeightRow(w, n, seed);
  if (!IsPackedKType(w)) return row;
  std::mt19937 rng(seed * 7 + 1);
  const size_t block = RowBytes(w, 256).value();
  // The fp16 scales: Q4_K / Q5_K start with d, dmin; Q6_K ends with d.
  const size_t keep_begin = w == GgmlType::Q6_K ? block - 2 : 0, keep_end = w == GgmlType::Q6_K ? block : 4;
  for (size_t i = 0; i < row.size(); ++i) {
    const size_t off = i % block;
    if (off < keep_begin || off >= keep_end) row[i] = static_cast<uint8_t>(rng());
  }
  return row;
}

class QuantPackedTest : public ::testing::TestWithParam<GgmlType> {
 protected:
  void SetUp() override {
    if (!HasPackedGemm(GetParam())) GTEST_SKIP() << "no packed GEMM on this CPU (needs AVX-512 VNNI)";
  }
  void TearDown() override { ForceKernels(BestKernels()); }

  // PackedGemm of a fixed 37 x 11 problem (n = 1024) under the given kernel set.
  std::vector<float> Run(KernelSet set) {
    const GgmlType w = GetParam();
    const int64_t n = 1024, n_rows = 37, n_cols = 11;
    const size_t wrb = RowBytes(w, n).value(), xs = PackedActivationBytes(w, n);
    std::vector<uint8_t> weights(wrb * n_rows), packed(xs * n_cols);
    for (int64_t r = 0; r < n_rows; ++r) {
      auto row = RandomWeightRow(w, n, static_cast<uint32_t>(900 + r));
      std::copy(row.begin(), row.end(), weights.begin() + r * wrb);
    }
    for (int64_t c = 0; c < n_cols; ++c) {
      const std::vector<float> x = RandomRow(n, static_cast<uint32_t>(950 + c));
      PackActivationRow(w, x.data(), n, packed.data() + c * xs);
    }
    std::vector<uint8_t> wpacked(PackedWeightBytes(w, n, n_rows) + 64);
    uint8_t* wp = wpacked.data() + (64 - reinterpret_cast<uintptr_t>(wpacked.data()) % 64) % 64;
    PackWeights(w, n, weights.data(), wrb, n_rows, wp);
    std::vector<float> out(static_cast<size_t>(n_rows * n_cols));
    ForceKernels(set);
    PackedGemm(w, n, wp, n_rows, packed.data(), xs, n_cols, out.data(), static_cast<size_t>(n_rows));
    return out;
  }

  void Check(int64_t n, int64_t n_rows, int64_t n_cols) {
    const GgmlType w = GetParam();
    const GgmlType xt = VecDotType(w);
    const size_t wrb = RowBytes(w, n).value(), qrb = RowBytes(xt, n).value();
    const size_t xs = PackedActivationBytes(w, n);
    std::vector<uint8_t> weights(wrb * n_rows), q8(qrb * n_cols), packed(xs * n_cols);
    std::vector<std::vector<float>> wvals(n_rows), xvals(n_cols);
    for (int64_t r = 0; r < n_rows; ++r) {
      auto row = RandomWeightRow(w, n, static_cast<uint32_t>(300 + r));
      if (w == GgmlType::Q8_0) {
        for (size_t k = 2 + r; k < row.size(); k += 11) {
          if (k % sizeof(BlockQ8_0) >= 2) row[k] = 0x80;  // a quant of -128, never a scale byte
        }
      }
      std::copy(row.begin(), row.end(), weights.begin() + r * wrb);
      wvals[r].resize(n);
      DequantizeRow(w, row.data(), wvals[r].data(), n);
    }
    for (int64_t c = 0; c < n_cols; ++c) {
      const std::vector<float> x = RandomRow(n, static_cast<uint32_t>(700 + c));
      QuantizeRow(xt, x.data(), q8.data() + c * qrb, n);
      PackActivationRow(w, x.data(), n, packed.data() + c * xs);
      xvals[c].resize(n);
      DequantizeRow(xt, q8.data() + c * qrb, xvals[c].data(), n);
    }
    const size_t os = static_cast<size_t>(n_rows) + 5;
    std::vector<float> out(os * n_cols, -12345.0f);
    std::vector<uint8_t> wpacked(PackedWeightBytes(w, n, n_rows) + 64);
    uint8_t* wp = wpacked.data() + (64 - reinterpret_cast<uintptr_t>(wpacked.data()) % 64) % 64;  // 64-aligned
    PackWeights(w, n, weights.data(), wrb, n_rows, wp);
    PackedGemm(w, n, wp, n_rows, packed.data(), xs, n_cols, out.data(), os);
    // A row range starting at a later group gives the same bits as the whole (decode and
    // prefill split the rows differently).
    if (n_rows > kPackedGroupRows) {
      std::vector<float> part(os * n_cols, -1.0f);
      PackedGemm(w, n, wp + PackedGroupBytes(w, n), n_rows - kPackedGroupRows, packed.data(), xs, n_cols,
                 part.data() + kPackedGroupRows, os);
      for (int64_t c = 0; c < n_cols; ++c) {
        for (int64_t r = kPackedGroupRows; r < n_rows; ++r) ASSERT_EQ(part[c * os + r], out[c * os + r]);
      }
    }
    // One activation row at a time gives the same bits as the batch.
    for (int64_t c = 0; c < n_cols; ++c) {
      std::vector<float> one(static_cast<size_t>(n_rows));
      PackedGemm(w, n, wp, n_rows, packed.data() + c * xs, xs, 1, one.data(), 0);
      for (int64_t r = 0; r < n_rows; ++r) ASSERT_EQ(one[r], out[c * os + r]) << "r=" << r << " c=" << c;
    }
    for (int64_t c = 0; c < n_cols; ++c) {
      for (int64_t r = 0; r < n_rows; ++r) {
        const float want = VecDot(w, n, weights.data() + r * wrb, q8.data() + c * qrb);
        const double mag = testing::AbsDot(wvals[r], xvals[c]);
        ASSERT_NEAR(out[c * os + r], want, 1e-5 * mag + 1e-6) << "r=" << r << " c=" << c;
      }
      for (size_t k = n_rows; k < os; ++k) ASSERT_EQ(out[c * os + k], -12345.0f) << "wrote outside the tile";
    }
  }
};

TEST_P(QuantPackedTest, MatchesVecDotForEveryTileShape) {
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {15, 3}, {16, 8}, {17, 15}, {33, 9}, {64, 70}}) {
    SCOPED_TRACE(::testing::Message() << rows << " x " << cols);
    Check(512, rows, cols);
  }
  Check(IsPackedKType(GetParam()) ? 768 : 800, 20, 13);  // an odd block count: 3 or 25
}

// The AVX2 kernel (also the AVX-VNNI set's) on the same packed layout: the same checks, and
// the same bits as the AVX-512 kernel.
TEST_P(QuantPackedTest, Avx2KernelMatchesVecDotAndTheAvx512Bits) {
  for (KernelSet set : {KernelSet::kAvx2, KernelSet::kAvxVnni}) {
    ForceKernels(set);
    if (ActiveKernels() != set) continue;
    SCOPED_TRACE(KernelSetName(set));
    ASSERT_TRUE(HasPackedGemm(GetParam()));
    // One column (decode) takes both halves of a group in one pass: full, partial second half,
    // second half empty.
    for (auto [rows, cols] :
         {std::pair<int64_t, int64_t>{1, 1}, {13, 1}, {40, 1}, {7, 3}, {15, 5}, {16, 8}, {33, 9}, {64, 70}}) {
      SCOPED_TRACE(::testing::Message() << rows << " x " << cols);
      Check(512, rows, cols);
    }
    Check(IsPackedKType(GetParam()) ? 768 : 800, 20, 13);
  }
  ForceKernels(KernelSet::kAvx512);
  if (ActiveKernels() != KernelSet::kAvx512) return;
  const std::vector<float> wide = Run(KernelSet::kAvx512), narrow = Run(KernelSet::kAvx2);
  EXPECT_EQ(wide, narrow);
}

TEST_P(QuantPackedTest, NotOnTheScalarKernels) {
  ForceKernels(KernelSet::kScalar);
  EXPECT_FALSE(HasPackedGemm(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Types, QuantPackedTest,
                         ::testing::Values(GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q4_K,
                                           GgmlType::Q5_K, GgmlType::Q6_K),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

TEST(QuantPackedTypesTest, OtherTypesHaveNoPackedGemm) {
  for (GgmlType t : {GgmlType::F16, GgmlType::Q4_1, GgmlType::Q2_K, GgmlType::Q3_K}) EXPECT_FALSE(HasPackedGemm(t));
}

}  // namespace
}  // namespace deepgate::quant
