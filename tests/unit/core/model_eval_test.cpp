// Model::Eval properties on tiny random models: batching is exact (one batch == one by one;
// two sequences in one call == each alone), Truncate + re-eval reproduces, logits are only
// written where asked, and invalid batches are rejected with nothing changed.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "core/model/model.h"
#include "model_test_util.h"

namespace deepgate {
namespace {

using testing::LoadTinyModel;
using testing::TinyModelSpec;

const std::vector<int32_t> kPrompt = {1, 7, 30, 12, 12, 45, 3, 20, 9, 41, 5};

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b, float tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(a[i], b[i], tol * (1.0f + std::fabs(b[i]))) << what << " at " << i;
  }
}

class ModelEvalTest : public ::testing::TestWithParam<TinyModelSpec> {
 protected:
  void SetUp() override {
    const TinyModelSpec& spec = GetParam();
    std::string tag = std::string("eval-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& ch : tag) {
      if (ch == '/') ch = '-';  // parameterised names contain '/': keep the temp dir flat
    }
    auto m = LoadTinyModel(spec, tag);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
    n_vocab_ = model_->info().n_vocab;
  }

  std::unique_ptr<SequenceState> NewSeq(int32_t n_ctx = 64) {
    auto s = model_->NewSequence(n_ctx);
    EXPECT_TRUE(s.ok());
    return std::move(s).value();
  }

  // All-position logits of tokens evaluated one at a time in a fresh sequence.
  std::vector<float> OneByOne(const std::vector<int32_t>& tokens) {
    auto seq = NewSeq();
    std::vector<float> out(tokens.size() * n_vocab_);
    for (size_t i = 0; i < tokens.size(); ++i) {
      EXPECT_TRUE(model_->Eval(*seq, &tokens[i], 1, out.data() + i * n_vocab_, false).ok());
    }
    return out;
  }

  std::unique_ptr<Model> model_;
  size_t n_vocab_ = 0;
};

TEST_P(ModelEvalTest, OneBatchMatchesOneByOne) {
  auto seq = NewSeq();
  std::vector<float> batched(kPrompt.size() * n_vocab_);
  ASSERT_TRUE(model_->Eval(*seq, kPrompt.data(), static_cast<int32_t>(kPrompt.size()), batched.data(), true).ok());
  EXPECT_EQ(seq->n_past(), static_cast<int32_t>(kPrompt.size()));
  // Non-degenerate: finite and different from one position to the next.
  for (float v : batched) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NE(batched[0], batched[n_vocab_]);
  ExpectClose(batched, OneByOne(kPrompt), 1e-6f, "batched vs sequential");
}

// Past one value block of the KV cache (KvSequence::kVBlock positions): attention sums over
// several blocks, written by one prefill or one position at a time.
TEST_P(ModelEvalTest, LongContextBatchMatchesOneByOne) {
  std::vector<int32_t> tokens;
  for (int32_t i = 0; i < 200; ++i) tokens.push_back(1 + (i * 7) % 40);
  auto seq = NewSeq(256);
  std::vector<float> batched(tokens.size() * n_vocab_);
  ASSERT_TRUE(model_->Eval(*seq, tokens.data(), static_cast<int32_t>(tokens.size()), batched.data(), true).ok());
  auto one = NewSeq(256);
  std::vector<float> sequential(tokens.size() * n_vocab_);
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_TRUE(model_->Eval(*one, &tokens[i], 1, sequential.data() + i * n_vocab_, false).ok());
  }
  ExpectClose(batched, sequential, 1e-6f, "200 positions, batched vs sequential");
}

TEST_P(ModelEvalTest, LastLogitsOnlyMatchesLastRow) {
  auto seq = NewSeq();
  std::vector<float> last(n_vocab_);
  ASSERT_TRUE(model_->Eval(*seq, kPrompt.data(), static_cast<int32_t>(kPrompt.size()), last.data(), false).ok());
  const auto all = OneByOne(kPrompt);
  ExpectClose(last, std::vector<float>(all.end() - static_cast<long>(n_vocab_), all.end()), 1e-6f, "last row");
}

