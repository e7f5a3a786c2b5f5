// Process facts for /metrics: resident memory (from /proc/self/statm) and the process start
// time (unix seconds, from /proc/self/stat's starttime and the boot time in /proc/stat).
// Thread-safety: pure functions reading /proc.
#pragma once

#include <cstdint>

namespace deepgate::fcgi::metrics {

// Bytes, 0 when /proc is unreadable.
uint64_t ResidentBytes();
// Unix seconds, 0 when unknown.
double ProcessStartTimeSeconds();

}  // namespace deepgate::fcgi::metrics
