// Pre-tokenizers for byte-level BPE vocabularies: split text into words before BPE merging.
//
// Each kind reproduces the regex list llama.cpp applies for a `tokenizer.ggml.pre` value,
// including how llama.cpp runs it: the regexes are applied one after another, each splitting
// every fragment left by the previous one into its matches and the (merged) text between
// them. No regex engine is used: every pattern is a hand-written matcher with the same
// leftmost-first, greedy-with-backtracking result. Where llama.cpp runs a pattern through
// std::regex on "collapsed" text, the character classes follow that (ASCII \p{S} lacks '~';
// \s is ASCII whitespace plus non-ASCII White_Space).
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deepgate {

enum class PreTokenizerKind {
  kDefault,        // "default": llama.cpp's default list
  kGpt2,           // "gpt-2", "gpt2", "mpt", "olmo", "jais", "phi-2" (the gpt-2 regex alone)
  kLlama3,         // "llama3", "llama-v3", "llama-bpe"
  kQwen2,          // "qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"
  kDeepseekLlm,    // "deepseek-llm"
  kDeepseekCoder,  // "deepseek-coder"
  kDeepseekV3,     // "deepseek-v3"
  kStarcoder,      // "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone",
                   // "minerva-7b": every digit alone (\p{N}), then the gpt-2 regex
  kFalcon,         // "falcon": [\p{P}\$\+<=>\^~\|`]+, the gpt-2 regex, [0-9][0-9][0-9]
};

// Maps a tokenizer.ggml.pre value to its kind; nullopt for names we do not implement, which a
// tokenizer refuses at load (splitting differently from the model's training is silent
// damage, not a fallback).
std::optional<PreTokenizerKind> PreTokenizerFromName(std::string_view name);
const char* PreTokenizerName(PreTokenizerKind kind);

struct WordSpan {
  size_t begin;   // code point offset into the text
  size_t length;  // code points, > 0
};

// Splits text (code points) into words, in order, covering the whole text.
std::vector<WordSpan> PreTokenize(PreTokenizerKind kind, std::u32string_view text);
// Convenience for tests: the words as UTF-8 strings.
std::vector<std::string> PreTokenizeToStrings(PreTokenizerKind kind, std::string_view utf8);

}  // namespace deepgate
