// ThreadPool implementation: workers wait on a generation counter; Run publishes a job by
// bumping it, runs its own share as thread 0, then waits for a countdown of the others.
//
// Decode calls Run ~100+ times per token, so the handoff must cost microseconds: both sides
// spin briefly on the atomics first and only then sleep in std::atomic::wait (a futex on
// Linux). The spin is short because this machine may have fewer cores than busy threads.
// A call made from inside a body (nested) runs inline on the calling thread.
#include "core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DG_CPU_RELAX() _mm_pause()
#else
#define DG_CPU_RELAX() ((void)0)
#endif

namespace deepgate {
namespace {

// A few microseconds of pause-spinning covers the gap between two matmuls of one token; then
// yielding (so an oversubscribed core can run the thread we wait for), then sleeping.
constexpr int kSpinIterations = 2000;
constexpr int kYieldIterations = 64;

// Waits until load() != old: spin, yield, then std::atomic::wait (a futex on Linux).
template <typename T>
T WaitChange(std::atomic<T>& a, T old) {
  T v = a.load(std::memory_order_acquire);
  for (int i = 0; v == old && i < kSpinIterations; ++i) {
    DG_CPU_RELAX();
    v = a.load(std::memory_order_acquire);
  }
  for (int i = 0; v == old && i < kYieldIterations; ++i) {
    std::this_thread::yield();
    v = a.load(std::memory_order_acquire);
  }
  while (v == old) {
    a.wait(old, std::memory_order_acquire);
    v = a.load(std::memory_order_acquire);
  }
  return v;
}

// True while this thread is running a pool body (so nested calls run inline).
thread_local bool t_inside_pool = false;

}  // namespace

struct ThreadPool::Impl {
  int n_threads = 1;
  std::vector<std::thread> workers;
  const FunctionRef<void(int, int)>* job = nullptr;  // valid while a Run is in flight
  std::atomic<uint32_t> generation{0};
  std::atomic<int32_t> pending{0};  // workers still running the current job
  std::atomic<bool> stop{false};

  void WorkerLoop(int index) {
    uint32_t seen = 0;
    for (;;) {
      seen = WaitChange(generation, seen);
      if (stop.load(std::memory_order_acquire)) return;
      t_inside_pool = true;
      (*job)(index, n_threads);
      t_inside_pool = false;
      if (pending.fetch_sub(1, std::memory_order_acq_rel) == 1) pending.notify_one();
    }
  }

  void WaitForWorkers() {
    // pending only counts down, so wait for each change until it reaches zero.
    int32_t left = pending.load(std::memory_order_acquire);
    while (left != 0) left = WaitChange(pending, left);
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(std::make_unique<Impl>()) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl_->n_threads = n_threads;
  impl_->workers.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) {
    impl_->workers.emplace_back([impl = impl_.get(), i] { impl->WorkerLoop(i); });
  }
}

ThreadPool::~ThreadPool() {
  impl_->stop.store(true, std::memory_order_release);
  impl_->generation.fetch_add(1, std::memory_order_acq_rel);
  impl_->generation.notify_all();
  for (auto& t : impl_->workers) t.join();
}

int ThreadPool::n_threads() const { return impl_->n_threads; }

void ThreadPool::Run(FunctionRef<void(int thread_index, int n_threads)> body) {
  Impl& p = *impl_;
  if (p.n_threads == 1 || t_inside_pool) {
    // Nested or single-threaded: every "thread" runs here, in order.
    const int n = t_inside_pool ? 1 : p.n_threads;
    for (int i = 0; i < n; ++i) body(i, n);
    return;
  }
  p.job = &body;
  p.pending.store(p.n_threads - 1, std::memory_order_relaxed);
  p.generation.fetch_add(1, std::memory_order_acq_rel);
  p.generation.notify_all();
  t_inside_pool = true;
  body(0, p.n_threads);
  t_inside_pool = false;
  p.WaitForWorkers();
  p.job = nullptr;
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t begin, int64_t end)> body) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = std::max<int64_t>(n / grain, 1);  // each chunk >= grain items
  if (max_chunks == 1 || impl_->n_threads == 1 || t_inside_pool) {
    body(0, n);
    return;
  }
  // Static contiguous split, one chunk per thread: the work we split (matmul rows, heads)
  // is uniform enough, and a static split keeps each thread streaming its own weight rows.
  struct Split {
    int64_t n, n_chunks;
    FunctionRef<void(int64_t, int64_t)> body;
  } split{n, std::min<int64_t>(max_chunks, impl_->n_threads), body};
  Run([s = &split](int thread_index, int) {
    if (thread_index >= s->n_chunks) return;
    const int64_t begin = s->n * thread_index / s->n_chunks;
    const int64_t end = s->n * (thread_index + 1) / s->n_chunks;
    if (begin < end) s->body(begin, end);
  });
}

}  // namespace deepgate
