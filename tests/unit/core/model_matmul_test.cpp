// MatMul and MatMulShared: every output element is exactly VecDot of its weight row with the
// quantized activation row, for decode (T = 1) and batches, and running several matrices in
// one MatMulShared pass gives the same bits as one MatMul each, also when their activation
// formats differ (the one-by-one fallback) and when only some are repacked. Repacked
// Q4_0/Q5_0/Q8_0 (and on AVX-512, Q4_K/Q5_K/Q6_K) take the packed GEMM, which agrees with
// VecDot within float rounding.
#include "core/model/matmul.h"

#include <cmath>
#include <cstdint>
#include <new>
#include <vector>

#include <gtest/gtest.h>

#include "core/quant/packed_gemm.h"
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
  m.w.type = t;
  m.w.data = m.bytes.data();
  m.w.n_in = n_in;
  m.w.n_out = n_out;
  m.w.row_bytes = row_bytes;
  return m;
}

// m with a packed copy of its rows, as WeightLoader gives it with repacking on.
void Repack(TestMatrix& m) {
  const size_t bytes = quant::PackedWeightBytes(m.w.type, m.w.n_in, m.w.n_out);
  auto* buf = static_cast<uint8_t*>(::operator new(bytes, std::align_val_t(64)));
  m.w.packed_owner.reset(buf, [](const uint8_t* p) { ::operator delete(const_cast<uint8_t*>(p), std::align_val_t(64)); });
  quant::PackWeights(m.w.type, m.w.n_in, m.w.data, m.w.row_bytes, m.w.n_out, buf);
  m.w.packed = buf;
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

// One MatMulShared pass over ms equals one MatMul per matrix, bit for bit.
void ExpectSharedEqualsOneByOne(ThreadPool& pool, MatMulScratch& scratch, const std::vector<TestMatrix>& ms,
                                const std::vector<float>& x, int64_t n_tokens) {
  const int n = static_cast<int>(ms.size());
  std::vector<std::vector<float>> ys(ms.size());
  std::vector<MatMulOutput> outs(ms.size());
  for (int i = 0; i < n; ++i) {
    ys[i].resize(static_cast<size_t>(n_tokens * ms[i].w.n_out));
    outs[i] = MatMulOutput{&ms[i].w, ys[i].data()};
  }
  MatMulShared(pool, outs.data(), n, x.data(), n_tokens, scratch);
  for (int i = 0; i < n; ++i) {
    std::vector<float> one(ys[i].size());
    MatMul(pool, ms[i].w, x.data(), n_tokens, one.data(), scratch);
    SCOPED_TRACE(testing::Message() << TypeName(ms[i].w.type) << " output " << i << " T=" << n_tokens);
    ExpectSameBits(one, ys[i]);
  }
}

// |w| . |x| per output: the scale of a dot product's float rounding error.
std::vector<double> Magnitudes(const WeightMatrix& w, const std::vector<float>& x, int64_t n_tokens) {
  std::vector<float> wr(static_cast<size_t>(w.n_in));
  std::vector<double> mag(static_cast<size_t>(n_tokens * w.n_out));
  for (int64_t r = 0; r < w.n_out; ++r) {
    quant::DequantizeRow(w.type, w.row(r), wr.data(), w.n_in);
    for (int64_t t = 0; t < n_tokens; ++t) {
      double s = 0;
      for (int64_t i = 0; i < w.n_in; ++i) s += std::fabs(static_cast<double>(wr[i]) * x[t * w.n_in + i]);
      mag[t * w.n_out + r] = s;
    }
  }
  return mag;
}

// Repacked matrices run the packed GEMM for every batch size: within float rounding of
// VecDot, and each token's outputs are the same bits whatever the batch (decode = prefill).
TEST(ModelMatMulTest, RepackedMatricesAgreeWithVecDotForEveryBatch) {
  ThreadPool pool(2);
  MatMulScratch scratch;
  constexpr int64_t kOut = 70;  // 70 rows: a partial last group
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
    if (!quant::HasPackedGemm(t)) GTEST_SKIP() << "no packed GEMM on this CPU (needs AVX-512 VNNI)";
    const int64_t kIn = quant::IsPackedKType(t) ? 768 : 288;  // an odd block count: 3 or 9
    TestMatrix m = MakeMatrix(t, kIn, kOut, 17);
    Repack(m);
    constexpr int64_t kMaxTokens = 41;  // past the small-batch path, odd tails
    const std::vector<float> x = RandomRow(kIn * kMaxTokens, 98);
    const std::vector<float> want = Reference(m.w, x, kMaxTokens);
    const std::vector<double> mag = Magnitudes(m.w, x, kMaxTokens);
    std::vector<float> batch(static_cast<size_t>(kMaxTokens * kOut));
    MatMul(pool, m.w, x.data(), kMaxTokens, batch.data(), scratch);
    SCOPED_TRACE(testing::Message() << TypeName(t));
    for (size_t i = 0; i < batch.size(); ++i) ASSERT_NEAR(batch[i], want[i], 2e-5 * mag[i] + 1e-6) << "element " << i;
    for (int64_t n_tokens : {1, 3, 9}) {
      std::vector<float> y(static_cast<size_t>(n_tokens * kOut));
      MatMul(pool, m.w, x.data(), n_tokens, y.data(), scratch);
      for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], batch[i]) << "T=" << n_tokens << " element " << i;
    }
  }
}

