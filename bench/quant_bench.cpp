// Micro-bench of VecDotRows per weight type, scalar vs AVX2 vs AVX-512 (where the CPU has it), one thread.
// Prints ns per weight row and GB/s of weight bytes streamed for a [rows][n] matrix
// (default 896 x 4864, the shape of a Qwen2-0.5B ffn_down; override: quant_bench ROWS N).
// With the default size the matrix mostly sits in L2/L3, so this measures the kernels, not DRAM.
// Times are this thread's CPU time, so a busy shared machine inflates them less than wall time.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/ggml_type.h"
#include "core/quant/quant.h"
#include "bench/thread_clock.h"

using deepgate::GgmlType;
namespace quant = deepgate::quant;

namespace {

using deepgate::bench::ThreadSeconds;

std::vector<float> RandomFloats(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(count);
  for (float& f : v) f = dist(rng);
  return v;
}

// Seconds per VecDotRows call over the whole matrix (best of several timed batches).
double TimeRows(GgmlType t, int64_t n, const std::vector<uint8_t>& w, size_t stride, int64_t rows,
                const std::vector<uint8_t>& x, std::vector<float>& out) {
  double best = 1e30;
  for (int batch = 0; batch < 5; ++batch) {
    const double start = ThreadSeconds();
    int calls = 0;
    double elapsed = 0;
    do {
      quant::VecDotRows(t, n, w.data(), stride, rows, x.data(), out.data());
      ++calls;
      elapsed = ThreadSeconds() - start;
    } while (elapsed < 0.05);
    best = std::min(best, elapsed / calls);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 896;
  const int64_t n = argc > 2 ? std::atoll(argv[2]) : 4864;
  if (n % 256 != 0 || rows <= 0) {
    std::fprintf(stderr, "usage: quant_bench [ROWS] [N], N a multiple of 256\n");
    return 2;
  }
  quant::ForceKernels(quant::KernelSet::kAvx512);
  const bool have_avx512 = quant::ActiveKernels() == quant::KernelSet::kAvx512;
  quant::ForceKernels(quant::KernelSet::kAvx2);
  const bool have_avx2 = quant::ActiveKernels() == quant::KernelSet::kAvx2;
  std::printf("VecDotRows, matrix [%lld][%lld], 1 thread%s\n", static_cast<long long>(rows),
              static_cast<long long>(n), have_avx2 ? "" : " (no AVX2 on this CPU)");
  std::printf("%-6s %9s | %12s %9s | %12s %9s | %7s | %12s %9s\n", "type", "MiB", "scalar ns/r", "GB/s",
              "avx2 ns/r", "GB/s", "speedup", "avx512 ns/r", "GB/s");
  const auto weights_f32 = RandomFloats(static_cast<size_t>(rows * n), 1);
  const auto act_f32 = RandomFloats(static_cast<size_t>(n), 2);
  for (GgmlType t : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                     GgmlType::Q5_0, GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K,
                     GgmlType::Q6_K}) {
    const size_t stride = *deepgate::RowBytes(t, n);
    std::vector<uint8_t> w(stride * rows);
    if (quant::IsQuantizeSupported(t)) {
      for (int64_t r = 0; r < rows; ++r) quant::QuantizeRow(t, weights_f32.data() + r * n, w.data() + r * stride, n);
    } else {
      // No quantizer (Q2_K, Q3_K): random bytes time the same; keep the fp16 scales finite.
      std::mt19937 rng(3);
      for (auto& b : w) b = static_cast<uint8_t>(rng() & 0x3B);
    }
    const GgmlType xt = quant::VecDotType(t);
    std::vector<uint8_t> x(*deepgate::RowBytes(xt, n));
    quant::QuantizeRow(xt, act_f32.data(), x.data(), n);
    std::vector<float> out(rows);
    double secs[3] = {0, 0, 0};
    const quant::KernelSet sets[3] = {quant::KernelSet::kScalar, quant::KernelSet::kAvx2, quant::KernelSet::kAvx512};
    for (int s = 0; s < (have_avx512 ? 3 : have_avx2 ? 2 : 1); ++s) {
      quant::ForceKernels(sets[s]);
      secs[s] = TimeRows(t, n, w, stride, rows, x, out);
    }
    const double bytes = static_cast<double>(w.size());
    std::printf("%-6s %9.2f | %12.1f %9.2f | %12.1f %9.2f | %6.1fx | %12.1f %9.2f\n", deepgate::TypeName(t),
                bytes / (1 << 20), secs[0] * 1e9 / rows, bytes / secs[0] / 1e9,
                secs[1] * 1e9 / rows, secs[1] > 0 ? bytes / secs[1] / 1e9 : 0.0,
                secs[1] > 0 ? secs[0] / secs[1] : 0.0, secs[2] * 1e9 / rows, secs[2] > 0 ? bytes / secs[2] / 1e9 : 0.0);
  }
  // Activation quantization, the other per-token cost of a matmul.
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q8_K}) {
    std::vector<uint8_t> x(*deepgate::RowBytes(t, n));
    double ns[2] = {0, 0};
    for (int s = 0; s < (have_avx2 ? 2 : 1); ++s) {
      quant::ForceKernels(s == 0 ? quant::KernelSet::kScalar : quant::KernelSet::kAvx2);
      const double start = ThreadSeconds();
      const int reps = 2000;
      for (int k = 0; k < reps; ++k) quant::QuantizeRow(t, act_f32.data(), x.data(), n);
      ns[s] = (ThreadSeconds() - start) * 1e9 / reps;
    }
    std::printf("quantize %-5s row of %lld: scalar %.0f ns, avx2 %.0f ns\n", deepgate::TypeName(t),
                static_cast<long long>(n), ns[0], ns[1]);
  }
  return 0;
}
