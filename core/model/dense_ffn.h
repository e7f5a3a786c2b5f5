// DenseFfn: the SwiGLU feed-forward block, down(silu(gate(x)) * up(x)).
// Thread-safety: see blocks.h.
#pragma once
#include "core/model/blocks.h"
#include "core/model/weights.h"

namespace deepgate {

class WeightLoader;

class DenseFfn final : public FfnBlock {
 public:
  // Loads blk.<layer>.ffn_{gate,up,down}<suffix>.weight of hidden size n_ff (h.n_ff when 0);
  // deepseek2's shared experts are suffix "_shexp".
  static Result<std::unique_ptr<DenseFfn>> Load(const WeightLoader& w, const ModelHparams& h, int32_t layer,
                                                const std::string& suffix = "", int64_t n_ff = 0);
  void Forward(LayerContext& ctx, const float* x, float* out) override;

 private:
  DenseFfn() = default;
  WeightMatrix gate_, up_, down_;  // [n_embd -> n_ff] x2, [n_ff -> n_embd]
};

}  // namespace deepgate
