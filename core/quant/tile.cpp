// VecDotTile dispatch: the AVX-512, AVX-VNNI or AVX2 tile kernel of the active kernel set where the
// type has one, otherwise VecDotRows once per activation row (the reference behaviour).
#include "core/quant/tile.h"

#include <algorithm>

#include "core/quant/kernels.h"
#include "core/quant/quant.h"
#include "core/quant/tile_kernels.h"

namespace deepgate::quant {
namespace {

VecDotTileFn ActiveTileKernel(GgmlType w) {
  switch (ActiveKernels()) {
    case KernelSet::kAvx512:
      if (const VecDotTileFn f = Avx512TileKernel(w)) return f;
      [[fallthrough]];
    case KernelSet::kAvxVnni:
      if (const VecDotTileFn f = AvxVnniTileKernel(w)) return f;
      return Avx2TileKernel(w);
    case KernelSet::kAvx2: return Avx2TileKernel(w);
    case KernelSet::kScalar: break;
  }
  return nullptr;
}

}  // namespace

TileShape BatchTileShape(GgmlType w, size_t w_row_bytes, size_t x_row_bytes) {
  if (w == GgmlType::F16 && (ActiveKernels() == KernelSet::kAvx2 || ActiveKernels() == KernelSet::kAvxVnni)) {
    // 64 rows x 48 columns measured best of 32-128 x 12-96 (with 512-element chunks).
    return TileShape{64, 48};
  }
  constexpr size_t kTileBytes = 64 * 1024;
  return TileShape{std::clamp<int64_t>(static_cast<int64_t>(kTileBytes / w_row_bytes), 4, 64) / 4 * 4,
                   std::clamp<int64_t>(static_cast<int64_t>(kTileBytes / x_row_bytes), 6, 66) / 6 * 6};
}

PrefetchRange& ThreadTilePrefetch() {
  thread_local PrefetchRange range;
  return range;
}

bool TilePrefetchesInline(GgmlType w) {
  if (w != GgmlType::F32 && w != GgmlType::F16 && w != GgmlType::BF16) return false;
  // The rows and tiles of float_avx512.cpp, and on AVX2 FloatTile and the rows kernel of
  // quant_legacy_avx2.cpp.
  return ActiveKernels() != KernelSet::kScalar;
}

void SetTilePrefetch(const void* begin, size_t bytes) {
  const auto* p = static_cast<const uint8_t*>(begin);
  ThreadTilePrefetch() = PrefetchRange{p, p + bytes};
}

PrefetchRange TakeTilePrefetch() {
  PrefetchRange& range = ThreadTilePrefetch();
  const PrefetchRange rest = range;
  range = PrefetchRange{};
  return rest;
}

bool HasTileKernel(GgmlType w) { return ActiveTileKernel(w) != nullptr; }

void VecDotTile(GgmlType w, int64_t n, const void* w_rows, size_t w_row_stride, int64_t n_rows,
                const void* x_rows, size_t x_row_stride, int64_t n_cols, float* out, size_t out_stride) {
  const auto* wb = static_cast<const uint8_t*>(w_rows);
  const auto* xb = static_cast<const uint8_t*>(x_rows);
  if (const VecDotTileFn f = ActiveTileKernel(w)) {
    f(n, wb, w_row_stride, n_rows, xb, x_row_stride, n_cols, out, out_stride);
    return;
  }
  for (int64_t c = 0; c < n_cols; ++c) {
    VecDotRows(w, n, wb, w_row_stride, n_rows, xb + c * x_row_stride, out + c * out_stride);
  }
}

}  // namespace deepgate::quant
