// `deepgate bench -m FILE [-p 512] [-n 128] [-t 2] [-r 3] [-b 512] [--json]`: prompt (pp) and
// generation (tg) throughput, measured the way llama-bench measures it so figures compare:
// pp evaluates p random tokens in batches of b from an empty context; tg evaluates n tokens
// one at a time from an empty context; each is repeated r times after one warm-up run and
// reported as mean ± standard deviation of tokens/s. Peak RSS is reported too (the weights
// are mmapped, so it counts the pages of the model actually touched).
// The streams figure runs the serving engine (continuous batching) with N concurrent
// requests, each a short prompt then n generated tokens, and compares the aggregate
// tokens/s with one request alone through the same engine.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/model/model.h"
#include "core/quant/quant.h"
#include "core/threadpool.h"
#include "core/tokenizer/tokenizer.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

constexpr const char* kUsage =
    "usage: deepgate bench -m FILE [-p 512] [-n 128] [-t THREADS] [-r 3] [-b 512] [-s 8] [-k KERNELS] [--no-repack] [--json]\n"
    "  -p N     prompt tokens per pp run (0 skips pp)\n"
    "  -n N     generated tokens per tg run (0 skips tg)\n"
    "  -t N     threads (default: all CPUs)\n"
    "  -r N     repetitions after one warm-up (default 3)\n"
    "  -b N     prompt tokens per forward pass (default 512)\n"
    "  -s N     concurrent streams through the batching engine, n tokens each, against one\n"
    "           stream alone (default 8; 0 skips)\n"
    "  -k SET   kernel set: scalar, avx2, avx2+avxvnni or avx512 (default: the best this CPU runs;\n"
    "           for side-by-side comparisons of the kernels)\n"
    "  --no-repack  keep Q4_0/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K weights in the file's layout (no private\n"
    "           packed copy;\n"
    "           the row kernels run): compares load time, memory and speed with the default\n"
    "  --json   one JSON object on stdout instead of a table";

struct Figure {
  double mean = 0, stddev = 0;
};

Figure Summarise(const std::vector<double>& rates) {
  Figure f;
  if (rates.empty()) return f;
  for (double r : rates) f.mean += r;
  f.mean /= static_cast<double>(rates.size());
  if (rates.size() > 1) {
    double ss = 0;
    for (double r : rates) ss += (r - f.mean) * (r - f.mean);
    f.stddev = std::sqrt(ss / static_cast<double>(rates.size() - 1));
  }
  return f;
}

// Peak and current resident set from /proc/self/status, in MiB (0 when unavailable).
std::pair<double, double> RssMib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  double hwm = 0, rss = 0;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024.0;
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024.0;
  }
  return {hwm, rss};
}

