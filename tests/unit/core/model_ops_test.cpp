// Forward-pass kernels: RMSNorm, RoPE (both pairings, linear scaling, partial rotation),
// softmax and SwiGLU against their textbook definitions.
#include "core/model/ops.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

ModelHparams RopeParams(RopeKind kind, int32_t head_dim, int32_t n_rot) {
  ModelHparams h;
  h.rope_kind = kind;
  h.head_dim = head_dim;
  h.n_rot = n_rot;
  h.rope_base = 10000.0f;
  return h;
}

TEST(ModelOpsTest, RmsNormScalesToUnitRmsTimesWeight) {
  const std::vector<float> x = {1.0f, -2.0f, 3.0f, -4.0f};
  const std::vector<float> w = {1.0f, 0.5f, 2.0f, 1.0f};
  std::vector<float> out(4);
  RmsNorm(x.data(), w.data(), 4, 1e-6f, out.data());
  const float rms = std::sqrt((1 + 4 + 9 + 16) / 4.0f + 1e-6f);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(out[i], x[i] / rms * w[i], 1e-6f);
}

TEST(ModelOpsTest, RopeNormalRotatesAdjacentPairs) {
  const ModelHparams h = RopeParams(RopeKind::kNormal, 4, 4);
  const int32_t pos[] = {3};
  RopeTable rope;
  rope.Build(h, pos, 1);
  std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f};
  rope.Apply(0, x.data());
  // Pair i = (x[2i], x[2i+1]) rotated by pos * base^(-2i/n_rot).
  for (int i = 0; i < 2; ++i) {
    const double theta = 3.0 * std::pow(10000.0, -2.0 * i / 4);
    const double a = 2 * i + 1.0, b = 2 * i + 2.0;
    EXPECT_NEAR(x[2 * i], a * std::cos(theta) - b * std::sin(theta), 1e-5);
    EXPECT_NEAR(x[2 * i + 1], a * std::sin(theta) + b * std::cos(theta), 1e-5);
  }
}

TEST(ModelOpsTest, RopeNeoxRotatesHalves) {
  const ModelHparams h = RopeParams(RopeKind::kNeox, 4, 4);
  const int32_t pos[] = {5};
  RopeTable rope;
  rope.Build(h, pos, 1);
  std::vector<float> x = {1.0f, 2.0f, 3.0f, 4.0f};
  rope.Apply(0, x.data());
  // Pair i = (x[i], x[i + 2]).
  for (int i = 0; i < 2; ++i) {
    const double theta = 5.0 * std::pow(10000.0, -2.0 * i / 4);
    const double a = i + 1.0, b = i + 3.0;
    EXPECT_NEAR(x[i], a * std::cos(theta) - b * std::sin(theta), 1e-5);
    EXPECT_NEAR(x[i + 2], a * std::sin(theta) + b * std::cos(theta), 1e-5);
  }
}

TEST(ModelOpsTest, RopeLeavesDimensionsPastNRotAlone) {
  const ModelHparams h = RopeParams(RopeKind::kNormal, 6, 4);
  const int32_t pos[] = {7};
  RopeTable rope;
  rope.Build(h, pos, 1);
  std::vector<float> x = {1, 2, 3, 4, 5, 6};
  rope.Apply(0, x.data());
  EXPECT_EQ(x[4], 5.0f);
  EXPECT_EQ(x[5], 6.0f);
}

TEST(ModelOpsTest, RopeAtPositionZeroIsIdentity) {
  const ModelHparams h = RopeParams(RopeKind::kNeox, 8, 8);
  const int32_t pos[] = {0};
  RopeTable rope;
  rope.Build(h, pos, 1);
  std::vector<float> x = {1, -2, 3, -4, 5, -6, 7, -8};
  const auto before = x;
  rope.Apply(0, x.data());
  EXPECT_EQ(x, before);
}

TEST(ModelOpsTest, LinearRopeScalingDividesPositions) {
  ModelHparams scaled = RopeParams(RopeKind::kNormal, 4, 4);
  scaled.rope_freq_scale = 0.25f;  // factor 4
  const ModelHparams plain = RopeParams(RopeKind::kNormal, 4, 4);
  const int32_t pos_scaled[] = {8}, pos_plain[] = {2};
  RopeTable a, b;
  a.Build(scaled, pos_scaled, 1);
  b.Build(plain, pos_plain, 1);
  std::vector<float> x = {1, 2, 3, 4}, y = x;
  a.Apply(0, x.data());
  b.Apply(0, y.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(x[i], y[i], 1e-6f);
}

TEST(ModelOpsTest, SoftmaxSumsToOneAndSurvivesLargeInputs) {
  std::vector<float> x = {1000.0f, 1001.0f, 999.0f};
  Softmax(x.data(), 3);
  EXPECT_NEAR(x[0] + x[1] + x[2], 1.0f, 1e-6f);
  EXPECT_NEAR(x[1] / x[0], std::exp(1.0f), 1e-4f);
}

TEST(ModelOpsTest, SwiGluIsSiluOfGateTimesUp) {
  std::vector<float> gate = {-2.0f, 0.0f, 3.0f};
  const std::vector<float> up = {1.5f, 4.0f, -0.5f};
  const auto g = gate;
  SwiGlu(gate.data(), up.data(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(gate[i], g[i] / (1.0f + std::exp(-g[i])) * up[i], 1e-6f);
}

}  // namespace
}  // namespace deepgate
