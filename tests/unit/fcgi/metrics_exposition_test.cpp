// The /metrics rendering, scraped and parsed back as Prometheus would: every sample line is
// `name{labels} value`, each family has HELP and TYPE exactly once before its samples,
// histogram buckets are cumulative and end in +Inf == _count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "fcgi/api/metrics_route.h"
#include "fcgi/auth/auth_failure.h"
#include "fcgi/metrics/exposition.h"
#include "fcgi/metrics/worker_metrics.h"
#include "fcgi/policy/clock.h"

namespace deepgate::fcgi::metrics {
namespace {

struct ParsedSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Scrape {
  std::map<std::string, std::string> type;  // family → type
  std::map<std::string, int> help_count, type_count;
  std::vector<ParsedSample> samples;
  std::vector<std::string> errors;
};

// Label values: "…" with \\, \" and \n escapes.
bool ParseLabels(const std::string& text, std::map<std::string, std::string>* out) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t eq = text.find('=', i);
    if (eq == std::string::npos || eq + 1 >= text.size() || text[eq + 1] != '"') return false;
    const std::string name = text.substr(i, eq - i);
    if (!std::regex_match(name, std::regex("[a-zA-Z_][a-zA-Z0-9_]*"))) return false;
    std::string value;
    size_t j = eq + 2;
    for (; j < text.size() && text[j] != '"'; ++j) {
      if (text[j] == '\\') {
        if (++j >= text.size()) return false;
        const char c = text[j];
        if (c == 'n') value += '\n';
        else if (c == '\\' || c == '"') value += c;
        else return false;
      } else {
        value += text[j];
      }
    }
    if (j >= text.size()) return false;
    if (out->count(name)) return false;
    (*out)[name] = value;
    i = j + 1;
    if (i < text.size()) {
      if (text[i] != ',') return false;
      ++i;
    }
  }
  return true;
}

// The family a sample belongs to: histograms own name_bucket/_sum/_count.
std::string FamilyOf(const Scrape& s, const std::string& name) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx = suffix;
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      const std::string base = name.substr(0, name.size() - sfx.size());
      auto it = s.type.find(base);
      if (it != s.type.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

Scrape Parse(const std::string& text) {
  Scrape s;
  std::istringstream in(text);
  std::string line;
  std::set<std::string> finished;  // families whose samples are over
  std::string current;
  const std::regex sample_re(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+))");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, rest;
      words >> name >> rest;
      if (line[2] == 'H') ++s.help_count[name];
      else {
        ++s.type_count[name];
        s.type[name] = rest;
        if (rest != "counter" && rest != "gauge" && rest != "histogram") s.errors.push_back("bad type: " + line);
      }
      if (name != current) {
        if (!current.empty()) finished.insert(current);
        if (finished.count(name)) s.errors.push_back("family reopened: " + name);
        current = name;
      }
      continue;
    }
    if (line[0] == '#') continue;
    std::smatch m;
    if (!std::regex_match(line, m, sample_re)) {
      s.errors.push_back("not a sample line: " + line);
      continue;
    }
    ParsedSample p;
    p.name = m[1];
    if (m[3].matched && !ParseLabels(m[3], &p.labels)) s.errors.push_back("bad labels: " + line);
    const std::string v = m[4];
    if (v == "+Inf") p.value = INFINITY;
    else {
      char* end = nullptr;
      p.value = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0') s.errors.push_back("bad value: " + line);
    }
    const std::string family = FamilyOf(s, p.name);
    if (family != current) s.errors.push_back("sample outside its family's block (or no HELP/TYPE): " + line);
    s.samples.push_back(std::move(p));
  }
  for (const auto& [name, n] : s.type_count)
    if (n != 1 || s.help_count[name] != 1) s.errors.push_back("HELP/TYPE not exactly once: " + name);
  return s;
}

// Histogram checks: for each label set (minus le) buckets ascend in le and count, the last is
// +Inf and equals _count.
void ExpectHistogramsConsistent(const Scrape& s) {
  for (const auto& [family, type] : s.type) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    for (const ParsedSample& p : s.samples) {
      if (p.name == family + "_bucket") {
        auto labels = p.labels;
        ASSERT_TRUE(labels.count("le")) << family;
        const std::string le = labels["le"];
        labels.erase("le");
        buckets[labels].push_back({le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr), p.value});
      } else if (p.name == family + "_count") {
        counts[p.labels] = p.value;
      }
    }
    for (const auto& [labels, b] : buckets) {
      ASSERT_FALSE(b.empty());
      for (size_t i = 1; i < b.size(); ++i) {
        EXPECT_LT(b[i - 1].first, b[i].first) << family;
        EXPECT_LE(b[i - 1].second, b[i].second) << family << " buckets must be cumulative";
      }
      EXPECT_TRUE(std::isinf(b.back().first)) << family << " must end in le=\"+Inf\"";
      ASSERT_TRUE(counts.count(labels)) << family << " has no _count";
      EXPECT_EQ(counts.at(labels), b.back().second) << family << ": _count != +Inf bucket";
    }
  }
}

double Value(const Scrape& s, const std::string& name, const std::map<std::string, std::string>& labels = {}) {
  for (const ParsedSample& p : s.samples)
    if (p.name == name && p.labels == labels) return p.value;
  return -1;
}

AuditRecord Request(const std::string& route, int status, int ms = 12) {
  AuditRecord r;
  r.route = route;
  r.status = status;
  r.duration = std::chrono::milliseconds(ms);
  return r;
}