TEST_P(ModelEvalTest, TwoSequencesInOneCallMatchEachAlone) {
  const std::vector<int32_t> a = {1, 5, 9, 13};
  const std::vector<int32_t> b = {1, 40, 2, 33, 18, 6};
  // Give sequence a some history first so the two entries sit at different positions.
  auto sa = NewSeq();
  auto sb = NewSeq();
  ASSERT_TRUE(model_->Eval(*sa, a.data(), 2, nullptr, false).ok());
  std::vector<float> la((a.size() - 2) * n_vocab_), lb(b.size() * n_vocab_);
  std::vector<BatchEntry> batch(2);
  batch[0] = BatchEntry{sa.get(), a.data() + 2, 2, la.data(), true};
  batch[1] = BatchEntry{sb.get(), b.data(), static_cast<int32_t>(b.size()), lb.data(), true};
  ASSERT_TRUE(model_->Eval(batch).ok());
  EXPECT_EQ(sa->n_past(), 4);
  EXPECT_EQ(sb->n_past(), 6);

  const auto ref_a = OneByOne(a);
  const auto ref_b = OneByOne(b);
  ExpectClose(la, std::vector<float>(ref_a.begin() + 2 * static_cast<long>(n_vocab_), ref_a.end()), 1e-6f, "seq a");
  ExpectClose(lb, ref_b, 1e-6f, "seq b");
}

TEST_P(ModelEvalTest, TruncateThenReevalReproduces) {
  auto seq = NewSeq();
  const int32_t n = static_cast<int32_t>(kPrompt.size());
  std::vector<float> first(n_vocab_), again(n_vocab_), other(n_vocab_);
  ASSERT_TRUE(model_->Eval(*seq, kPrompt.data(), n, first.data(), false).ok());
  seq->Truncate(5);
  EXPECT_EQ(seq->n_past(), 5);
  // A different continuation overwrites the cache beyond position 5 ...
  const std::vector<int32_t> detour = {44, 43, 42};
  ASSERT_TRUE(model_->Eval(*seq, detour.data(), 3, other.data(), false).ok());
  seq->Truncate(5);
  // ... and re-evaluating the original suffix gives the original logits.
  ASSERT_TRUE(model_->Eval(*seq, kPrompt.data() + 5, n - 5, again.data(), false).ok());
  ExpectClose(again, first, 1e-5f, "after truncate");
  seq->Truncate(100);  // beyond n_past: no-op
  EXPECT_EQ(seq->n_past(), n);
}

TEST_P(ModelEvalTest, NullLogitsSkipsOutputButAdvances) {
  auto seq = NewSeq();
  ASSERT_TRUE(model_->Eval(*seq, kPrompt.data(), 4, nullptr, false).ok());
  EXPECT_EQ(seq->n_past(), 4);
}

