// VecDotTile: every (weight row, activation row) pair equals VecDot (exactly where a tile
// kernel exists), for tile shapes that exercise every remainder path, on the active kernels
// and on the scalar path.
#include "core/quant/tile.h"

#include "core/quant/blocks.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "quant_test_util.h"

namespace deepgate::quant {
namespace {

using testing::MakeActivation;
using testing::RandomWeightRow;

class QuantTileTest : public ::testing::TestWithParam<GgmlType> {
 protected:
  void TearDown() override { ForceKernels(BestKernels()); }

  void CheckAgainstVecDot(int64_t n, int64_t n_rows, int64_t n_cols) {
    const GgmlType w = GetParam();
    const size_t wrb = RowBytes(w, n).value();
    const size_t xrb = RowBytes(VecDotType(w), n).value();
    std::vector<uint8_t> weights(wrb * n_rows), acts(xrb * n_cols);
    std::vector<std::vector<float>> wvals, xvals;
    for (int64_t r = 0; r < n_rows; ++r) {
      auto row = RandomWeightRow(w, n, static_cast<uint32_t>(100 + r));
      std::copy(row.begin(), row.end(), weights.begin() + r * wrb);
      std::vector<float> deq(n);
      DequantizeRow(w, row.data(), deq.data(), n);
      wvals.push_back(deq);
    }
    for (int64_t c = 0; c < n_cols; ++c) {
      auto a = MakeActivation(w, n, static_cast<uint32_t>(900 + c));
      std::copy(a.bytes.begin(), a.bytes.end(), acts.begin() + c * xrb);
      xvals.push_back(a.values);
    }
    const size_t os = static_cast<size_t>(n_rows) + 3;  // a stride wider than the tile
    std::vector<float> out(os * n_cols, -12345.0f);
    VecDotTile(w, n, weights.data(), wrb, n_rows, acts.data(), xrb, n_cols, out.data(), os);
    for (int64_t c = 0; c < n_cols; ++c) {
      for (int64_t r = 0; r < n_rows; ++r) {
        const float want = VecDot(w, n, weights.data() + r * wrb, acts.data() + c * xrb);
        double mag = 0;
        for (int64_t i = 0; i < n; ++i) mag += std::fabs(static_cast<double>(wvals[r][i]) * xvals[c][i]);
        if (HasTileKernel(w)) {
          // The tile kernels repeat VecDotRows' arithmetic exactly (see tile.h).
          ASSERT_EQ(out[c * os + r], want) << "r=" << r << " c=" << c;
        } else {
          ASSERT_NEAR(out[c * os + r], want, 1e-5 * mag + 1e-6) << "r=" << r << " c=" << c;
        }
      }
      for (size_t k = n_rows; k < os; ++k) ASSERT_EQ(out[c * os + k], -12345.0f) << "wrote outside the tile";
    }
  }
};

TEST_P(QuantTileTest, MatchesVecDotOnActiveKernels) {
  // Past 12 columns the AVX-512 tiles take the weight scales from a scratch array, not inline.
  for (auto [rows, cols] :
       {std::pair<int64_t, int64_t>{1, 1}, {4, 2}, {4, 3}, {7, 5}, {9, 7}, {16, 1}, {9, 13}, {5, 20}}) {
    CheckAgainstVecDot(512, rows, cols);
  }
  // An odd number of 32-element blocks (the AVX-512 kernels pair blocks).
  if (VecDotType(GetParam()) == GgmlType::Q8_0) {
    CheckAgainstVecDot(800, 9, 7);
    CheckAgainstVecDot(800, 9, 15);
  }
}

TEST_P(QuantTileTest, MatchesVecDotOnScalarKernels) {
  ForceKernels(KernelSet::kScalar);
  CheckAgainstVecDot(256, 5, 3);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantTileTest,
                         ::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q4_0,
                                           GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q6_K,
                                           GgmlType::Q5_K, GgmlType::Q4_1),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

// The AVX-VNNI kernels compute the same int32 lanes and float steps as the AVX2 ones, so rows
// and tiles agree bit for bit across the two sets (a model's logits do not depend on which one
// a CPU has). Q8_0 weights include -128, the byte the two sign schemes treat differently.
class QuantVnniTest : public ::testing::TestWithParam<GgmlType> {
 protected:
  void SetUp() override {
    if (BestKernels() < KernelSet::kAvxVnni) GTEST_SKIP() << "CPU lacks AVX-VNNI";
  }
  void TearDown() override { ForceKernels(BestKernels()); }
};

TEST_P(QuantVnniTest, RowsAndTilesMatchAvx2BitForBit) {
  const GgmlType w = GetParam();
  const int64_t n = 1024, n_rows = 11, n_cols = 5;
  const size_t wrb = RowBytes(w, n).value(), xrb = RowBytes(VecDotType(w), n).value();
  std::vector<uint8_t> weights(wrb * n_rows), acts(xrb * n_cols);
  for (int64_t r = 0; r < n_rows; ++r) {
    auto row = RandomWeightRow(w, n, static_cast<uint32_t>(7 + r));
    if (w == GgmlType::Q8_0) {
      for (size_t k = 2 + r; k < row.size(); k += 13) {
        if (k % sizeof(BlockQ8_0) >= 2) row[k] = 0x80;  // a quant of -128, never a scale byte
      }
    }
    std::copy(row.begin(), row.end(), weights.begin() + r * wrb);
  }
  for (int64_t c = 0; c < n_cols; ++c) {
    const auto a = MakeActivation(w, n, static_cast<uint32_t>(70 + c));
    std::copy(a.bytes.begin(), a.bytes.end(), acts.begin() + c * xrb);
  }
  auto run = [&](KernelSet set) {
    ForceKernels(set);
    EXPECT_EQ(ActiveKernels(), set);
    std::vector<float> out(static_cast<size_t>(n_rows * n_cols * 2));
    VecDotTile(w, n, weights.data(), wrb, n_rows, acts.data(), xrb, n_cols, out.data(), n_rows);
    for (int64_t c = 0; c < n_cols; ++c) {
      VecDotRows(w, n, weights.data(), wrb, n_rows, acts.data() + c * xrb, out.data() + (n_cols + c) * n_rows);
    }
    return out;
  };
  const auto avx2 = run(KernelSet::kAvx2), vnni = run(KernelSet::kAvxVnni);
  for (size_t k = 0; k < avx2.size(); ++k) ASSERT_EQ(vnni[k], avx2[k]) << "k=" << k;
}

INSTANTIATE_TEST_SUITE_P(Types, QuantVnniTest, ::testing::Values(GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q8_0),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

// Float rows may have any length: the 16/8-element steps and the scalar tail all run.
class QuantTileFloatTest : public QuantTileTest {};

TEST_P(QuantTileFloatTest, HandlesOddRowLengths) { CheckAgainstVecDot(37, 6, 4); }

// The AVX2 set on an AVX-512 host too: its F16 tile works through an f32 panel in 512-element
// chunks, so rows longer than a chunk, the 8-element step and the scalar tail all run.
TEST_P(QuantTileFloatTest, MatchesVecDotOnAvx2Kernels) {
  if (BestKernels() < KernelSet::kAvx2) GTEST_SKIP() << "CPU lacks AVX2";
  ForceKernels(KernelSet::kAvx2);
  for (int64_t n : {37, 512, 1048, 1053}) {
    for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {4, 3}, {9, 7}, {5, 20}}) {
      CheckAgainstVecDot(n, rows, cols);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, QuantTileFloatTest,
                         ::testing::Values(GgmlType::F32, GgmlType::F16, GgmlType::BF16),
                         [](const auto& info) { return std::string(TypeName(info.param)); });

}  // namespace
}  // namespace deepgate::quant

namespace deepgate::quant {
namespace {

// MatMul hands the float kernels the rows it computes next to prefetch as they go (tile.h):
// a small batch's tile takes lines from the range, returns the rest, and computes the same.
TEST(QuantTilePrefetchTest, FloatTilesTakeLinesFromTheRangeAndKeepTheirResults) {
  if (!TilePrefetchesInline(GgmlType::F16)) GTEST_SKIP() << "no SIMD float tile on this CPU";
  const int64_t n = 512, n_rows = 8, n_cols = 8;
  const size_t wrb = RowBytes(GgmlType::F16, n).value(), xrb = RowBytes(GgmlType::F32, n).value();
  std::vector<uint8_t> weights(wrb * n_rows), acts(xrb * n_cols);
  for (int64_t r = 0; r < n_rows; ++r) {
    auto row = RandomWeightRow(GgmlType::F16, n, static_cast<uint32_t>(7 + r));
    std::copy(row.begin(), row.end(), weights.begin() + r * wrb);
  }
  for (int64_t c = 0; c < n_cols; ++c) {
    auto a = MakeActivation(GgmlType::F16, n, static_cast<uint32_t>(70 + c));
    std::copy(a.bytes.begin(), a.bytes.end(), acts.begin() + c * xrb);
  }
  std::vector<float> plain(n_rows * n_cols), prefetched(n_rows * n_cols);
  VecDotTile(GgmlType::F16, n, weights.data(), wrb, n_rows, acts.data(), xrb, n_cols, plain.data(), n_rows);
  EXPECT_EQ(TakeTilePrefetch().next, nullptr) << "no range was set";

  std::vector<uint8_t> ahead(1 << 20);
  SetTilePrefetch(ahead.data(), ahead.size());
  VecDotTile(GgmlType::F16, n, weights.data(), wrb, n_rows, acts.data(), xrb, n_cols, prefetched.data(), n_rows);
  const PrefetchRange rest = TakeTilePrefetch();
  EXPECT_GT(rest.next, ahead.data()) << "the kernel took no lines";
  EXPECT_LT(rest.next, ahead.data() + ahead.size()) << "a 1 MiB range outlasts one small tile";
  EXPECT_EQ(rest.end, ahead.data() + ahead.size());
  EXPECT_EQ(TakeTilePrefetch().next, nullptr) << "taking clears the range";
  EXPECT_EQ(plain, prefetched);
}

}  // namespace
}  // namespace deepgate::quant
