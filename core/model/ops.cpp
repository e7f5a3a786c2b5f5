// Forward-pass kernels. Written as plain loops the compiler vectorises; they are a small share
// of the time next to the matmuls.
#include "core/model/ops.h"

#include <algorithm>
#include <cmath>

#include "core/quant/vector_math.h"

namespace deepgate {

void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* out) {
  double sum = 0.0;  // double: n_embd squares of activations that can be large
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

namespace {

// YaRN's correction range (llama.cpp's ggml_rope_yarn_corr_dims): the rotation pairs below
// dims[0] keep their unscaled angle, those above dims[1] are interpolated, a linear ramp between.
void YarnCorrDims(const ModelHparams& h, float dims[2]) {
  auto corr_dim = [&](float beta) {
    return static_cast<float>(h.n_rot) * std::log(static_cast<float>(h.yarn_orig_ctx) / (beta * 2.0f * static_cast<float>(M_PI))) /
           (2.0f * std::log(h.rope_base));
  };
  dims[0] = std::max(0.0f, std::floor(corr_dim(h.yarn_beta_fast)));
  dims[1] = std::min(static_cast<float>(h.n_rot - 1), std::ceil(corr_dim(h.yarn_beta_slow)));
}

}  // namespace

void RopeTable::Build(const ModelHparams& h, const int32_t* pos, int32_t n_tokens) {
  kind_ = h.rope_kind;
  half_ = h.n_rot / 2;
  cos_.resize(static_cast<size_t>(n_tokens) * half_);
  sin_.resize(static_cast<size_t>(n_tokens) * half_);
  const bool yarn = h.yarn_ext_factor != 0.0f;
  float dims[2] = {0.0f, 0.0f};
  if (yarn) YarnCorrDims(h, dims);
  float mscale = h.rope_attn_factor;
  if (yarn) mscale *= 1.0f + 0.1f * std::log(1.0f / h.rope_freq_scale);
  for (int32_t t = 0; t < n_tokens; ++t) {
    for (int32_t i = 0; i < half_; ++i) {
      // theta_extrap = p * base^(-2i / n_rot); scaled: freq_scale * theta_extrap
      const double extrap = static_cast<double>(pos[t]) * std::pow(static_cast<double>(h.rope_base), -2.0 * i / h.n_rot);
      double theta = extrap * h.rope_freq_scale;
      if (yarn) {
        const float y = (static_cast<float>(i) - dims[0]) / std::max(0.001f, dims[1] - dims[0]);
        const double mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * h.yarn_ext_factor;
        theta = theta * (1.0 - mix) + extrap * mix;
      }
      cos_[static_cast<size_t>(t) * half_ + i] = static_cast<float>(std::cos(theta)) * mscale;
      sin_[static_cast<size_t>(t) * half_ + i] = static_cast<float>(std::sin(theta)) * mscale;
    }
  }
}

void RopeTable::Apply(int32_t t, float* x) const {
  const float* c = cos_.data() + static_cast<size_t>(t) * half_;
  const float* s = sin_.data() + static_cast<size_t>(t) * half_;
  if (kind_ == RopeKind::kNormal) {
    for (int32_t i = 0; i < half_; ++i) {
      const float a = x[2 * i], b = x[2 * i + 1];
      x[2 * i] = a * c[i] - b * s[i];
      x[2 * i + 1] = a * s[i] + b * c[i];
    }
  } else {
    for (int32_t i = 0; i < half_; ++i) {
      const float a = x[i], b = x[i + half_];
      x[i] = a * c[i] - b * s[i];
      x[i + half_] = a * s[i] + b * c[i];
    }
  }
}

void Softmax(float* x, int64_t n) { quant::SoftmaxF32(x, n); }

void SwiGlu(float* gate, const float* up, int64_t n) { quant::SwiGluF32(gate, up, n); }

}  // namespace deepgate
