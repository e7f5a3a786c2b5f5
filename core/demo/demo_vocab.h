// DemoVocab: a small byte-level BPE vocabulary the demo-model generator builds itself, so a
// demo GGUF carries a working tokenizer and chat template without any downloaded data.
//
// Layout (ids): 0..255 the byte tokens (GPT-2 byte->unicode characters, id = byte value),
// then the merges learned from DemoCorpus() in rank order, then the special tokens, then —
// when a padded size is asked for — distinct UNUSED placeholders up to that size, so the
// output matrix can have a real model's row count. Learning is deterministic: pair counts
// are exact and ties go to the lowest (left id, right id).
//
// Per architecture (the family the demo stands in for):
//   qwen2  pre "qwen2", ChatML specials <|endoftext|> (BOS/pad) <|im_start|> <|im_end|> (EOS),
//          no BOS added, ChatML template (Qwen2.5 style).
//   llama  pre "deepseek-llm", DeepSeek-R1 specials <｜begin▁of▁sentence｜> (BOS, added),
//          <｜end▁of▁sentence｜> (EOS), <｜User｜>, <｜Assistant｜> (control) and <think>,
//          </think> (user-defined), DeepSeek-R1 template.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace deepgate {
class GgufWriter;
}

namespace deepgate::demo {

// GGUF tokenizer.ggml.token_type values.
enum DemoTokenType : int32_t { kTokenNormal = 1, kTokenControl = 3, kTokenUserDefined = 4, kTokenUnused = 5 };

struct DemoVocab {
  std::string pre;                   // tokenizer.ggml.pre
  std::vector<std::string> tokens;   // [n_vocab] byte-level texts
  std::vector<int32_t> token_types;  // [n_vocab]
  std::vector<std::string> merges;   // "left right", rank order
  int32_t bos = -1, eos = -1, pad = -1;
  bool add_bos = false;
  std::string chat_template;         // Jinja text DetectChatTemplate recognises
  int32_t n_learned = 0;             // 256 byte tokens + learned merge results

  int32_t n_vocab() const { return static_cast<int32_t>(tokens.size()); }
};

struct DemoVocabOptions {
  std::string arch = "qwen2";  // "qwen2" or "llama"
  int32_t max_merges = 400;    // learning stops earlier when no pair occurs twice
  int32_t padded_size = 0;     // 0: no padding; otherwise the exact vocabulary size
};

// InvalidArgument for an unknown arch or a padded_size smaller than the natural size.
Result<DemoVocab> BuildDemoVocab(const DemoVocabOptions& options);

// Writes the tokenizer.* keys (model "gpt2", pre, tokens, token_type, merges, BOS/EOS/pad
// ids, add_bos_token, add_eos_token, chat_template).
Status AddDemoVocabMetadata(const DemoVocab& vocab, GgufWriter* writer);

}  // namespace deepgate::demo
