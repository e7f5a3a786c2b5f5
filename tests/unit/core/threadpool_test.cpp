// ThreadPool: every index is covered exactly once, Run reaches every thread, nested calls run
// inline, a one-thread pool works, destruction joins cleanly, and FunctionRef forwards calls;
// chunks are claimed dynamically, so a stalled thread's share is taken by the others, and
// back-to-back jobs on more threads than CPUs never lose a wake-up.
#include "core/threadpool.h"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

TEST(ThreadPoolTest, ParallelForCoversEveryIndexExactlyOnce) {
  ThreadPool pool(4);
  for (int64_t n : {1, 2, 3, 7, 64, 1000, 4099}) {
    for (int64_t grain : {1, 3, 16, 5000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.ParallelFor(n, grain, [&](int64_t b, int64_t e) {
        ASSERT_LE(0, b);
        ASSERT_LT(b, e);
        ASSERT_LE(e, n);
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPoolTest, ParallelForWithNothingToDoCallsNothing) {
  ThreadPool pool(2);
  int calls = 0;
  pool.ParallelFor(0, 1, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPoolTest, RunCallsEveryThreadIndexOnce) {
  ThreadPool pool(3);
  ASSERT_EQ(pool.n_threads(), 3);
  for (int rep = 0; rep < 500; ++rep) {  // many back-to-back jobs: the decode pattern
    std::vector<std::atomic<int>> seen(3);
    pool.Run([&](int i, int n) {
      ASSERT_EQ(n, 3);
      seen[static_cast<size_t>(i)].fetch_add(1);
    });
    for (auto& s : seen) ASSERT_EQ(s.load(), 1);
  }
}

TEST(ThreadPoolTest, NestedCallsRunInlineWithoutDeadlock) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  pool.ParallelFor(8, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      pool.ParallelFor(10, 1, [&](int64_t ib, int64_t ie) { sum.fetch_add(ie - ib); });
    }
  });
  EXPECT_EQ(sum.load(), 80);
}

TEST(ThreadPoolTest, SingleThreadPoolRunsOnTheCaller) {
  ThreadPool pool(1);
  EXPECT_EQ(pool.n_threads(), 1);
  int calls = 0;
  pool.Run([&](int i, int n) {
    EXPECT_EQ(i, 0);
    EXPECT_EQ(n, 1);
    ++calls;
  });
  int64_t covered = 0;
  pool.ParallelFor(100, 1, [&](int64_t b, int64_t e) { covered += e - b; });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(covered, 100);
}

TEST(ThreadPoolTest, DefaultThreadCountIsPositive) {
  ThreadPool pool(0);
  EXPECT_GE(pool.n_threads(), 1);
}

TEST(ThreadPoolTest, DestructionJoinsIdleAndJustUsedPools) {
  for (int i = 0; i < 20; ++i) {
    ThreadPool idle(3);
    ThreadPool used(3);
    std::atomic<int> n{0};
    used.Run([&](int, int) { n.fetch_add(1); });
    EXPECT_EQ(n.load(), 3);
  }
}

TEST(ThreadPoolTest, AStalledThreadDelaysTheJobByOneChunkOnly) {
  // The first chunk sleeps as if its thread had lost its CPU to another process: the other
  // thread must take every remaining chunk instead of waiting with a fixed share.
  ThreadPool pool(2);
  std::mutex mu;
  std::map<std::thread::id, int> chunks_per_thread;
  std::thread::id stalled;
  pool.ParallelFor(8, 1, [&](int64_t b, int64_t) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ++chunks_per_thread[std::this_thread::get_id()];
      if (b == 0) stalled = std::this_thread::get_id();
    }
    if (b == 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  });
  int total = 0;
  for (const auto& [id, n] : chunks_per_thread) total += n;
  EXPECT_EQ(total, 8);
  EXPECT_EQ(chunks_per_thread[stalled], 1);
}

TEST(ThreadPoolTest, ManyShortJobsOnMoreThreadsThanCpusAllFinish) {
  // Oversubscribed (threads sleep and wake between jobs): a lost wake-up would hang here.
  const int n_threads = 2 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(n_threads);
  int64_t total = 0;
  for (int job = 0; job < 3000; ++job) {
    std::atomic<int64_t> sum{0};
    if (job % 2 == 0) {
      pool.ParallelFor(64, 1, [&](int64_t b, int64_t e) { sum.fetch_add(e - b); });
    } else {
      pool.Run([&](int, int) { sum.fetch_add(1); });
    }
    ASSERT_EQ(sum.load(), job % 2 == 0 ? 64 : n_threads);
    total += sum.load();
  }
  EXPECT_GT(total, 0);
}

TEST(ThreadPoolTest, FunctionRefCallsTheReferencedCallableWithoutCopyingIt) {
  int calls = 0;
  auto count = [&calls](int k) { calls += k; return calls; };
  const FunctionRef<int(int)> ref(count);
  EXPECT_EQ(ref(2), 2);
  EXPECT_EQ(ref(3), 5);
  EXPECT_EQ(calls, 5);
}

TEST(ThreadPoolTest, BodiesWithLargeCapturesSeeTheirState) {
  ThreadPool pool(2);
  const int64_t a = 1, b = 2, c = 3, d = 4, e = 5;  // more than std::function keeps inline
  std::atomic<int64_t> sum{0};
  pool.ParallelFor(2, 1, [&, a, b, c, d, e](int64_t begin, int64_t end) { sum += (end - begin) * (a + b + c + d + e); });
  EXPECT_EQ(sum.load(), 2 * 15);
}

}  // namespace
}  // namespace deepgate
