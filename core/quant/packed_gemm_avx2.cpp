// AVX2 PackedGemm (packed_gemm_ymm.h without VNNI). Compiled with -mavx2 -mfma -mf16c; called
// only after CpuHasAvx2().
#include "core/quant/packed_gemm_ymm.h"

namespace deepgate::quant {

PackedGemmFn Avx2PackedGemm(GgmlType t) { return PackedGemmYmm(t); }

}  // namespace deepgate::quant
