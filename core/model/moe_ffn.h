// MoeFfn: deepseek2's mixture-of-experts feed-forward block. A router (ffn_gate_inp) scores
// every expert per token; the top n_used are chosen (softmax or sigmoid gating; the optional
// per-expert bias exp_probs_b shifts which experts are chosen, not their weights), their
// weights optionally renormalised and scaled, and the chosen experts' SwiGLU outputs summed,
// plus the shared experts (ffn_*_shexp), which every token passes through.
//
// Only chosen experts' weights are read. The tokens of a batch are grouped per expert, so each
// chosen expert's matrices stream once per step whatever the number of tokens routed to it,
// and each expert's matmul is split over all threads by rows, so a hot expert keeps every
// thread busy. Sums run in the per-token choice order, so a token's output does not depend on
// what else is in the batch.
// Thread-safety: see blocks.h.
#pragma once
#include <memory>
#include <vector>

#include "core/model/blocks.h"
#include "core/model/deepseek2_hparams.h"
#include "core/model/weights.h"

namespace deepgate {

class DenseFfn;
class WeightLoader;

class MoeFfn final : public FfnBlock {
 public:
  // Loads blk.<layer>.ffn_gate_inp, exp_probs_b.bias (optional), ffn_{gate,up,down}_exps and,
  // when d.n_expert_shared > 0, ffn_{gate,up,down}_shexp.
  static Result<std::unique_ptr<MoeFfn>> Load(const WeightLoader& w, const ModelHparams& h,
                                              const Deepseek2Hparams& d, int32_t layer);
  ~MoeFfn() override;

  void Forward(LayerContext& ctx, const float* x, float* out) override;

 private:
  MoeFfn() = default;
  // Chooses n_used experts per token from the router logits [T][n_expert]: ids into
  // choice [T][n_used], weights into weight [T][n_used].
  void Route(const float* logits, int32_t T, int32_t* choice, float* weight) const;

  Deepseek2Hparams d_;
  int64_t n_embd_ = 0;
  WeightMatrix router_;              // [n_embd -> n_expert]
  std::vector<float> choice_bias_;   // [n_expert] exp_probs_b; empty when absent
  StackedMatrices gate_, up_, down_; // n_expert x [n_embd -> n_ff_exp] x2, [n_ff_exp -> n_embd]
  std::unique_ptr<DenseFfn> shared_; // null without shared experts
};

}  // namespace deepgate
