// AVX-VNNI PackedGemm (packed_gemm_ymm.h with vpdpbusd on 256-bit vectors). Compiled with
// -mavx2 -mfma -mf16c -mavxvnni; called only after CpuHasAvxVnni().
#include "core/quant/packed_gemm_k_ymm.h"
#include "core/quant/packed_gemm_ymm.h"

namespace deepgate::quant {

PackedGemmFn AvxVnniPackedGemm(GgmlType t) {
  if (const PackedGemmFn f = PackedGemmYmm(t)) return f;
  return PackedGemmKYmm(t);
}

}  // namespace deepgate::quant
