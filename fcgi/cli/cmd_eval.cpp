// `deepgate eval -m FILE --tokens "ID ID ..." --logits-out OUT [-t N]`: evaluates the ids as
// one batch in a fresh sequence and writes the logits of every position, float32 little-endian
// [n_tokens][n_vocab]. Used by the reference-logit tests against llama.cpp.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

constexpr const char* kUsage = "usage: deepgate eval -m FILE --tokens \"ID ID ...\" --logits-out OUT [-t N]";

// Parses whitespace-separated decimal ids; false on anything else.
bool ParseIds(const std::string& text, std::vector<int32_t>* ids) {
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(word, &used);
    } catch (...) {
      return false;
    }
    if (used != word.size() || v < INT32_MIN || v > INT32_MAX) return false;
    ids->push_back(static_cast<int32_t>(v));
  }
  return true;
}

int RunEval(const std::vector<std::string>& argv) {
  Args args(argv, {"-m", "--model", "--tokens", "--logits-out", "-t", "--threads"}, {});
  if (!args.ok()) return Fail(args.error() + "\n" + kUsage, 2);
  auto path = args.Get("-m");
  if (!path) path = args.Get("--model");
  const auto tokens_text = args.Get("--tokens");
  const auto out_path = args.Get("--logits-out");
  if (!path || !tokens_text || !out_path || !args.positional().empty()) return Fail(kUsage, 2);
  const long long threads = args.Has("--threads") ? args.GetInt("--threads", 0, 0, 1024)
                                                  : args.GetInt("-t", 0, 0, 1024);
  if (!args.ok()) return Fail(args.error(), 2);

  std::vector<int32_t> ids;
  if (!ParseIds(*tokens_text, &ids)) return Fail("--tokens must be whitespace-separated integer ids");
  if (ids.empty()) return Fail("--tokens is empty");

  ModelOptions options;
  options.n_threads = static_cast<int>(threads);
  auto model = Model::Load(*path, options);
  if (!model.ok()) return Fail(*path + ": " + model.status().ToString());
  const int32_t n_ctx = std::max<int32_t>(static_cast<int32_t>(ids.size()), 1);
  if (n_ctx > (*model)->info().n_ctx_train) {
    return Fail(std::to_string(ids.size()) + " tokens exceed the model's context length " +
                std::to_string((*model)->info().n_ctx_train));
  }
  auto seq = (*model)->NewSequence(n_ctx);
  if (!seq.ok()) return Fail(seq.status().ToString());

  const size_t n_vocab = static_cast<size_t>((*model)->info().n_vocab);
  std::vector<float> logits(ids.size() * n_vocab);
  const Status st = (*model)->Eval(**seq, ids.data(), static_cast<int32_t>(ids.size()), logits.data(), true);
  if (!st.ok()) return Fail(st.ToString());

  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(out_path->c_str(), "wb"), &std::fclose);
  if (!out) return Fail("cannot open " + *out_path + " for writing");
  // x86-64 and aarch64 hosts are little-endian, so the floats are written as they are.
  if (std::fwrite(logits.data(), sizeof(float), logits.size(), out.get()) != logits.size() ||
      std::fflush(out.get()) != 0) {
    return Fail("write to " + *out_path + " failed");
  }
  return 0;
}

const CommandRegistration kRegistration({
    "eval",
    "evaluate token ids and write their logits",
    std::string(kUsage) +
        "\n"
        "  Evaluates the ids as one batch from position 0 and writes float32 little-endian\n"
        "  logits [n_tokens][n_vocab] to OUT. -t: threads (default: all CPUs).",
    RunEval,
});

}  // namespace
}  // namespace deepgate::cli
