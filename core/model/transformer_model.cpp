// TransformerModel: batch validation and the forward pass.
#include "core/model/transformer_model.h"

#include <algorithm>
#include <cstring>

#include "core/model/kv_cache.h"
#include "core/quant/quant.h"

namespace deepgate {

TransformerModel::TransformerModel(GgufFile file, std::unique_ptr<Tokenizer> tokenizer, ModelParts parts,
                                   ModelInfo info, int n_threads)
    : file_(std::move(file)), tokenizer_(std::move(tokenizer)), parts_(std::move(parts)),
      info_(std::move(info)), pool_(std::make_unique<ThreadPool>(n_threads)) {}

Result<std::unique_ptr<SequenceState>> TransformerModel::NewSequence(int32_t n_ctx) const {
  if (n_ctx < 0 || n_ctx > info_.n_ctx_train) {
    return Status::InvalidArgument("n_ctx " + std::to_string(n_ctx) + " is outside [0, " +
                                   std::to_string(info_.n_ctx_train) + "]");
  }
  if (n_ctx == 0) n_ctx = std::min(info_.n_ctx_train, 4096);
  DG_ASSIGN_OR_RETURN(std::unique_ptr<KvSequence> seq,
                      KvSequence::Create(this, info_.n_layer, n_ctx, parts_.kv_k_dim, parts_.kv_v_dim));
  return std::unique_ptr<SequenceState>(std::move(seq));
}

Status TransformerModel::Validate(const std::vector<BatchEntry>& batch) const {
  if (batch.empty()) return Status::InvalidArgument("empty batch");
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchEntry& e = batch[i];
    const std::string where = "batch entry " + std::to_string(i) + ": ";
    auto* seq = dynamic_cast<KvSequence*>(e.state);
    if (!seq || seq->owner() != this) return Status::InvalidArgument(where + "state is not a sequence of this model");
    // Quadratic, but batches are a few dozen entries and this allocates nothing.
    for (size_t j = 0; j < i; ++j) {
      if (batch[j].state == e.state) return Status::InvalidArgument(where + "the same sequence appears twice");
    }
    if (e.n_tokens <= 0 || !e.tokens) return Status::InvalidArgument(where + "no tokens");
    if (e.n_tokens > seq->n_ctx() - seq->n_past()) {
      return Status::InvalidArgument(where + std::to_string(e.n_tokens) + " tokens after " +
                                     std::to_string(seq->n_past()) + " would overflow n_ctx " +
                                     std::to_string(seq->n_ctx()));
    }
    for (int32_t t = 0; t < e.n_tokens; ++t) {
      if (e.tokens[t] < 0 || e.tokens[t] >= info_.n_vocab) {
        return Status::InvalidArgument(where + "token id " + std::to_string(e.tokens[t]) +
                                       " is outside [0, " + std::to_string(info_.n_vocab) + ")");
      }
    }
  }
  return Status::Ok();
}

