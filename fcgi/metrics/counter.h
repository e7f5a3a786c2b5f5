// Counter and Gauge: the registry's two scalar kinds. A Counter only goes up; a Gauge is set.
// Both are one relaxed atomic: the hot path (16 acceptor threads) pays one uncontended-ish
// fetch_add and never a lock. Scrapes read them with relaxed loads — a scrape is a snapshot
// of independent series, never a consistent cut across them (Prometheus does not need one).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace deepgate::fcgi::metrics {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

}  // namespace deepgate::fcgi::metrics
