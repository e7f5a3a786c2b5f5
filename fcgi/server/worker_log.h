// The worker's own log lines on stderr ("deepgate-fcgi: ..."); journald captures stderr
// under systemd. Never a secret. Thread-safety: one fprintf per line.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace deepgate::fcgi {

inline void WorkerLog(const std::string& line) { std::fprintf(stderr, "deepgate-fcgi: %s\n", line.c_str()); }

// "a, b, c": key lists in log lines.
inline std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace deepgate::fcgi