Status TransformerModel::Eval(std::vector<BatchEntry>& batch) {
  DG_RETURN_IF_ERROR(Validate(batch));
  const ModelHparams& h = parts_.hparams;
  const int64_t n_embd = h.n_embd;

  // Plan: stack every entry's tokens, recording each one's sequence and position.
  plan_.n_tokens = 0;
  plan_.pos.clear();
  plan_.entry.clear();
  plan_.states.clear();
  for (size_t i = 0; i < batch.size(); ++i) {
    auto* seq = static_cast<KvSequence*>(batch[i].state);
    plan_.states.push_back(seq);
    for (int32_t t = 0; t < batch[i].n_tokens; ++t) {
      plan_.pos.push_back(seq->n_past() + t);
      plan_.entry.push_back(static_cast<int32_t>(i));
    }
  }
  const int32_t T = plan_.n_tokens = static_cast<int32_t>(plan_.pos.size());
  rope_.Build(h, plan_.pos.data(), T);

  // Embedding lookup: x[t] = token_embd row of token t, dequantized.
  float* x = Grow(x_, static_cast<size_t>(T) * n_embd);
  float* xn = Grow(xn_, static_cast<size_t>(T) * n_embd);
  float* delta = Grow(delta_, static_cast<size_t>(T) * n_embd);
  plan_tokens_.clear();
  for (const BatchEntry& e : batch) plan_tokens_.insert(plan_tokens_.end(), e.tokens, e.tokens + e.n_tokens);
  const WeightMatrix& emb = parts_.token_embd;
  pool_->ParallelFor(T, 8, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) quant::DequantizeRow(emb.type, emb.row(plan_tokens_[t]), x + t * n_embd, n_embd);
  });

  auto norm_rows = [&](const std::vector<float>& w) {
    pool_->ParallelFor(T, 16, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) RmsNorm(x + t * n_embd, w.data(), n_embd, h.rms_eps, xn + t * n_embd);
    });
  };
  auto add_delta = [&] {
    const int64_t n = static_cast<int64_t>(T) * n_embd;
    for (int64_t i = 0; i < n; ++i) x[i] += delta[i];
  };
  for (int32_t l = 0; l < h.n_layer; ++l) {
    TransformerLayer& layer = parts_.layers[static_cast<size_t>(l)];
    LayerContext ctx{*pool_, plan_, rope_, scratch_, l};
    norm_rows(layer.attn_norm);
    layer.attention->Forward(ctx, xn, delta);
    add_delta();
    norm_rows(layer.ffn_norm);
    layer.ffn->Forward(ctx, xn, delta);
    add_delta();
  }
  for (size_t i = 0; i < batch.size(); ++i) plan_.states[i]->Advance(batch[i].n_tokens);
  ComputeLogits(batch);
  return Status::Ok();
}

// Final norm and output projection, only for the rows some entry asked logits for. Rows go
// through the output matrix in chunks, so the weights are read once per chunk and the scratch
// stays bounded however many logits a prompt asks for.
void TransformerModel::ComputeLogits(std::vector<BatchEntry>& batch) {
  const ModelHparams& h = parts_.hparams;
  const int64_t n_embd = h.n_embd;
  const size_t n_vocab = static_cast<size_t>(info_.n_vocab);
  out_rows_.clear();
  out_dest_.clear();
  int32_t first = 0;
  for (const BatchEntry& e : batch) {
    if (e.logits) {
      const int32_t begin = e.all_logits ? 0 : e.n_tokens - 1;
      for (int32_t t = begin; t < e.n_tokens; ++t) {
        out_rows_.push_back(first + t);
        out_dest_.push_back(e.logits + static_cast<size_t>(t - begin) * n_vocab);
      }
    }
    first += e.n_tokens;
  }
  if (out_rows_.empty()) return;
  const int64_t n_out = static_cast<int64_t>(out_rows_.size());
  float* ox = Grow(out_x_, static_cast<size_t>(n_out) * n_embd);  // [n_out][n_embd]
  pool_->ParallelFor(n_out, 16, [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      RmsNorm(x_.data() + static_cast<int64_t>(out_rows_[r]) * n_embd, parts_.output_norm.data(), n_embd,
              h.rms_eps, ox + r * n_embd);
    }
  });
  if (n_out == 1) {  // decode: straight into the caller's buffer
    MatMul(*pool_, parts_.output, ox, 1, out_dest_[0], scratch_.matmul);
    return;
  }
  constexpr int64_t kChunkRows = 64;
  float* logits = Grow(logits_, static_cast<size_t>(std::min(n_out, kChunkRows)) * n_vocab);
  for (int64_t r0 = 0; r0 < n_out; r0 += kChunkRows) {
    const int64_t rows = std::min(kChunkRows, n_out - r0);
    MatMul(*pool_, parts_.output, ox + r0 * n_embd, rows, logits, scratch_.matmul);
    for (int64_t r = 0; r < rows; ++r) {
      std::memcpy(out_dest_[r0 + r], logits + r * n_vocab, sizeof(float) * n_vocab);
    }
  }
}

}  // namespace deepgate
