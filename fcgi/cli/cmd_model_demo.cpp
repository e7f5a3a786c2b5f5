// `deepgate model demo --out FILE [...]`: writes a random-weight demo model (see
// core/demo/demo_model.h) and prints its path, size and parameter count.
#include <cstdio>
#include <string>

#include "core/demo/demo_deepseek2.h"
#include "core/demo/demo_model.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

constexpr const char* kUsage =
    "usage: deepgate model demo --out FILE [--arch llama|qwen2|deepseek2] [--shape tiny|qwen2-0.5b|v2-lite]\n"
    "                           [--type f32|f16|bf16|q8_0|q4_0|q4_k_m|q5_k_m|q6_k] [--seed N] [-t THREADS]\n"
    "  Writes a GGUF model with the layout of a real llama/qwen2 model, random weights and a\n"
    "  small built-in BPE vocabulary and chat template. Same options and seed, same bytes.\n"
    "  defaults: --arch qwen2 --shape tiny --type q8_0 --seed 42, all CPUs";

int RunModelDemo(const std::vector<std::string>& argv) {
  Args args(argv, {"--out", "-o", "--arch", "--shape", "--type", "--seed", "-t", "--threads"}, {});
  if (!args.ok()) return Fail(args.error() + "\n" + kUsage, 2);
  auto out = args.Get("--out");
  if (!out) out = args.Get("-o");
  if (!out || out->empty() || !args.positional().empty()) return Fail(std::string("--out is required\n") + kUsage, 2);

  demo::DemoSpec spec;
  spec.arch = args.GetOr("--arch", spec.arch);
  spec.shape = args.GetOr("--shape", spec.shape);
  spec.type = args.GetOr("--type", spec.type);
  spec.seed = static_cast<uint64_t>(args.GetInt("--seed", 42, 0, (1LL << 62)));
  spec.n_threads = static_cast<int>(args.GetInt(args.Has("-t") ? "-t" : "--threads", 0, 0, 1024));
  if (!args.ok()) return Fail(args.error(), 2);
  // deepseek2 (MLA + MoE, shapes tiny and v2-lite) has its own writer.
  const bool ds2 = spec.arch == "deepseek2";
  if (Status s = ds2 ? demo::ValidateDeepseek2DemoSpec(spec) : demo::ValidateDemoSpec(spec); !s.ok()) {
    return Fail(s.message(), 2);
  }

  demo::DemoModelStats stats;
  const Status written = ds2 ? demo::WriteDeepseek2DemoModel(spec, *out, &stats) : demo::WriteDemoModel(spec, *out, &stats);
  if (!written.ok()) return Fail(*out + ": " + written.ToString());
  std::printf("wrote %s\n", out->c_str());
  std::printf("  arch %s, shape %s, type %s, seed %llu\n", spec.arch.c_str(), spec.shape.c_str(), spec.type.c_str(),
              static_cast<unsigned long long>(spec.seed));
  std::printf("  size %llu bytes (%.1f MiB), %lld parameters (%.1f M), %d tensors, vocab %d\n",
              static_cast<unsigned long long>(stats.file_bytes), static_cast<double>(stats.file_bytes) / (1 << 20),
              static_cast<long long>(stats.n_params), static_cast<double>(stats.n_params) / 1e6, stats.n_tensors,
              stats.n_vocab);
  std::printf("  %.2f s\n", stats.seconds);
  return 0;
}

const CommandRegistration kRegistration({
    "model demo",
    "write a random-weight demo model (GGUF)",
    kUsage,
    RunModelDemo,
});

}  // namespace
}  // namespace deepgate::cli
