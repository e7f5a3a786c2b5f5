// KvSequence: the SequenceState of the transformer models, a per-layer F16 KV cache.
// Thread-safety: owned by one sequence; Eval writes disjoint positions from several threads.
#pragma once
#include <cstdint>
#include <memory>

#include "core/model/model.h"
#include "core/status.h"

namespace deepgate {

class KvSequence final : public SequenceState {
 public:
  // owner: the model that made it (Eval rejects states of other models). ResourceExhausted
  // when the cache cannot be allocated.
  static Result<std::unique_ptr<KvSequence>> Create(const void* owner, int32_t n_layer, int32_t n_ctx,
                                                    int64_t k_dim, int64_t v_dim);

  int32_t n_past() const override { return n_past_; }
  int32_t n_ctx() const override { return n_ctx_; }
  void Truncate(int32_t n) override;
  size_t memory_bytes() const override;

  const void* owner() const { return owner_; }
  // One position's key row of one layer: [k_dim] f16; rows of a layer are k_dim apart.
  uint16_t* k(int32_t layer, int32_t pos) { return k_.get() + (static_cast<size_t>(layer) * n_ctx_ + pos) * k_dim_; }
  // Values are stored transposed in blocks of kVBlock positions, [block][v_dim][kVBlock] per
  // layer: attention's weighted sum over positions is a row-by-vector dot product per block
  // (one kernel call per head and block, not per position), and a short context touches only
  // its first blocks' pages, not one page per (layer, dim) row of the whole n_ctx.
  static constexpr int32_t kVBlock = 128;
  uint16_t* v_block(int32_t layer, int32_t block, int64_t dim) {
    return v_.get() + ((static_cast<size_t>(layer) * n_vblocks_ + block) * v_dim_ + dim) * kVBlock;
  }
  uint16_t* v_at(int32_t layer, int64_t dim, int32_t pos) { return v_block(layer, pos / kVBlock, dim) + pos % kVBlock; }
  void Advance(int32_t n) { n_past_ += n; }

 private:
  KvSequence(const void* owner, int32_t n_layer, int32_t n_ctx, int64_t k_dim, int64_t v_dim);

  const void* owner_;
  int32_t n_layer_;
  int32_t n_ctx_;
  int64_t k_dim_;
  int64_t v_dim_;
  int32_t n_vblocks_;  // ceil(n_ctx / kVBlock)
  int32_t n_past_ = 0;
  std::unique_ptr<uint16_t[]> k_;  // [n_layer][n_ctx][k_dim] f16, uninitialised past n_past
  std::unique_ptr<uint16_t[]> v_;  // [n_layer][n_vblocks][v_dim][kVBlock] f16 (transposed)
};

}  // namespace deepgate
