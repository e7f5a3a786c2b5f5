// Hyperparameter reading: one place for every default and bound.
#include "core/model/hparams.h"

#include <cmath>

#include "core/gguf.h"

namespace deepgate {
namespace {

// Bounds that keep a hostile header from asking for absurd allocations.
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxEmbd = 1 << 16;
constexpr int64_t kMaxFf = 1 << 20;
constexpr int64_t kMaxHeads = 1 << 12;
constexpr int64_t kMaxCtx = 1 << 24;

}  // namespace

Status ReadInt(const GgufFile& f, const std::string& key, int64_t lo, int64_t hi, bool required,
               int32_t* out) {
  if (!f.Has(key)) {
    if (required) return Status::InvalidArgument("missing hyperparameter '" + key + "'");
    return Status::Ok();
  }
  auto v = f.GetInt(key);
  if (!v.ok()) return v.status().WithContext(key);
  if (*v < lo || *v > hi) {
    return Status::InvalidArgument("hyperparameter '" + key + "' = " + std::to_string(*v) +
                                   " is outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  *out = static_cast<int32_t>(*v);
  return Status::Ok();
}

Status ReadPositiveFloat(const GgufFile& f, const std::string& key, bool required, float* out) {
  if (!f.Has(key)) {
    if (required) return Status::InvalidArgument("missing hyperparameter '" + key + "'");
    return Status::Ok();
  }
  auto v = f.GetFloat(key);
  if (!v.ok()) return v.status().WithContext(key);
  if (!std::isfinite(*v) || *v <= 0.0) {
    return Status::InvalidArgument("hyperparameter '" + key + "' must be a positive number");
  }
  *out = static_cast<float>(*v);
  return Status::Ok();
}

Result<ModelHparams> ReadHparams(const GgufFile& f, const std::string& arch, RopeKind rope_kind) {
  ModelHparams h;
  h.arch = arch;
  h.rope_kind = rope_kind;
  const std::string p = arch + ".";
  DG_RETURN_IF_ERROR(ReadInt(f, p + "block_count", 1, kMaxLayers, true, &h.n_layer));
  DG_RETURN_IF_ERROR(ReadInt(f, p + "embedding_length", 1, kMaxEmbd, true, &h.n_embd));
  DG_RETURN_IF_ERROR(ReadInt(f, p + "feed_forward_length", 1, kMaxFf, true, &h.n_ff));
  DG_RETURN_IF_ERROR(ReadInt(f, p + "attention.head_count", 1, kMaxHeads, true, &h.n_head));
  h.n_head_kv = h.n_head;
  DG_RETURN_IF_ERROR(ReadInt(f, p + "attention.head_count_kv", 1, kMaxHeads, false, &h.n_head_kv));
  DG_RETURN_IF_ERROR(ReadInt(f, p + "context_length", 1, kMaxCtx, true, &h.n_ctx_train));
  if (h.n_head % h.n_head_kv != 0) {
    return Status::InvalidArgument("attention.head_count (" + std::to_string(h.n_head) +
                                   ") is not a multiple of attention.head_count_kv (" +
                                   std::to_string(h.n_head_kv) + ")");
  }
  h.head_dim = h.n_embd / h.n_head;
  if (!f.Has(p + "attention.key_length") && h.n_embd % h.n_head != 0) {
    return Status::InvalidArgument("embedding_length is not a multiple of attention.head_count");
  }
  DG_RETURN_IF_ERROR(ReadInt(f, p + "attention.key_length", 1, kMaxEmbd, false, &h.head_dim));
  h.value_dim = h.head_dim;
  DG_RETURN_IF_ERROR(ReadInt(f, p + "attention.value_length", 1, kMaxEmbd, false, &h.value_dim));
  h.n_rot = h.head_dim;
  DG_RETURN_IF_ERROR(ReadInt(f, p + "rope.dimension_count", 2, h.head_dim, false, &h.n_rot));
  if (h.n_rot % 2 != 0) return Status::InvalidArgument("rope.dimension_count must be even");
  DG_RETURN_IF_ERROR(ReadPositiveFloat(f, p + "attention.layer_norm_rms_epsilon", true, &h.rms_eps));
  DG_RETURN_IF_ERROR(ReadPositiveFloat(f, p + "rope.freq_base", false, &h.rope_base));

  std::string scaling = "none";
  if (f.Has(p + "rope.scaling.type")) {
    auto s = f.GetString(p + "rope.scaling.type");
    if (!s.ok()) return s.status().WithContext(p + "rope.scaling.type");
    scaling = std::string(*s);
  }
  float factor = 1.0f;
  DG_RETURN_IF_ERROR(ReadPositiveFloat(f, p + "rope.scaling.factor", false, &factor));
  if (scaling == "linear") {
    h.rope_freq_scale = 1.0f / factor;
  } else if (scaling == "yarn") {
    h.rope_freq_scale = 1.0f / factor;
    h.yarn_ext_factor = 1.0f;
    h.yarn_orig_ctx = h.n_ctx_train;
    DG_RETURN_IF_ERROR(ReadInt(f, p + "rope.scaling.original_context_length", 1, kMaxCtx, false, &h.yarn_orig_ctx));
    if (f.Has(p + "rope.scaling.yarn_log_multiplier")) {
      auto v = f.GetFloat(p + "rope.scaling.yarn_log_multiplier");
      if (!v.ok()) return v.status().WithContext(p + "rope.scaling.yarn_log_multiplier");
      if (!std::isfinite(*v) || *v < 0.0 || *v > 10.0) {
        return Status::InvalidArgument("hyperparameter '" + p + "rope.scaling.yarn_log_multiplier' is outside [0, 10]");
      }
      h.yarn_log_multiplier = static_cast<float>(*v);
    }
  } else if (scaling != "none") {
    return Status::Unimplemented("RoPE scaling type '" + scaling +
                                 "' is not supported (only none, linear and yarn)");
  }
  return h;
}

}  // namespace deepgate
