// ExpositionWriter: Prometheus text exposition format 0.0.4. Each family is introduced once
// with `# HELP` and `# TYPE`, then its samples; label values are escaped (\\, \", \n) and help
// text too (\\, \n). Histograms are written as cumulative `_bucket{le="…"}` lines ending in
// le="+Inf", then `_sum` and `_count`.
// Thread-safety: one writer per scrape.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fcgi/metrics/histogram.h"

namespace deepgate::fcgi::metrics {

inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

using Labels = std::vector<std::pair<std::string, std::string>>;

std::string EscapeLabelValue(std::string_view value);
std::string FormatValue(double value);  // integers without a fraction, +Inf/-Inf/NaN spelt as Prometheus does

class ExpositionWriter {
 public:
  // type: "counter", "gauge" or "histogram".
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, const Labels& labels, double value);
  void HistogramSamples(std::string_view name, const Labels& labels, const HistogramSnapshot& h);

  const std::string& text() const { return out_; }

 private:
  void LabelSet(const Labels& labels, const std::pair<std::string, std::string>* extra);
  std::string out_;
};

}  // namespace deepgate::fcgi::metrics