// Evaluates tokens in batches of `batch` from a fresh sequence; returns tokens/s, or a
// negative value on error (printed).
double TimeRun(Model& model, const std::vector<int32_t>& tokens, int32_t batch, int32_t n_ctx) {
  auto state = model.NewSequence(n_ctx);
  if (!state.ok()) {
    std::fprintf(stderr, "deepgate: %s\n", state.status().ToString().c_str());
    return -1;
  }
  std::vector<float> logits(static_cast<size_t>(model.info().n_vocab));
  const auto start = std::chrono::steady_clock::now();
  for (size_t pos = 0; pos < tokens.size(); pos += static_cast<size_t>(batch)) {
    const int32_t n = static_cast<int32_t>(std::min<size_t>(static_cast<size_t>(batch), tokens.size() - pos));
    const bool last = pos + static_cast<size_t>(n) == tokens.size();
    // A decode step always needs its logits; a prefill only for its final batch.
    float* out = (batch == 1 || last) ? logits.data() : nullptr;
    Status s = model.Eval(**state, tokens.data() + pos, n, out, false);
    if (!s.ok()) {
      std::fprintf(stderr, "deepgate: %s\n", s.ToString().c_str());
      return -1;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(tokens.size()) / std::max(seconds, 1e-9);
}

// Concurrent requests through the engine: each a fixed prompt of kStreamPrompt random tokens,
// then n_gen greedy tokens (EOS ignored). Aggregate completion tokens/s from the first submit
// to the last final event, or a negative value on error (printed).
constexpr int32_t kStreamPrompt = 16;

double TimeStreams(Model& model, int32_t n_streams, int32_t n_gen, const std::vector<std::vector<int32_t>>& prompts) {
  EngineOptions options;
  options.max_sequences = n_streams;
  options.queue_capacity = 0;
  options.n_ctx = kStreamPrompt + n_gen + 1;
  options.prefill_chunk = kStreamPrompt * n_streams;
  auto engine = Engine::Create(model, options);
  if (!engine.ok()) {
    std::fprintf(stderr, "deepgate: %s\n", engine.status().ToString().c_str());
    return -1;
  }
  std::vector<std::shared_ptr<EngineStream>> streams;
  const auto start = std::chrono::steady_clock::now();
  for (int32_t i = 0; i < n_streams; ++i) {
    EngineRequest request;
    request.prompt = prompts[static_cast<size_t>(i) % prompts.size()];
    request.max_tokens = n_gen;
    request.sampling.temperature = 0;
    request.sampling.logprobs = false;  // as the API without "logprobs"
    request.ignore_eos = true;
    auto stream = (*engine)->Submit(std::move(request));
    if (!stream.ok()) {
      std::fprintf(stderr, "deepgate: %s\n", stream.status().ToString().c_str());
      return -1;
    }
    streams.push_back(std::move(stream).value());
  }
  int64_t tokens = 0;
  for (auto& stream : streams) {  // events queue up in each stream; the engine never waits on us
    EngineEvent event;
    while (stream->Next(&event, std::chrono::steady_clock::time_point::max())) {
      if (!event.done) continue;
      if (!event.status.ok()) {
        std::fprintf(stderr, "deepgate: %s\n", event.status.ToString().c_str());
        return -1;
      }
      tokens += event.completion_tokens;
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(tokens) / std::max(seconds, 1e-9);
}

// Forces the kernel set named by -k; 0, or the exit code after saying why not.
int ForceKernelSet(const std::string& name) {
  for (auto set : {quant::KernelSet::kScalar, quant::KernelSet::kAvx2, quant::KernelSet::kAvxVnni,
                   quant::KernelSet::kAvx512}) {
    if (name != quant::KernelSetName(set)) continue;
    quant::ForceKernels(set);
    if (quant::ActiveKernels() != set) return Fail("-k " + name + ": this CPU cannot run that kernel set", 2);
    return 0;
  }
  return Fail("-k: expected scalar, avx2, avx2+avxvnni or avx512", 2);
}

struct RunShape {
  int32_t n_prompt, n_gen, reps, batch, n_streams;
};

struct BenchFigures {
  Figure pp, tg, single, multi;  // tokens/s: prompt, generation, one stream, n_streams streams
  bool have_streams = false;
  double load_s = 0;  // Model::Load wall time (mmap, checks, repack)
  bool repacked = true;
};

// The figures as a table, or as one JSON object (--json) for bench/core_bench.sh.
void PrintReport(bool json, const std::string& path, Model& model, const RunShape& run, const BenchFigures& f) {
  const Figure &pp = f.pp, &tg = f.tg, &single = f.single, &multi = f.multi;
  const auto [n_prompt, n_gen, reps, batch, n_streams] = run;
  const ModelInfo& info = model.info();
  const double stream_ratio = single.mean > 0 ? multi.mean / single.mean : 0;
  const auto [rss_peak, rss_now] = RssMib();
  const int threads = model.thread_pool().n_threads();
  const char* kernels = quant::KernelSetName(quant::ActiveKernels());
  const double weights_mb = static_cast<double>(info.weight_bytes) / 1e6;
  const double active_mb = static_cast<double>(info.active_weight_bytes) / 1e6;  // MoE: chosen experts only

  if (json) {
    std::printf(
        "{\"model\":\"%s\",\"arch\":\"%s\",\"types\":\"%s\",\"weights_mb\":%.1f,\"params\":%lld,"
        "\"threads\":%d,\"kernels\":\"%s\",\"reps\":%d,"
        "\"pp\":{\"n_tokens\":%d,\"batch\":%d,\"tokens_per_s\":%.2f,\"stddev\":%.2f},"
        "\"tg\":{\"n_tokens\":%d,\"tokens_per_s\":%.2f,\"stddev\":%.2f,\"weight_gb_per_s\":%.2f},"
        "\"streams\":{\"n\":%d,\"n_tokens\":%d,\"tokens_per_s\":%.2f,\"stddev\":%.2f,"
        "\"single_tokens_per_s\":%.2f,\"single_stddev\":%.2f,\"ratio\":%.3f},"
        "\"rss_peak_mib\":%.1f,\"rss_mib\":%.1f,\"load_s\":%.3f,\"repack\":%s}\n",
        path.c_str(), info.arch.c_str(), info.type_summary.c_str(), weights_mb,
        static_cast<long long>(info.n_params), threads, kernels, reps, n_prompt, batch, pp.mean,
        pp.stddev, n_gen, tg.mean, tg.stddev, tg.mean * active_mb / 1000.0, n_streams, n_gen, multi.mean,
        multi.stddev, single.mean, single.stddev, stream_ratio, rss_peak, rss_now, f.load_s,
        f.repacked ? "true" : "false");
    return;
  }
  std::printf("model    %s (%s, %.1f MB weights, %lld params)\n", path.c_str(), info.arch.c_str(), weights_mb,
              static_cast<long long>(info.n_params));
  std::printf("types    %s\n", info.type_summary.c_str());
  std::printf("threads  %d (%s kernels), %d reps after a warm-up\n", threads, kernels, reps);
  std::printf("load     %.2f s (repack %s)\n", f.load_s, f.repacked ? "on" : "off");
  if (n_prompt > 0) std::printf("pp%-6d %10.2f ± %.2f tokens/s (batch %d)\n", n_prompt, pp.mean, pp.stddev, batch);
  if (n_gen > 0) {
    std::printf("tg%-6d %10.2f ± %.2f tokens/s (%.2f GB/s of the weights a token reads)\n", n_gen, tg.mean, tg.stddev,
                tg.mean * active_mb / 1000.0);
  }
  if (f.have_streams) {
    std::printf("streams  %d x tg%d %10.2f ± %.2f tokens/s, one stream %.2f ± %.2f: %.2fx\n", n_streams, n_gen,
                multi.mean, multi.stddev, single.mean, single.stddev, stream_ratio);
  }
  std::printf("rss      %.1f MiB peak, %.1f MiB now\n", rss_peak, rss_now);
}

int RunBench(const std::vector<std::string>& argv) {
  Args args(argv, {"-m", "--model", "-p", "-n", "-t", "-r", "-b", "-s", "-k"}, {"--json", "--no-repack"});
  auto path = args.Get("-m");
  if (!path) path = args.Get("--model");
  const int32_t n_prompt = static_cast<int32_t>(args.GetInt("-p", 512, 0, 1 << 16));
  const int32_t n_gen = static_cast<int32_t>(args.GetInt("-n", 128, 0, 1 << 16));
  const int32_t reps = static_cast<int32_t>(args.GetInt("-r", 3, 1, 100));
  const int32_t batch = static_cast<int32_t>(args.GetInt("-b", 512, 1, 1 << 16));
  const int32_t n_streams = static_cast<int32_t>(args.GetInt("-s", 8, 0, 256));
  ModelOptions options;
  options.n_threads = static_cast<int>(args.GetInt("-t", 0, 0, 1024));
  options.repack_weights = !args.Has("--no-repack");
  if (!args.ok()) return Fail(args.error(), 2);
  if (!path || !args.positional().empty()) return Fail(kUsage, 2);
  if (const auto kernels = args.Get("-k"))
    if (const int code = ForceKernelSet(*kernels); code != 0) return code;

  const auto load_start = std::chrono::steady_clock::now();
  auto loaded = Model::Load(*path, options);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
  if (!loaded.ok()) return Fail(*path + ": " + loaded.status().ToString());
  Model& model = **loaded;
  const ModelInfo& info = model.info();
  const int32_t n_ctx = std::max(n_prompt, n_gen) + 1;
  if (n_ctx > info.n_ctx_train) return Fail("-p/-n exceed the model's context length", 2);

  // Random non-special tokens, fixed seed, so every run and every engine sees the same work.
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> pick(0, info.n_vocab - 1);
  auto random_tokens = [&](int32_t n) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& id : t) id = pick(rng);
    return t;
  };

  std::vector<double> pp_rates, tg_rates;
  if (n_prompt > 0) {
    const std::vector<int32_t> tokens = random_tokens(n_prompt);
    for (int32_t r = 0; r <= reps; ++r) {
      const double rate = TimeRun(model, tokens, batch, n_ctx);
      if (rate < 0) return 1;
      if (r > 0) pp_rates.push_back(rate);  // run 0 warms caches and page-ins
    }
  }
  if (n_gen > 0) {
    const std::vector<int32_t> tokens = random_tokens(n_gen);
    for (int32_t r = 0; r <= reps; ++r) {
      const double rate = TimeRun(model, tokens, 1, n_ctx);
      if (rate < 0) return 1;
      if (r > 0) tg_rates.push_back(rate);
    }
  }
  std::vector<double> single_rates, multi_rates;
  if (n_streams > 0 && n_gen > 0) {
    if (kStreamPrompt + n_gen + 1 > info.n_ctx_train) return Fail("-n exceeds the model's context length", 2);
    std::vector<std::vector<int32_t>> prompts;
    for (int32_t i = 0; i < n_streams; ++i) prompts.push_back(random_tokens(kStreamPrompt));
    for (int32_t r = 0; r <= reps; ++r) {
      const double one = TimeStreams(model, 1, n_gen, prompts);
      const double many = n_streams > 1 ? TimeStreams(model, n_streams, n_gen, prompts) : one;
      if (one < 0 || many < 0) return 1;
      if (r > 0) {  // alternated, so drifting load hits both alike
        single_rates.push_back(one);
        multi_rates.push_back(many);
      }
    }
  }
  const BenchFigures figures{Summarise(pp_rates), Summarise(tg_rates), Summarise(single_rates),
                             Summarise(multi_rates), !multi_rates.empty(), load_s, options.repack_weights};
  PrintReport(args.Has("--json"), *path, model, {n_prompt, n_gen, reps, batch, n_streams}, figures);
  return 0;
}

const CommandRegistration kRegistration({"bench", "measure prompt and generation tokens/s", kUsage, RunBench});

}  // namespace
}  // namespace deepgate::cli
