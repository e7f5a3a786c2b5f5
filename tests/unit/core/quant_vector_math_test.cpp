// vector_math: our exp against libm, and the AVX2 softmax / SwiGLU against the scalar forms at
// every tail length.
#include "core/quant/vector_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/quant/quant.h"
#include "tests/unit/quant_test_util.h"

namespace deepgate::quant {
namespace {

using testing::ScopedKernels;

// Distance in units in the last place between two finite floats of the same sign.
int64_t UlpDistance(float a, float b) {
  int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  return std::llabs(static_cast<int64_t>(ia) - ib);
}

TEST(VectorMathTest, ExpIsWithinTwoUlpOfLibmOverTheNormalRange) {
  int64_t worst = 0;
  for (float x = -87.0f; x <= 88.0f; x += 0.000731f) {
    worst = std::max(worst, UlpDistance(ExpF32(x), std::exp(x)));
  }
  EXPECT_LE(worst, 2);
  EXPECT_EQ(ExpF32(0.0f), 1.0f);
}

TEST(VectorMathTest, ExpEdgesUnderflowClampAndNan) {
  EXPECT_EQ(ExpF32(-87.5f), 0.0f);
  EXPECT_EQ(ExpF32(-std::numeric_limits<float>::infinity()), 0.0f);
  EXPECT_TRUE(std::isfinite(ExpF32(1000.0f)));
  EXPECT_EQ(ExpF32(1000.0f), ExpF32(88.0f));
  EXPECT_TRUE(std::isnan(ExpF32(std::numeric_limits<float>::quiet_NaN())));
}

std::vector<float> Random(size_t n, unsigned seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

TEST(VectorMathTest, AvxSoftmaxMatchesScalarAtEveryTailLength) {
  if (BestKernels() == KernelSet::kScalar) GTEST_SKIP() << "no AVX2 on this CPU";
  for (int64_t n = 1; n <= 41; ++n) {
    const std::vector<float> x = Random(static_cast<size_t>(n), static_cast<unsigned>(n), 8.0f);
    std::vector<float> scalar = x, simd = x;
    {
      ScopedKernels k(KernelSet::kScalar);
      SoftmaxF32(scalar.data(), n);
    }
    SoftmaxF32(simd.data(), n);
    float sum = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      // Same exp per element; only the order of the normaliser's sum differs.
      EXPECT_NEAR(simd[i], scalar[i], 1e-6f * std::max(1.0f, scalar[i])) << n << " " << i;
      sum += simd[i];
    }
    EXPECT_NEAR(sum, 1.0f, 1e-5f) << n;
  }
}

TEST(VectorMathTest, SoftmaxOfManyEqualLogitsIsUniformAndAVeryNegativeOneIsZero) {
  std::vector<float> x(100, 3.0f);
  x[7] = -500.0f;
  SoftmaxF32(x.data(), 100);
  EXPECT_EQ(x[7], 0.0f);
  for (int i = 0; i < 100; ++i) {
    if (i != 7) {
      EXPECT_NEAR(x[i], 1.0f / 99.0f, 1e-7f);
    }
  }
}

TEST(VectorMathTest, AvxSwiGluMatchesScalarBitForBit) {
  if (BestKernels() == KernelSet::kScalar) GTEST_SKIP() << "no AVX2 on this CPU";
  for (int64_t n : {1, 7, 8, 9, 64, 67}) {
    const std::vector<float> g = Random(static_cast<size_t>(n), 1, 6.0f), up = Random(static_cast<size_t>(n), 2, 1.0f);
    std::vector<float> scalar = g, simd = g;
    {
      ScopedKernels k(KernelSet::kScalar);
      SwiGluF32(scalar.data(), up.data(), n);
    }
    SwiGluF32(simd.data(), up.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_EQ(simd[i], scalar[i]) << n << " " << i;
      EXPECT_NEAR(simd[i], g[i] / (1.0f + std::exp(-g[i])) * up[i], 1e-6f * std::max(1.0f, std::fabs(simd[i])));
    }
  }
}

}  // namespace
}  // namespace deepgate::quant
