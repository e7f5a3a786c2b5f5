// MatMul and MatMulShared: every output element is exactly VecDot of its weight row with the
// quantized activation row, for decode (T = 1) and batches, and running several matrices in
// one MatMulShared pass gives the same bits as one MatMul each, also when their activation
// formats differ (the one-by-one fallback).
#include "core/model/matmul.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "core/quant/quant.h"
#include "core/threadpool.h"
#include "tests/unit/quant_test_util.h"

namespace deepgate {
namespace {

using quant::testing::RandomRow;

// A [n_out][n_in] matrix of type t from gaussian rows; owns its bytes.
struct TestMatrix {
  std::vector<uint8_t> bytes;
  WeightMatrix w;
};

TestMatrix MakeMatrix(GgmlType t, int64_t n_in, int64_t n_out, uint32_t seed) {
  TestMatrix m;
  const size_t row_bytes = RowBytes(t, n_in).value();
  m.bytes.resize(row_bytes * static_cast<size_t>(n_out));
  for (int64_t r = 0; r < n_out; ++r) {
    const std::vector<float> row = RandomRow(n_in, seed + static_cast<uint32_t>(r));
    quant::QuantizeRow(t, row.data(), m.bytes.data() + r * row_bytes, n_in);
  }
  m.w = WeightMatrix{t, m.bytes.data(), n_in, n_out, row_bytes};
  return m;
}

// y[t][r] computed row by row with VecDot: the reference every MatMul must match bit for bit.
std::vector<float> Reference(const WeightMatrix& w, const std::vector<float>& x, int64_t n_tokens) {
  const GgmlType xt = quant::VecDotType(w.type);
  const size_t xs = RowBytes(xt, w.n_in).value();
  std::vector<uint8_t> xq(xs);
  std::vector<float> y(static_cast<size_t>(n_tokens * w.n_out));
  for (int64_t t = 0; t < n_tokens; ++t) {
    quant::QuantizeRow(xt, x.data() + t * w.n_in, xq.data(), w.n_in);
    for (int64_t r = 0; r < w.n_out; ++r) y[t * w.n_out + r] = quant::VecDot(w.type, w.n_in, w.row(r), xq.data());
  }
  return y;
}

void ExpectSameBits(const std::vector<float>& want, const std::vector<float>& got) {
  ASSERT_EQ(want.size(), got.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_EQ(want[i], got[i]) << "element " << i;
}

TEST(ModelMatMulTest, MatMulEqualsVecDotPerElementForDecodeAndBatches) {
  ThreadPool pool(2);
  MatMulScratch scratch;
  constexpr int64_t kIn = 512, kOut = 70;  // 70: not a multiple of any row group
  for (GgmlType t : {GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
    const TestMatrix m = MakeMatrix(t, kIn, kOut, 7);
    for (int64_t n_tokens : {1, 3, 9}) {
      const std::vector<float> x = RandomRow(kIn * n_tokens, 99);
      std::vector<float> y(static_cast<size_t>(n_tokens * kOut));
      MatMul(pool, m.w, x.data(), n_tokens, y.data(), scratch);
      SCOPED_TRACE(testing::Message() << TypeName(t) << " T=" << n_tokens);
      ExpectSameBits(Reference(m.w, x, n_tokens), y);
    }
  }
}

TEST(ModelMatMulTest, MatMulSharedEqualsOneMatMulPerMatrix) {
  ThreadPool pool(2);
  MatMulScratch scratch;
  constexpr int64_t kIn = 256;
  // q/k/v-like shapes; the first set shares Q8_0 activations, the second mixes Q8_0 and Q8_K.
  const std::vector<std::vector<GgmlType>> type_sets = {
      {GgmlType::Q5_0, GgmlType::Q5_0, GgmlType::Q8_0}, {GgmlType::Q4_0, GgmlType::Q4_K, GgmlType::Q6_K}};
  for (const auto& types : type_sets) {
    std::vector<TestMatrix> ms;
    const int64_t n_out[3] = {96, 20, 36};
    for (int i = 0; i < 3; ++i) ms.push_back(MakeMatrix(types[i], kIn, n_out[i], 100 * (i + 1)));
    for (int64_t n_tokens : {1, 5}) {
      const std::vector<float> x = RandomRow(kIn * n_tokens, 5);
      std::vector<std::vector<float>> ys(3);
      MatMulOutput outs[3];
      for (int i = 0; i < 3; ++i) {
        ys[i].resize(static_cast<size_t>(n_tokens * n_out[i]));
        outs[i] = MatMulOutput{&ms[i].w, ys[i].data()};
      }
      MatMulShared(pool, outs, 3, x.data(), n_tokens, scratch);
      for (int i = 0; i < 3; ++i) {
        std::vector<float> one(ys[i].size());
        MatMul(pool, ms[i].w, x.data(), n_tokens, one.data(), scratch);
        SCOPED_TRACE(testing::Message() << TypeName(types[i]) << " output " << i << " T=" << n_tokens);
        ExpectSameBits(one, ys[i]);
      }
    }
  }
}

}  // namespace
}  // namespace deepgate
