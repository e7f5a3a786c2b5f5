// `deepgate generate -m FILE -p TEXT [--chat] [-n N] [--temp T] [--seed S] [-t THREADS] ...`:
// generates text on the terminal, streaming it as it is produced.
//
// With --chat the prompt is sent as one user message through the model's chat template; an
// R1-style answer's reasoning goes to stderr (between "<think>" markers) and the answer to
// stdout, so `2>/dev/null` keeps only the answer. Timing figures go to stderr.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/chat_prompt.h"
#include "core/generator.h"
#include "core/model/model.h"
#include "core/reasoning.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

constexpr const char* kUsage =
    "usage: deepgate generate -m FILE -p TEXT [--chat] [-n N] [--temp T] [--seed S] [-t THREADS]\n"
    "                         [--top-k K] [--top-p P] [--min-p P] [--repeat-penalty R]\n"
    "                         [--stop TEXT] [--ctx N] [--ignore-eos] [--no-repack] [--quiet]\n"
    "  -p TEXT       the prompt (UTF-8)\n"
    "  --chat        send TEXT as a user message through the model's chat template\n"
    "  -n N          tokens to generate at most (default 128)\n"
    "  --temp T      temperature, 0 = greedy (default 0.8)\n"
    "  --seed S      sampling seed (default 0; same seed, same output)\n"
    "  -t THREADS    worker threads (default: all CPUs)\n"
    "  --stop TEXT   stop before TEXT (not printed)\n"
    "  --no-repack   keep the weights in the file's layout (no packed copy)\n"
    "  --quiet       no timing line on stderr";

void Write(FILE* out, const std::string& text) {
  if (text.empty()) return;
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

// Routes generated text to stdout, or reasoning to stderr for templates that open a
// <think> block.
class Printer {
 public:
  explicit Printer(bool reasoning) : reasoning_(reasoning), splitter_(reasoning) {}
  void Print(const std::string& text) {
    if (!reasoning_) return Write(stdout, text);
    Emit(splitter_.Push(text));
  }
  void Finish() {
    if (reasoning_) Emit(splitter_.Finish());
    if (in_think_) Write(stderr, "\n</think>\n");
    Write(stdout, "\n");
  }

 private:
  void Emit(const ReasoningSplit& split) {
    if (!split.reasoning.empty()) {
      if (!in_think_) Write(stderr, "<think>\n");
      in_think_ = true;
      Write(stderr, split.reasoning);
    }
    if (!split.content.empty()) {
      if (in_think_) Write(stderr, "\n</think>\n");
      in_think_ = false;
      Write(stdout, split.content);
    }
  }
  bool reasoning_;
  ReasoningStreamSplitter splitter_;
  bool in_think_ = false;
};

int RunGenerate(const std::vector<std::string>& argv) {
  Args args(argv,
            {"-m", "--model", "-p", "--prompt", "-n", "--temp", "--seed", "-t", "--top-k", "--top-p",
             "--min-p", "--repeat-penalty", "--stop", "--ctx"},
            {"--chat", "--ignore-eos", "--quiet", "--no-repack"});
  auto path = args.Get("-m");
  if (!path) path = args.Get("--model");
  auto prompt = args.Get("-p");
  if (!prompt) prompt = args.Get("--prompt");
  GenerateRequest request;
  request.max_tokens = static_cast<int32_t>(args.GetInt("-n", 128, 1, 1 << 20));
  request.sampling.temperature = static_cast<float>(args.GetDouble("--temp", 0.8, 0.0, 2.0));
  request.sampling.seed = static_cast<uint64_t>(args.GetInt("--seed", 0, 0, INT64_MAX));
  request.sampling.top_k = static_cast<int>(args.GetInt("--top-k", 40, 0, 1 << 30));
  request.sampling.top_p = static_cast<float>(args.GetDouble("--top-p", 0.95, 1e-6, 1.0));
  request.sampling.min_p = static_cast<float>(args.GetDouble("--min-p", 0.05, 0.0, 1.0));
  request.sampling.repetition_penalty = static_cast<float>(args.GetDouble("--repeat-penalty", 1.0, 0.01, 10.0));
  request.ignore_eos = args.Has("--ignore-eos");
  if (auto stop = args.Get("--stop")) request.stop.push_back(*stop);
  ModelOptions options;
  options.n_threads = static_cast<int>(args.GetInt("-t", 0, 0, 1024));
  options.repack_weights = !args.Has("--no-repack");
  const int32_t n_ctx = static_cast<int32_t>(args.GetInt("--ctx", 0, 0, 1 << 24));
  if (!args.ok()) return Fail(args.error(), 2);
  if (!path || !prompt || !args.positional().empty()) return Fail(kUsage, 2);
  if (!IsValidUtf8(*prompt)) return Fail("the prompt is not valid UTF-8", 2);

  auto model = Model::Load(*path, options);
  if (!model.ok()) return Fail(*path + ": " + model.status().ToString());
  const Tokenizer& tokenizer = (*model)->tokenizer();

  bool reasoning = false;
  if (args.Has("--chat")) {
    auto kind = ChatTemplateForModel(tokenizer, (*model)->info().chat_template);
    if (!kind.ok()) return Fail(*path + ": " + kind.status().message());
    auto ids = TokenizeChat(tokenizer, *kind, {{"user", *prompt}});
    if (!ids.ok()) return Fail(ids.status().ToString());
    request.prompt = std::move(*ids);
    reasoning = ChatTemplateOpensReasoning(*kind);
  } else {
    request.prompt = tokenizer.Encode(*prompt, /*add_special=*/true, /*parse_special=*/true);
    if (request.prompt.empty()) return Fail("the prompt tokenizes to nothing", 2);
  }

  auto state = (*model)->NewSequence(n_ctx);
  if (!state.ok()) return Fail(state.status().ToString(), 2);
  Printer printer(reasoning);
  auto result = Generate(**model, **state, request, [&](const GenerateStep& step) {
    printer.Print(step.text);
    return true;
  });
  if (!result.ok()) return Fail(result.status().ToString());
  printer.Print(result->tail);
  printer.Finish();
  if (!args.Has("--quiet")) {
    std::fprintf(stderr, "[%d prompt tokens %.1f t/s, %d generated %.1f t/s, finish: %s]\n",
                 result->prompt_tokens, result->prompt_tokens / std::max(result->prefill_seconds, 1e-9),
                 result->completion_tokens,
                 result->completion_tokens / std::max(result->decode_seconds, 1e-9),
                 FinishReasonName(result->finish));
  }
  return 0;
}

const CommandRegistration kRegistration({"generate", "generate text from a prompt", kUsage, RunGenerate});

}  // namespace
}  // namespace deepgate::cli
