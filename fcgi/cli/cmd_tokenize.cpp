// `deepgate tokenize -m FILE [--no-special]`: prints the token ids of stdin on one line.
//
// stdin must be valid UTF-8: invalid input is rejected (exit 1) rather than silently
// replaced, so a caller comparing ids never tokenizes something other than what it sent.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "core/gguf.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"
#include "fcgi/cli/command.h"

namespace deepgate::cli {
namespace {

int RunTokenize(const std::vector<std::string>& argv) {
  Args args(argv, {"-m", "--model"}, {"--no-special"});
  if (!args.ok()) return Fail(args.error(), 2);
  auto path = args.Get("-m");
  if (!path) path = args.Get("--model");
  if (!path || !args.positional().empty()) return Fail("usage: deepgate tokenize -m FILE [--no-special] < text", 2);
  const bool special = !args.Has("--no-special");

  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (!IsValidUtf8(text)) return Fail("stdin is not valid UTF-8");

  auto file = GgufFile::Open(*path);
  if (!file.ok()) return Fail(*path + ": " + file.status().ToString());
  auto tokenizer = Tokenizer::FromGguf(*file);
  if (!tokenizer.ok()) return Fail(*path + ": " + tokenizer.status().ToString());

  const std::vector<int32_t> ids = (*tokenizer)->Encode(text, special, special);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line.push_back(' ');
    line += std::to_string(ids[i]);
  }
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
  return 0;
}

const CommandRegistration kRegistration({
    "tokenize",
    "print the token ids of stdin",
    "usage: deepgate tokenize -m FILE [--no-special]\n"
    "  Reads all of stdin (UTF-8; invalid UTF-8 is an error, exit 1) and prints its token ids\n"
    "  separated by single spaces on one line.\n"
    "  default       add BOS/EOS as the vocabulary asks and parse special-token texts\n"
    "  --no-special  add nothing and treat control-token texts as plain text",
    RunTokenize,
});

}  // namespace
}  // namespace deepgate::cli
