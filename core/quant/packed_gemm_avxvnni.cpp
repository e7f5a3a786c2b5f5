// AVX-VNNI PackedGemm (packed_gemm_ymm.h with vpdpbusd on 256-bit vectors). Compiled with
// -mavx2 -mfma -mf16c -mavxvnni; called only after CpuHasAvxVnni().
#include "core/quant/packed_gemm_ymm.h"

namespace deepgate::quant {

PackedGemmFn AvxVnniPackedGemm(GgmlType t) { return PackedGemmYmm(t); }

}  // namespace deepgate::quant
