// membw_bench: read-only memory bandwidth of this machine, the ceiling for CPU decode speed
// (every generated token streams all weights from memory once).
//
//   membw_bench [-t THREADS] [-s MIB] [-r REPEATS]
//     -t  threads for the multi-threaded run (default: all online CPUs)
//     -s  buffer size in MiB (default 1024; keep it far above the last-level cache)
//     -r  repeats; the best is reported (default 5)
// Prints GB/s (10^9 bytes per second) for 1 thread and for THREADS threads. Each thread sums
// its own contiguous slice with 256-bit loads (AVX2 when the CPU has it, else a plain loop
// the compiler vectorizes with SSE2), so the loop is bound by loads, not by arithmetic.
#include <immintrin.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

__attribute__((target("avx2"))) uint64_t SumAvx2(const uint64_t* p, size_t n) {
  // Four independent accumulators keep four loads in flight per iteration.
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_add_epi64(a0, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 4)));
    a2 = _mm256_add_epi64(a2, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 8)));
    a3 = _mm256_add_epi64(a3, _mm256_load_si256(reinterpret_cast<const __m256i*>(p + i + 12)));
  }
  const __m256i s = _mm256_add_epi64(_mm256_add_epi64(a0, a1), _mm256_add_epi64(a2, a3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), s);
  uint64_t sum = lanes[0] + lanes[1] + lanes[2] + lanes[3];
  for (; i < n; ++i) sum += p[i];
  return sum;
}

uint64_t SumPortable(const uint64_t* p, size_t n) {
  uint64_t s[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) s[k] += p[i + k];
  }
  for (; i < n; ++i) s[0] += p[i];
  uint64_t sum = 0;
  for (uint64_t x : s) sum += x;
  return sum;
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2");

uint64_t Sum(const uint64_t* p, size_t n) { return kHasAvx2 ? SumAvx2(p, n) : SumPortable(p, n); }

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Seconds for n_threads threads to each read their slice once (start to last finish).
double TimedRead(const uint64_t* buf, size_t n, int n_threads, uint64_t* sink) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<uint64_t> sums(static_cast<size_t>(n_threads));
  std::vector<std::thread> threads;
  for (int t = 0; t < n_threads; ++t) {
    threads.emplace_back([&, t] {
      // Slices are multiples of 16 words so every load stays 32-byte aligned.
      const size_t begin = n / 16 * static_cast<size_t>(t) / static_cast<size_t>(n_threads) * 16;
      const size_t end = n / 16 * static_cast<size_t>(t + 1) / static_cast<size_t>(n_threads) * 16;
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      sums[static_cast<size_t>(t)] = Sum(buf + begin, end - begin);
    });
  }
  while (ready.load() < n_threads) {
  }
  const auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& th : threads) th.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (uint64_t s : sums) *sink += s;  // keeps the sums (and so the loads) alive
  return seconds;
}

double BestGBps(const uint64_t* buf, size_t n, int n_threads, int repeats, uint64_t* sink) {
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const double s = TimedRead(buf, n, n_threads, sink);
    best = std::max(best, static_cast<double>(n / 16 * 16 * sizeof(uint64_t)) / s / 1e9);
  }
  return best;
}

int Usage() {
  std::fprintf(stderr, "usage: membw_bench [-t THREADS] [-s MIB] [-r REPEATS]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int n_threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  long mib = 1024;
  int repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return Usage();
    const long v = std::strtol(argv[++i], nullptr, 10);
    if (a == "-t" && v >= 1 && v <= 1024) {
      n_threads = static_cast<int>(v);
    } else if (a == "-s" && v >= 64 && v <= (1L << 20)) {
      mib = v;
    } else if (a == "-r" && v >= 1 && v <= 1000) {
      repeats = static_cast<int>(v);
    } else {
      return Usage();
    }
  }

  const size_t bytes = static_cast<size_t>(mib) << 20;
  const size_t n = bytes / sizeof(uint64_t);
  std::unique_ptr<void, FreeDeleter> mem(std::aligned_alloc(64, bytes));
  if (!mem) {
    std::fprintf(stderr, "membw_bench: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  auto* buf = static_cast<uint64_t*>(mem.get());
  // Touch every page (nonzero, so no shared zero page) before timing.
  for (size_t i = 0; i < n; ++i) buf[i] = i;

  uint64_t sink = 0;
  std::printf("membw_bench: read-only, %ld MiB buffer, best of %d, %s loads\n", mib, repeats,
              kHasAvx2 ? "AVX2 256-bit" : "portable");
  const double one = BestGBps(buf, n, 1, repeats, &sink);
  std::printf("  1 thread:   %6.2f GB/s\n", one);
  if (n_threads > 1) {
    const double many = BestGBps(buf, n, n_threads, repeats, &sink);
    std::printf("  %d threads: %6.2f GB/s\n", n_threads, many);
  }
  std::fprintf(stderr, "(checksum %llu)\n", static_cast<unsigned long long>(sink));
  return 0;
}
