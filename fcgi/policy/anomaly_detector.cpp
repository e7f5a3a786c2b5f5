#include "fcgi/policy/anomaly_detector.h"

#include <algorithm>
#include <cmath>

namespace deepgate::fcgi::policy {

void AnomalyDetector::Roll(Window& w, int64_t minute) const {
  if (minute <= w.minute) return;
  const size_t keep = static_cast<size_t>(std::max(1, settings_.history_minutes));
  w.history.push_back(w.count);
  // Quiet minutes in between are zeros; more than the window's worth are all the same.
  const int64_t gap = std::min<int64_t>(minute - w.minute - 1, static_cast<int64_t>(keep));
  for (int64_t i = 0; i < gap; ++i) w.history.push_back(0);
  while (w.history.size() > keep) w.history.pop_front();
  w.minute = minute;
  w.count = 0;
  w.alerted = false;
}

std::optional<AnomalyAlert> AnomalyDetector::Observe(const std::string& subject) {
  const int64_t minute =
      std::chrono::duration_cast<std::chrono::minutes>(clock_.Now().time_since_epoch()).count();
  std::lock_guard<std::mutex> lock(mu_);
  if (!settings_.enabled) return std::nullopt;
  if (windows_.size() >= max_subjects_ && !windows_.count(subject)) {
    // Bounded memory: drop subjects not seen for a whole window.
    std::erase_if(windows_, [&](const auto& e) { return minute - e.second.minute > settings_.history_minutes; });
    if (windows_.size() >= max_subjects_) return std::nullopt;
  }
  auto [it, fresh] = windows_.try_emplace(subject);
  Window& w = it->second;
  if (fresh) w.minute = minute;
  Roll(w, minute);
  ++w.count;
  if (w.alerted) return std::nullopt;

  AnomalyAlert a;
  a.count = w.count;
  if (!w.history.empty()) {
    double sum = 0, sq = 0;
    for (int64_t c : w.history) sum += static_cast<double>(c);
    a.mean = sum / static_cast<double>(w.history.size());
    for (int64_t c : w.history) sq += (static_cast<double>(c) - a.mean) * (static_cast<double>(c) - a.mean);
    a.stddev = std::sqrt(sq / static_cast<double>(w.history.size()));
  }
  a.threshold = std::max(a.mean + 3 * a.stddev, static_cast<double>(settings_.floor_per_minute));
  if (static_cast<double>(w.count) <= a.threshold) return std::nullopt;
  w.alerted = true;
  ++alerts_;
  return a;
}

void AnomalyDetector::Configure(AnomalySettings settings) {
  std::lock_guard<std::mutex> lock(mu_);
  settings_ = settings;
}

uint64_t AnomalyDetector::alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return alerts_;
}

}  // namespace deepgate::fcgi::policy
