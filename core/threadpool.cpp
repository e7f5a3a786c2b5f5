// ThreadPool implementation: a job is n_chunks pieces of work that any thread may claim.
//
// Run publishes a job (its body, chunk count and a fresh generation), runs chunks itself as
// thread 0, then waits until every claimed chunk has finished. Workers wake on the
// generation and claim chunks from one atomic word holding (generation, next chunk), so a
// worker that wakes late, or is descheduled by another process, costs the job at most the
// chunk it holds: the other threads take the rest. A static one-share-per-thread split made
// the caller wait for a descheduled partner's whole share; with `nice` busy loops on the same
// CPUs that turned decode 5-7x slower (bench/RESULTS.md, "competing load").
//
// Decode calls Run ~200 times per token, so the handoff must cost microseconds: waiting
// sides spin briefly on the atomics and then sleep on a futex, which gives the CPU to
// whatever else wants it instead of burning a partner's time slice.
// A call made from inside a body (nested) runs inline on the calling thread.
#include "core/threadpool.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <thread>
#include <vector>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DG_CPU_RELAX() _mm_pause()
#else
#define DG_CPU_RELAX() ((void)0)
#endif

namespace deepgate {
namespace {

// Pause-spinning covers the gap between two matmuls of one token (a few microseconds) and
// the usual finishing skew between threads; past it the waiter sleeps on a futex, so a
// partner that lost its CPU to another process gets it back sooner. No sched_yield: under
// EEVDF a yielding thread stays runnable at the back of the queue and may hand a niced busy
// loop a whole time slice, where a futex sleep ends by a wake-up that preempts it.
constexpr int kSpinIterations = 4000;
// ParallelFor cuts its range into this many chunks per thread (when the grain allows): small
// enough that the threads that run take over a descheduled one's work, large enough that
// claiming (one atomic on a shared line) stays negligible next to a chunk.
constexpr int64_t kChunksPerThread = 4;

// Sleeping and waking: the futex system call on the 32-bit word itself, with a count of
// sleepers beside it so that a wake costs no system call while nobody sleeps (the same
// fast path std::atomic::wait has, but explicit about its ordering).
struct WaitWord {
  std::atomic<uint32_t> value{0};
  std::atomic<int32_t> sleepers{0};

  void Wake() {
    // seq_cst pairs with the sleeper's: either it sees the new value or we see it sleeping.
    if (sleepers.load(std::memory_order_seq_cst) > 0) {
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&value), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
    }
  }

  // Waits until value != old: spin, then sleep; returns the new value.
  uint32_t WaitChange(uint32_t old) {
    uint32_t v = value.load(std::memory_order_acquire);
    for (int i = 0; v == old && i < kSpinIterations; ++i) {
      DG_CPU_RELAX();
      v = value.load(std::memory_order_acquire);
    }
    while (v == old) {
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      // The kernel sleeps only while the word still holds old, so a change between our
      // load and the call is never missed.
      if (value.load(std::memory_order_seq_cst) == old) {
        syscall(SYS_futex, reinterpret_cast<uint32_t*>(&value), FUTEX_WAIT_PRIVATE, old, nullptr, nullptr, 0);
      }
      sleepers.fetch_sub(1, std::memory_order_relaxed);
      v = value.load(std::memory_order_acquire);
    }
    return v;
  }
};

// True while this thread is running a pool body (so nested calls run inline).
thread_local bool t_inside_pool = false;

}  // namespace

struct ThreadPool::Impl {
  using Chunk = FunctionRef<void(int64_t chunk)>;
  int n_threads = 1;
  std::vector<std::thread> workers;
  // The job of the current generation: valid until its last chunk has finished.
  std::atomic<const Chunk*> job{nullptr};
  // (generation << 32) | (chunk count << 16) | next unclaimed chunk. The count lives in the
  // same word as the index: a claim is a compare-exchange on the whole word, so it can only
  // succeed for an index below its own job's count. (A separate count field let a thread
  // pair an exhausted old word with the next job's larger count while the caller was still
  // publishing it, and claim a chunk twice.)
  std::atomic<uint64_t> claim{0};
  WaitWord generation;  // bumped once per job: what idle workers wait on
  WaitWord unfinished;  // chunks of the current job not yet finished: what the caller waits on
  std::atomic<bool> stop{false};

