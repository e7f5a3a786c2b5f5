// AVX2 PackedGemm (packed_gemm_ymm.h without VNNI). Compiled with -mavx2 -mfma -mf16c; called
// only after CpuHasAvx2().
#include "core/quant/packed_gemm_k_ymm.h"
#include "core/quant/packed_gemm_ymm.h"

namespace deepgate::quant {

PackedGemmFn Avx2PackedGemm(GgmlType t) {
  if (const PackedGemmFn f = PackedGemmYmm(t)) return f;
  return PackedGemmKYmm(t);
}

}  // namespace deepgate::quant
