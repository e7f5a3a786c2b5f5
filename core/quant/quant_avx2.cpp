// AVX2/FMA/F16C kernels. Compiled with -mavx2 -mfma -mf16c; called only after CpuHasAvx2().
// Thread-safety: pure functions.
#include "core/quant/kernels.h"

namespace deepgate::quant {

TypeKernels Avx2Kernels(GgmlType) { return TypeKernels{}; }

}  // namespace deepgate::quant
