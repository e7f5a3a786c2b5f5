// KvSequence: allocation left uninitialised (positions >= n_past are never read), so a large
// n_ctx costs address space, not page faults, until it is used.
#include "core/model/kv_cache.h"

#include <algorithm>
#include <new>
#include <string>

namespace deepgate {

KvSequence::KvSequence(const void* owner, int32_t n_layer, int32_t n_ctx, int64_t k_dim, int64_t v_dim)
    : owner_(owner),
      n_layer_(n_layer),
      n_ctx_(n_ctx),
      k_dim_(k_dim),
      v_dim_(v_dim),
      n_vblocks_((n_ctx + kVBlock - 1) / kVBlock) {}

Result<std::unique_ptr<KvSequence>> KvSequence::Create(const void* owner, int32_t n_layer, int32_t n_ctx,
                                                       int64_t k_dim, int64_t v_dim) {
  std::unique_ptr<KvSequence> s(new KvSequence(owner, n_layer, n_ctx, k_dim, v_dim));
  // nothrow: a context too large for this machine is an error value, not an abort.
  s->k_.reset(new (std::nothrow) uint16_t[static_cast<size_t>(n_layer) * n_ctx * k_dim]);
  s->v_.reset(new (std::nothrow) uint16_t[static_cast<size_t>(n_layer) * s->n_vblocks_ * kVBlock * v_dim]);
  if (!s->k_ || !s->v_) {
    return Status::ResourceExhausted("cannot allocate a KV cache of " + std::to_string(s->memory_bytes()) +
                                     " bytes for n_ctx " + std::to_string(n_ctx));
  }
  return s;
}

void KvSequence::Truncate(int32_t n) { n_past_ = std::clamp(n, 0, n_past_); }

size_t KvSequence::memory_bytes() const {
  return static_cast<size_t>(n_layer_) * (static_cast<size_t>(n_ctx_) * k_dim_ + static_cast<size_t>(n_vblocks_) * kVBlock * v_dim_) *
         sizeof(uint16_t);
}

}  // namespace deepgate