TEST(MetricsExposition, EscapesLabelValues) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  ExpositionWriter w;
  w.Family("x_total", "counter", "help with \\ and\nnewline");
  w.Sample("x_total", {{"k", "v\"1"}}, 3);
  EXPECT_EQ(w.text(), "# HELP x_total help with \\\\ and\\nnewline\n# TYPE x_total counter\nx_total{k=\"v\\\"1\"} 3\n");
}

TEST(MetricsExposition, FormatsValuesAsPrometheusReadsThem) {
  EXPECT_EQ(FormatValue(3), "3");
  EXPECT_EQ(FormatValue(0.005), "0.005");
  EXPECT_EQ(FormatValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatValue(NAN), "NaN");
}

TEST(MetricsExposition, HistogramBucketsAreCumulativeWithInfEqualToCount) {
  Histogram h({0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  ExpositionWriter w;
  w.Family("d_seconds", "histogram", "d");
  w.HistogramSamples("d_seconds", {{"route", "r"}}, h.Snapshot());
  EXPECT_EQ(w.text(),
            "# HELP d_seconds d\n# TYPE d_seconds histogram\n"
            "d_seconds_bucket{route=\"r\",le=\"0.1\"} 1\nd_seconds_bucket{route=\"r\",le=\"1\"} 2\n"
            "d_seconds_bucket{route=\"r\",le=\"+Inf\"} 3\nd_seconds_sum{route=\"r\"} 5.55\nd_seconds_count{route=\"r\"} 3\n");
}

TEST(MetricsExposition, FullScrapeParsesAndCountsRequests) {
  WorkerMetrics m;
  m.ObserveRequest(Request("chat.completions", 200));
  AuditRecord usage = Request("chat.completions", 200, 1500);
  usage.prompt_tokens = 7;
  usage.completion_tokens = 9;
  m.ObserveRequest(usage);
  AuditRecord bad = Request("models.list", 401);
  bad.event = AuditEvent::kAuthFailure;
  bad.reason = "key_unknown";
  m.ObserveRequest(bad);
  AuditRecord limited = Request("chat.completions", 429);
  limited.event = AuditEvent::kRateLimited;
  m.ObserveRequest(limited);
  m.ObserveRequest(Request("", 404));  // unrouted
  AuditRecord key_event;               // not a request: not counted
  key_event.event = AuditEvent::kKeyCreated;
  m.ObserveRequest(key_event);
  m.FirstToken(0.2);
  m.InterToken(0.01);
  m.InterToken(0.02);

  policy::ManualClock clock;
  cache::ResponseCache cache({}, clock);
  (void)cache.Lookup("nothing");
  const Scrape s = Parse(RenderMetrics({&m, nullptr, nullptr, &cache}));
  for (const std::string& e : s.errors) ADD_FAILURE() << e;
  ExpectHistogramsConsistent(s);

  EXPECT_EQ(Value(s, "deepgate_requests_total", {{"route", "chat.completions"}, {"status", "200"}}), 2);
  EXPECT_EQ(Value(s, "deepgate_requests_total", {{"route", "unrouted"}, {"status", "404"}}), 1);
  EXPECT_EQ(Value(s, "deepgate_request_duration_seconds_count", {{"route", "chat.completions"}}), 3);
  EXPECT_EQ(Value(s, "deepgate_request_duration_seconds_bucket", {{"route", "chat.completions"}, {"le", "1"}}), 2);
  EXPECT_EQ(Value(s, "deepgate_prompt_tokens_total"), 7);
  EXPECT_EQ(Value(s, "deepgate_completion_tokens_total"), 9);
  EXPECT_EQ(Value(s, "deepgate_auth_failures_total", {{"reason", "key_unknown"}}), 1);
  EXPECT_EQ(Value(s, "deepgate_rate_limited_total"), 1);
  EXPECT_EQ(Value(s, "deepgate_time_to_first_token_seconds_count"), 1);
  EXPECT_EQ(Value(s, "deepgate_inter_token_latency_seconds_count"), 2);
  EXPECT_EQ(Value(s, "deepgate_cache_misses_total"), 1);
  EXPECT_EQ(Value(s, "deepgate_engine_queue_depth"), 0);
  EXPECT_GT(Value(s, "process_resident_memory_bytes"), 0);
  EXPECT_GT(Value(s, "process_start_time_seconds"), 1.5e9);
}

TEST(MetricsExposition, EveryAuthFailureReasonStartsAtZero) {
  WorkerMetrics m;
  const Scrape s = Parse(RenderMetrics({&m, nullptr, nullptr, nullptr}));
  for (int f = 1; f <= static_cast<int>(auth::kLastAuthFailure); ++f) {
    const char* reason = auth::AuthFailureName(static_cast<auth::AuthFailure>(f));
    EXPECT_EQ(Value(s, "deepgate_auth_failures_total", {{"reason", reason}}), 0) << reason;
  }
}

TEST(MetricsExposition, CountsFromManyThreadsAddUp) {
  WorkerMetrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.ObserveRequest(Request(i % 2 ? "completions" : "chat.completions", 200));
    });
  for (auto& t : threads) t.join();
  const Scrape s = Parse(RenderMetrics({&m, nullptr, nullptr, nullptr}));
  EXPECT_EQ(Value(s, "deepgate_requests_total", {{"route", "completions"}, {"status", "200"}}), 4000);
  EXPECT_EQ(Value(s, "deepgate_request_duration_seconds_count", {{"route", "chat.completions"}}), 4000);
}

}  // namespace
}  // namespace deepgate::fcgi::metrics
