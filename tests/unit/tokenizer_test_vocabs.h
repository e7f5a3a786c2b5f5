// Hand-made vocabularies for the tokenizer unit tests.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate::testing {

// A tiny byte-level BPE vocabulary: all 256 byte characters (ids 0..255), then the given
// extra tokens and merges. Special tokens are appended with their GGUF token types.
inline VocabSpec TinyBpeVocab(const std::vector<std::string>& extra_tokens,
                              const std::vector<std::string>& merges, const std::string& pre = "gpt-2") {
  VocabSpec spec;
  spec.model = "gpt2";
  spec.pre = pre;
  for (int b = 0; b < 256; ++b) spec.tokens.push_back(BpeModel::ByteToUnicode(static_cast<uint8_t>(b)));
  for (const auto& t : extra_tokens) spec.tokens.push_back(t);
  spec.token_types.assign(spec.tokens.size(), 1);
  spec.merges = merges;
  return spec;
}

// A tiny SentencePiece vocabulary: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the
// given pieces with their scores.
inline VocabSpec TinySpmVocab(const std::vector<std::pair<std::string, float>>& pieces) {
  VocabSpec spec;
  spec.model = "llama";
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.scores = {0, 0, 0};
  spec.token_types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    spec.tokens.push_back(hex);
    spec.scores.push_back(0);
    spec.token_types.push_back(6);
  }
  for (const auto& [text, score] : pieces) {
    spec.tokens.push_back(text);
    spec.scores.push_back(score);
    spec.token_types.push_back(1);
  }
  return spec;
}

}  // namespace deepgate::testing
