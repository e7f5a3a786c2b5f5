// Micro-bench of PackedGemm per weight type, one thread, in cache: a packed [ROWS][N] matrix
// against COLS packed activation rows (COLS = 1 is decode's shape, 64 prefill's). Prints
// GMAC/s, best of several timed batches of thread CPU time, for each -k kernel set given.
//
//   packed_gemm_bench [COLS=64] [ROWS=256] [N=2048] [KERNELS="avx2 avx2+avxvnni avx512"]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/quant.h"
#include "bench/thread_clock.h"

namespace {

using deepgate::bench::ThreadSeconds;

using deepgate::GgmlType;
namespace quant = deepgate::quant;

}  // namespace

int main(int argc, char** argv) {
  const int64_t cols = argc > 1 ? std::atoll(argv[1]) : 64;
  const int64_t rows = argc > 2 ? std::atoll(argv[2]) : 256;
  const int64_t n = argc > 3 ? std::atoll(argv[3]) : 2048;
  const std::string sets = argc > 4 ? argv[4] : "avx2 avx2+avxvnni avx512";
  if (cols < 1 || rows < 1 || n < 256 || n % 256 != 0) {
    std::fprintf(stderr, "usage: packed_gemm_bench [COLS>=1] [ROWS>=1] [N: a multiple of 256] [KERNELS]\n");
    return 2;
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::printf("packed_gemm_bench: %lld rows x %lld elements x %lld activation rows, one thread, GMAC/s\n",
              static_cast<long long>(rows), static_cast<long long>(n), static_cast<long long>(cols));
  std::istringstream names(sets);
  for (std::string name; names >> name;) {
    std::optional<quant::KernelSet> set;
    for (quant::KernelSet k : {quant::KernelSet::kScalar, quant::KernelSet::kAvx2, quant::KernelSet::kAvxVnni,
                               quant::KernelSet::kAvx512}) {
      if (name == quant::KernelSetName(k)) set = k;
    }
    if (!set) {
      std::fprintf(stderr, "unknown kernel set '%s'\n", name.c_str());
      return 2;
    }
    quant::ForceKernels(*set);
    if (quant::ActiveKernels() != *set) {
      std::printf("%-14s not on this CPU\n", name.c_str());
      continue;
    }
    for (GgmlType t : {GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K}) {
      if (!quant::HasPackedGemm(t)) continue;
      const size_t row_bytes = RowBytes(t, n).value();
      std::vector<uint8_t> w(row_bytes * static_cast<size_t>(rows));
      std::vector<float> f(static_cast<size_t>(n));
      for (int64_t r = 0; r < rows; ++r) {
        for (float& v : f) v = dist(rng);
        quant::QuantizeRow(t, f.data(), w.data() + r * row_bytes, n);
      }
      std::vector<uint8_t> packed(quant::PackedWeightBytes(t, n, rows) + 64);
      uint8_t* wp = packed.data() + (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
      quant::PackWeights(t, n, w.data(), row_bytes, rows, wp);
      const size_t xs = quant::PackedActivationBytes(t, n);
      std::vector<uint8_t> x(xs * static_cast<size_t>(cols));
      for (int64_t c = 0; c < cols; ++c) {
        for (float& v : f) v = dist(rng);
        quant::PackActivationRow(t, f.data(), n, x.data() + c * xs);
      }
      std::vector<float> out(static_cast<size_t>(rows * cols));
      double best = 1e30;
      for (int rep = 0; rep < 20; ++rep) {
        const double t0 = ThreadSeconds();
        for (int k = 0; k < 5; ++k) quant::PackedGemm(t, n, wp, rows, x.data(), xs, cols, out.data(), rows);
        best = std::min(best, (ThreadSeconds() - t0) / 5);
      }
      std::printf("%-14s %-5s %8.1f\n", name.c_str(), deepgate::TypeName(t),
                  static_cast<double>(rows * cols * n) / best * 1e-9);
    }
  }
  quant::ForceKernels(quant::BestKernels());
  return 0;
}
