// The kernel micro-benches' clock: this thread's CPU time, so a shared machine perturbs the
// best-of-N figures less than wall-clock time would.
#pragma once

#include <time.h>

namespace deepgate::bench {

inline double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace deepgate::bench
