// DenseFfn forward.
#include "core/model/dense_ffn.h"

#include "core/threadpool.h"

namespace deepgate {

Result<std::unique_ptr<DenseFfn>> DenseFfn::Load(const WeightLoader& w, const ModelHparams& h, int32_t layer,
                                                const std::string& suffix, int64_t n_ff) {
  std::unique_ptr<DenseFfn> f(new DenseFfn());
  const std::string p = "blk." + std::to_string(layer) + ".";
  if (n_ff == 0) n_ff = h.n_ff;
  DG_ASSIGN_OR_RETURN(f->gate_, w.Matrix(p + "ffn_gate" + suffix + ".weight", h.n_embd, n_ff));
  DG_ASSIGN_OR_RETURN(f->up_, w.Matrix(p + "ffn_up" + suffix + ".weight", h.n_embd, n_ff));
  DG_ASSIGN_OR_RETURN(f->down_, w.Matrix(p + "ffn_down" + suffix + ".weight", n_ff, h.n_embd));
  return f;
}

void DenseFfn::Forward(LayerContext& ctx, const float* x, float* out) {
  const int32_t T = ctx.plan.n_tokens;
  const int64_t n_ff = gate_.n_out;
  float* gate = Grow(ctx.scratch.gate, static_cast<size_t>(T) * n_ff);  // [T][n_ff]
  float* up = Grow(ctx.scratch.up, static_cast<size_t>(T) * n_ff);      // [T][n_ff]
  const MatMulOutput gate_up[] = {{&gate_, gate}, {&up_, up}};
  MatMulShared(ctx.pool, gate_up, 2, x, T, ctx.scratch.matmul);
  SwiGlu(gate, up, static_cast<int64_t>(T) * n_ff);
  MatMul(ctx.pool, down_, gate, T, out, ctx.scratch.matmul);
}

}  // namespace deepgate