TEST_P(ModelEvalTest, InvalidBatchesChangeNothing) {
  auto seq = NewSeq(8);
  const int32_t ok_tokens[] = {1, 2, 3};
  ASSERT_TRUE(model_->Eval(*seq, ok_tokens, 3, nullptr, false).ok());
  std::vector<float> logits(n_vocab_, 7.0f);

  const int32_t bad_id[] = {4, static_cast<int32_t>(n_vocab_)};
  const int32_t negative_id[] = {-1};
  const int32_t too_many[6] = {1, 1, 1, 1, 1, 1};
  EXPECT_EQ(model_->Eval(*seq, bad_id, 2, logits.data(), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->Eval(*seq, negative_id, 1, logits.data(), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->Eval(*seq, too_many, 6, logits.data(), false).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model_->Eval(*seq, ok_tokens, 0, logits.data(), false).code(), StatusCode::kInvalidArgument);

  std::vector<BatchEntry> dup(2);
  dup[0] = BatchEntry{seq.get(), ok_tokens, 1, nullptr, false};
  dup[1] = BatchEntry{seq.get(), ok_tokens, 1, logits.data(), false};
  EXPECT_EQ(model_->Eval(dup).code(), StatusCode::kInvalidArgument);
  std::vector<BatchEntry> empty;
  EXPECT_EQ(model_->Eval(empty).code(), StatusCode::kInvalidArgument);
  // A valid entry next to an invalid one is not evaluated either.
  auto other = NewSeq(8);
  std::vector<BatchEntry> mixed(2);
  mixed[0] = BatchEntry{other.get(), ok_tokens, 2, nullptr, false};
  mixed[1] = BatchEntry{seq.get(), bad_id, 2, nullptr, false};
  EXPECT_EQ(model_->Eval(mixed).code(), StatusCode::kInvalidArgument);

  EXPECT_EQ(seq->n_past(), 3);
  EXPECT_EQ(other->n_past(), 0);
  for (float v : logits) ASSERT_EQ(v, 7.0f);
  // Filling the context exactly is fine.
  const int32_t five[5] = {4, 5, 6, 7, 8};
  EXPECT_TRUE(model_->Eval(*seq, five, 5, logits.data(), false).ok());
  EXPECT_EQ(seq->n_past(), 8);
}

TEST(ModelEvalThreadsTest, ThreadCountDoesNotChangeLogits) {
  TinyModelSpec spec;
  spec.type = GgmlType::Q8_0;
  std::vector<std::vector<float>> results;
  for (int threads : {1, 3}) {
    auto model = LoadTinyModel(spec, "eval-threads-" + std::to_string(threads), threads);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    auto seq = (*model)->NewSequence(32);
    ASSERT_TRUE(seq.ok());
    std::vector<float> logits(kPrompt.size() * static_cast<size_t>((*model)->info().n_vocab));
    ASSERT_TRUE((*model)->Eval(**seq, kPrompt.data(), static_cast<int32_t>(kPrompt.size()), logits.data(), true).ok());
    results.push_back(std::move(logits));
  }
  EXPECT_EQ(results[0], results[1]);  // every output element is computed the same way
}

TEST(ModelEvalSharedTest, KQuantModelBatchMatchesOneByOne) {
  const std::string path = testing::SharedDataDir() + "/models/llama-spm-tiny.q4_k_m.gguf";
  DG_REQUIRE_SHARED_DATA(path);
  auto model = Model::Load(path, ModelOptions{2});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<int32_t> tokens = {1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278};
  const size_t n_vocab = static_cast<size_t>((*model)->info().n_vocab);
  auto batch_seq = (*model)->NewSequence(32);
  auto step_seq = (*model)->NewSequence(32);
  ASSERT_TRUE(batch_seq.ok() && step_seq.ok());
  std::vector<float> batched(tokens.size() * n_vocab), stepped(tokens.size() * n_vocab);
  ASSERT_TRUE((*model)->Eval(**batch_seq, tokens.data(), static_cast<int32_t>(tokens.size()), batched.data(), true).ok());
  for (size_t i = 0; i < tokens.size(); ++i) {
    ASSERT_TRUE((*model)->Eval(**step_seq, &tokens[i], 1, stepped.data() + i * n_vocab, false).ok());
  }
  ExpectClose(batched, stepped, 1e-6f, "q4_K_M batched vs sequential");
}

TinyModelSpec Spec(const std::string& arch, GgmlType type, bool biases) {
  TinyModelSpec s;
  s.arch = arch;
  s.type = type;
  s.biases = biases;
  return s;
}

INSTANTIATE_TEST_SUITE_P(Archs, ModelEvalTest,
                         ::testing::Values(Spec("llama", GgmlType::F32, false), Spec("qwen2", GgmlType::F16, true),
                                           Spec("llama", GgmlType::Q8_0, false)),
                         [](const auto& info) {
                           return info.param.arch + "_" + std::string(TypeName(info.param.type));
                         });

}  // namespace
}  // namespace deepgate
