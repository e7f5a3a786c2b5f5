// ThreadPool: one persistent set of worker threads that runs data-parallel loops.
//
// The model creates one pool (`-t N` threads, the caller counted as one of them) and every
// matmul and attention loop of a forward pass is split over it with ParallelFor, so no
// thread is created per operation. Work is cut into chunks that idle threads claim, so a
// thread descheduled by another process delays a job by at most one chunk. Waiting threads
// spin briefly and then sleep (futex).
// Thread-safety: ParallelFor may be called from one thread at a time (the forward pass);
// the body runs concurrently on all threads and must only write disjoint data.
#pragma once
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

namespace deepgate {

// A non-owning reference to a callable, for calls that run and finish inside the callee (the
// pool's bodies). Unlike std::function it never allocates: decode dispatches ~200 bodies per
// token, most of them lambdas capturing more than std::function keeps inline.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

class ThreadPool {
 public:
  // n_threads <= 0 picks the number of online CPUs.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const;

  // Calls body(thread_index, n_threads) once on every thread (the caller is thread 0) and
  // returns when all calls have returned. The body splits its own work by thread_index.
  void Run(FunctionRef<void(int thread_index, int n_threads)> body);

  // Splits [0, n) into contiguous chunks of at least `grain` items and calls
  // body(begin, end) for each chunk on some thread.
  void ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t begin, int64_t end)> body);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace deepgate
