// Histogram: fixed upper bounds (seconds), one atomic count per bucket plus the sum, in the
// shape Prometheus wants (cumulative `le` buckets, `_sum`, `_count` = the +Inf bucket).
// Observe is lock-free: a bucket fetch_add, a count fetch_add and a sum kept in integer
// microseconds (fetch_add; a double CAS loop would contend under 16 threads).
// Thread-safety: Observe and Snapshot from any thread; a snapshot taken during Observe may
// see the bucket but not yet the count — Snapshot derives _count from the buckets so the
// rendered family is always self-consistent (+Inf == _count).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace deepgate::fcgi::metrics {

struct HistogramSnapshot {
  std::vector<double> bounds;       // upper bounds, ascending, +Inf not included
  std::vector<uint64_t> cumulative; // [bounds.size() + 1]: last is the +Inf bucket
  double sum = 0;                   // seconds
  uint64_t count = 0;               // == cumulative.back()
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void Observe(double seconds);
  HistogramSnapshot Snapshot() const;

  // Request durations: 0.1 ms … 5 min (the sub-ms buckets show the worker-side cost of a
  // request that never reaches the engine).
  static std::vector<double> LatencyBounds();
  // Per-token gaps: 1 ms … 10 s.
  static std::vector<double> TokenBounds();

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // [bounds_.size() + 1], not cumulative
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace deepgate::fcgi::metrics