// Repacked matrices of different packed types (group sizes differ) in one MatMulShared pass:
// each output equals its own MatMul, for decode, small batches and prefill.
TEST(ModelMatMulTest, MatMulSharedOfRepackedMatricesEqualsOneMatMulPerMatrix) {
  if (!quant::HasPackedGemm(GgmlType::Q8_0)) GTEST_SKIP() << "no packed GEMM on this CPU (needs AVX-512 VNNI)";
  ThreadPool pool(2);
  MatMulScratch scratch;
  constexpr int64_t kIn = 352;  // 11 blocks: groups end 32 bytes short of a 64-byte line
  const GgmlType types[3] = {GgmlType::Q4_0, GgmlType::Q8_0, GgmlType::Q5_0};
  const int64_t n_out[3] = {100, 36, 20};
  std::vector<TestMatrix> ms;
  for (int i = 0; i < 3; ++i) {
    ms.push_back(MakeMatrix(types[i], kIn, n_out[i], 50 * (i + 1)));
    Repack(ms.back());
  }
  for (int64_t n_tokens : {1, 6, 40}) ExpectSharedEqualsOneByOne(pool, scratch, ms, RandomRow(kIn * n_tokens, 6), n_tokens);
}

// K-quant matrices sharing Q8_K activations, some repacked and one not (the mixed split: the
// packed ones in one pass, then the rest): each output equals its own MatMul.
TEST(ModelMatMulTest, MatMulSharedOfPackedAndUnpackedKQuantsEqualsOneMatMulPerMatrix) {
  if (!quant::HasPackedGemm(GgmlType::Q4_K)) GTEST_SKIP() << "no K-quant packed GEMM on this CPU (needs AVX-512 VNNI)";
  ThreadPool pool(2);
  MatMulScratch scratch;
  constexpr int64_t kIn = 512;
  const GgmlType types[3] = {GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q5_K};
  const int64_t n_out[3] = {96, 20, 36};
  std::vector<TestMatrix> ms;
  for (int i = 0; i < 3; ++i) {
    ms.push_back(MakeMatrix(types[i], kIn, n_out[i], 70 * (i + 1)));
    if (i != 1) Repack(ms.back());
  }
  for (int64_t n_tokens : {1, 6, 40}) ExpectSharedEqualsOneByOne(pool, scratch, ms, RandomRow(kIn * n_tokens, 8), n_tokens);
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
    for (int64_t n_tokens : {1, 5, 37}) {
      ExpectSharedEqualsOneByOne(pool, scratch, ms, RandomRow(kIn * n_tokens, 5), n_tokens);
    }
  }
}

}  // namespace
}  // namespace deepgate