  // Claims and runs chunks of the current job until none is left.
  void RunChunks() {
    uint64_t v = claim.load(std::memory_order_acquire);
    for (;;) {
      // Read before the claim: a successful claim proves the body belongs to v's job, since
      // the next job's body is only stored after all of this job's chunks have finished.
      const Chunk* body = job.load(std::memory_order_acquire);
      const int64_t n = static_cast<int64_t>((v >> 16) & 0xFFFFu);
      const int64_t index = static_cast<int64_t>(v & 0xFFFFu);
      if (index >= n) return;
      if (!claim.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      t_inside_pool = true;
      (*body)(index);
      t_inside_pool = false;
      if (unfinished.value.fetch_sub(1, std::memory_order_seq_cst) == 1) unfinished.Wake();
      v = claim.load(std::memory_order_acquire);
    }
  }

  void WorkerLoop() {
    uint32_t seen = 0;
    for (;;) {
      seen = generation.WaitChange(seen);
      if (stop.load(std::memory_order_acquire)) return;
      RunChunks();
    }
  }

  // Runs body(0..n-1) over the threads and returns when all have finished.
  void Dispatch(int64_t n, const Chunk& body) {
    job.store(&body, std::memory_order_relaxed);
    unfinished.value.store(static_cast<uint32_t>(n), std::memory_order_relaxed);
    const uint32_t gen = generation.value.load(std::memory_order_relaxed) + 1;
    claim.store(static_cast<uint64_t>(gen) << 32 | static_cast<uint64_t>(n) << 16, std::memory_order_release);
    generation.value.store(gen, std::memory_order_seq_cst);
    generation.Wake();
    RunChunks();
    // unfinished only counts down, so wait for each change until it reaches zero.
    uint32_t left = unfinished.value.load(std::memory_order_acquire);
    while (left != 0) left = unfinished.WaitChange(left);
  }
};

ThreadPool::ThreadPool(int n_threads) : impl_(std::make_unique<Impl>()) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads = std::min(n_threads, 16383);  // chunk counts (4 per thread) fit the claim word's 16 bits
  impl_->n_threads = n_threads;
  impl_->workers.reserve(n_threads - 1);
  for (int i = 1; i < n_threads; ++i) impl_->workers.emplace_back([impl = impl_.get()] { impl->WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  impl_->stop.store(true, std::memory_order_release);
  impl_->generation.value.fetch_add(1, std::memory_order_seq_cst);
  impl_->generation.Wake();
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
  // Each thread index is a chunk: whichever thread claims index i runs body(i, n), so per-
  // index scratch stays private to one call at a time.
  const int n = p.n_threads;
  auto chunk = [&](int64_t i) { body(static_cast<int>(i), n); };
  p.Dispatch(n, chunk);
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t begin, int64_t end)> body) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = std::max<int64_t>(n / grain, 1);  // each chunk >= grain items
  if (max_chunks == 1 || impl_->n_threads == 1 || t_inside_pool) {
    body(0, n);
    return;
  }
  // Contiguous chunks in order, claimed dynamically: each chunk still streams its own
  // weight rows, and a thread that runs ahead (or a partner that stalls) evens out.
  const int64_t n_chunks = std::min<int64_t>(max_chunks, impl_->n_threads * kChunksPerThread);  // < 2^16
  auto chunk = [&](int64_t i) {
    const int64_t begin = n * i / n_chunks;
    const int64_t end = n * (i + 1) / n_chunks;
    if (begin < end) body(begin, end);
  };
  impl_->Dispatch(n_chunks, chunk);
}

}  // namespace deepgate
