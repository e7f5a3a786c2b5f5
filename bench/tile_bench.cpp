// Micro-bench of VecDotTile per weight type (the prefill kernel), one thread, AVX2 kernels:
// a [ROWS][N] weight tile against COLS activation rows, both L2-resident as in MatMul.
// Prints ns per (row, column) pair and GMAC/s; best of several timed batches (thread CPU
// time), so a shared machine perturbs it less than wall-clock model benches.
//
//   tile_bench [ROWS=64] [COLS=64] [N=896]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/ggml_type.h"
#include "core/quant/quant.h"
#include "core/quant/tile.h"
#include "bench/thread_clock.h"

namespace {

using deepgate::bench::ThreadSeconds;

using deepgate::GgmlType;
namespace quant = deepgate::quant;

std::vector<float> RandomFloats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 64;
  const int64_t cols = argc > 2 ? std::atoll(argv[2]) : 64;
  const int64_t n = argc > 3 ? std::atoll(argv[3]) : 896;
  if (n % 256 != 0 && n % 32 != 0) return 2;
  std::printf("VecDotTile [%lld rows] x [%lld cols], n %lld, 1 thread, each kernel set this CPU runs\n", static_cast<long long>(rows),
              static_cast<long long>(cols), static_cast<long long>(n));
  const auto wf = RandomFloats(static_cast<size_t>(rows * n), 1);
  const auto xf = RandomFloats(static_cast<size_t>(cols * n), 2);
  for (GgmlType t : {GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_K, GgmlType::Q6_K}) {
    if (n % 256 != 0 && (t == GgmlType::Q4_K || t == GgmlType::Q6_K)) continue;
    const size_t ws = *deepgate::RowBytes(t, n);
    std::vector<uint8_t> w(ws * rows);
    for (int64_t r = 0; r < rows; ++r) quant::QuantizeRow(t, wf.data() + r * n, w.data() + r * ws, n);
    const GgmlType xt = quant::VecDotType(t);
    const size_t xs = *deepgate::RowBytes(xt, n);
    std::vector<uint8_t> x(xs * cols);
    for (int64_t c = 0; c < cols; ++c) quant::QuantizeRow(xt, xf.data() + c * n, x.data() + c * xs, n);
    std::vector<float> out(static_cast<size_t>(rows * cols));
    for (auto set : {quant::KernelSet::kAvx2, quant::KernelSet::kAvxVnni, quant::KernelSet::kAvx512}) {
      quant::ForceKernels(set);
      if (quant::ActiveKernels() != set) continue;
      double best = 1e30;
      for (int batch = 0; batch < 7; ++batch) {
        const int reps = 20;
        const double start = ThreadSeconds();
        for (int k = 0; k < reps; ++k) {
          quant::VecDotTile(t, n, w.data(), ws, rows, x.data(), xs, cols, out.data(), static_cast<size_t>(rows));
        }
        best = std::min(best, (ThreadSeconds() - start) / reps);
      }
      const double pairs = static_cast<double>(rows * cols);
      std::printf("%-6s %-13s %8.1f ns/pair %8.2f GMAC/s\n", deepgate::TypeName(t), quant::KernelSetName(set),
                  best * 1e9 / pairs, pairs * static_cast<double>(n) / best / 1e9);
    }
  }
  return 0;
}
