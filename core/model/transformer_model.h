// TransformerModel: the Model implementation shared by every architecture. It owns the
// mapping, tokenizer, thread pool and the ModelParts an architecture built, and runs the
// forward pass: embed -> per layer (RMSNorm, attention, residual, RMSNorm, FFN, residual) ->
// final RMSNorm -> output projection, with all tokens of all batch entries stacked.
// Thread-safety: see model.h (Eval from one thread at a time; scratch is per model).
#pragma once
#include <memory>
#include <vector>

#include "core/gguf.h"
#include "core/model/arch.h"
#include "core/model/model.h"
#include "core/threadpool.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {

class TransformerModel final : public Model {
 public:
  TransformerModel(GgufFile file, std::unique_ptr<Tokenizer> tokenizer, ModelParts parts, ModelInfo info,
                   int n_threads);

  const ModelInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return *tokenizer_; }
  const GgufFile& gguf() const override { return file_; }
  ThreadPool& thread_pool() const override { return *pool_; }
  Result<std::unique_ptr<SequenceState>> NewSequence(int32_t n_ctx) const override;
  Status Eval(std::vector<BatchEntry>& batch) override;

 private:
  Status Validate(const std::vector<BatchEntry>& batch) const;
  void ComputeLogits(std::vector<BatchEntry>& batch);

  GgufFile file_;  // the mapping every WeightMatrix points into
  std::unique_ptr<Tokenizer> tokenizer_;
  ModelParts parts_;
  ModelInfo info_;
  std::unique_ptr<ThreadPool> pool_;

  // Per-Eval working memory, reused (Eval is single-threaded by contract).
  BatchPlan plan_;
  std::vector<int32_t> plan_tokens_;  // [T] token ids, stacked
  RopeTable rope_;
  ForwardScratch scratch_;
  std::vector<float> x_;       // [T][n_embd] residual stream
  std::vector<float> xn_;      // [T][n_embd] normed input of the current block
  std::vector<float> delta_;   // [T][n_embd] block output added to the residual
  std::vector<int32_t> out_rows_;   // rows of x_ that need logits
  std::vector<float*> out_dest_;    // [n_out_rows] where each row's logits go
  std::vector<float> out_x_;   // [n_out_rows][n_embd]
  std::vector<float> logits_;  // [<= 64 rows][n_vocab], one chunk of output rows
};

}  // namespace deepgate
