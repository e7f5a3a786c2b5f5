// Family<T>: one metric's series by label values ({route="…", status="…"} → Counter).
// A series is created on first use under a writer lock; every later use takes the reader
// lock only to find it, then updates the series' own atomics. Series are never removed, so
// the pointer Get returns stays valid for the family's lifetime. The label sets seen here are
// closed vocabularies (route names, status codes, auth failure names), so the map stays small.
// Thread-safety: Get and ForEach from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

namespace deepgate::fcgi::metrics {

using LabelValues = std::vector<std::string>;

template <typename T>
class Family {
 public:
  // `make` builds a new series (histograms need their bounds).
  explicit Family(std::vector<std::string> label_names, std::function<std::unique_ptr<T>()> make = [] {
    return std::make_unique<T>();
  })
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  T& Get(const LabelValues& values) {
    {
      std::shared_lock lock(mu_);
      auto it = series_.find(values);
      if (it != series_.end()) return *it->second;
    }
    std::unique_lock lock(mu_);
    auto& slot = series_[values];
    if (!slot) slot = make_();
    return *slot;
  }

  // Visits every series in label order (a stable exposition order).
  void ForEach(const std::function<void(const LabelValues&, const T&)>& visit) const {
    std::shared_lock lock(mu_);
    for (const auto& [values, series] : series_) visit(values, *series);
  }

  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mu_;
  std::map<LabelValues, std::unique_ptr<T>> series_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::metrics
