// SentencePiece (BPE-by-score) encoder as llama.cpp runs it for `tokenizer.ggml.model` "llama".
//
// The text arrives with spaces already escaped to U+2581 ("▁"). It starts as one symbol per
// UTF-8 character; the adjacent pair whose concatenation is a token with the highest score
// (leftmost on ties) is merged until no pair forms a token. A final symbol that is not a token
// falls back to its bytes as <0xNN> tokens (or the unknown token when those are missing).
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/token_index.h"

namespace deepgate {

class SpmModel {
 public:
  // token_to_id must outlive the model; scores is [n_vocab] (empty: all 0).
  SpmModel(const TokenIndex* token_to_id, std::vector<float> scores,
           int32_t unk);
  void Encode(std::string_view escaped_text, std::vector<int32_t>* out) const;
  int32_t byte_token(uint8_t b) const { return byte_token_[b]; }

 private:
  float Score(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < scores_.size() ? scores_[id] : 0.0f;
  }
  const TokenIndex* token_to_id_;
  std::vector<float> scores_;  // [n_vocab]
  int32_t unk_;
  int32_t byte_token_[256];    // <0xNN> (or the raw single byte) token, -1 if neither
};

}  // namespace deepgate
