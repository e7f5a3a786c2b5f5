// Tokenizer: text <-> token ids for the vocabularies stored in GGUF metadata.
//
// Two models, chosen by `tokenizer.ggml.model`:
//   "gpt2"  byte-level BPE: pre-tokenizer by `tokenizer.ggml.pre` (pre_tokenizer.h), then
//           merges in rank order (`tokenizer.ggml.merges`), see bpe_model.h.
//   "llama" SentencePiece: bigram merging by score with <0xNN> byte fallback, see spm_model.h.
// Behaviour follows llama.cpp's tokenizer, which produced the reference vectors we test with.
// Special tokens: CONTROL and UNKNOWN token texts are recognised in the input only when
// parse_special is set; USER_DEFINED (added) tokens are always recognised, as llama.cpp and
// Hugging Face do. Invalid UTF-8 input is not an error: each bad byte becomes U+FFFD.
// Thread-safety: immutable after construction; Encode/TokenToPiece may run on many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tokenizer/pre_tokenizer.h"
#include "core/tokenizer/string_table.h"
#include "core/tokenizer/token_index.h"

namespace deepgate {

class GgufFile;
class BpeModel;
class SpmModel;

// From tokenizer.ggml.token_type (GGUF values: 1 normal, 2 unknown, 3 control,
// 4 user-defined, 5 unused, 6 byte; 0 and anything else read as normal).
enum class TokenAttr { kNormal, kControl, kUserDefined, kUnknown, kByte, kUnused };

// The tokenizer.* metadata, decoded. FromGguf fills it from a file; tests build it by hand.
struct VocabSpec {
  std::string model;                 // "gpt2" or "llama"
  std::string pre;                   // tokenizer.ggml.pre ("" when absent)
  std::vector<std::string> tokens;   // [n_vocab]
  std::vector<float> scores;         // [n_vocab] or empty
  std::vector<int64_t> token_types;  // [n_vocab] GGUF token_type values, or empty
  std::vector<std::string> merges;   // "left right", rank order (gpt2 only)
  std::optional<int64_t> bos, eos, eot, eom, unk, pad;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
};

class Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  static Result<std::unique_ptr<Tokenizer>> FromVocab(VocabSpec spec);
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // add_special: BOS (and EOS) as the vocabulary asks (tokenizer.ggml.add_bos_token /
  // add_eos_token, else llama.cpp's defaults: SPM adds BOS, BPE adds nothing except llama3).
  // parse_special: control-token texts in `text` become those tokens.
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes a token stands for (not necessarily valid UTF-8 on its own). Control/unknown
  // tokens give "" unless render_special; bad ids give "".
  std::string TokenToPiece(int32_t id, bool render_special = false) const;
  // Concatenated pieces.
  std::string Decode(const std::vector<int32_t>& ids, bool render_special = false) const;

  int32_t n_vocab() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos() const { return bos_; }  // -1 when the vocabulary has none
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool IsEndOfGeneration(int32_t id) const;
  TokenAttr attr(int32_t id) const;  // kNormal for bad ids
  std::string_view text(int32_t id) const;  // the vocabulary entry as stored ("" if bad)
  std::optional<int32_t> FindToken(std::string_view text) const;

  const std::string& model_name() const { return model_name_; }  // "gpt2" or "llama"
  const std::string& pre_name() const { return pre_name_; }

 private:
  Tokenizer();
  Status Init(VocabSpec spec);
  struct Fragment {
    int32_t token;  // >= 0: a special token; -1: text [offset, offset + length)
    size_t offset, length;
  };
  std::vector<Fragment> SplitOnSpecialTokens(std::string_view text, bool parse_special) const;
  void EncodeText(std::string_view text, bool after_special, std::vector<int32_t>* out) const;

  std::string model_name_, pre_name_;
  StringTable tokens_;               // [n_vocab] token texts
  std::vector<TokenAttr> attrs_;     // [n_vocab]
  StringTable pieces_;               // [n_vocab] decoded bytes of normal/byte/user tokens
  TokenIndex token_to_id_;           // over tokens_
  std::vector<int32_t> special_tokens_;  // control/user-defined/unknown, longest text first
  std::vector<bool> end_of_generation_;  // [n_vocab]
  int32_t bos_ = -1, eos_ = -1, eot_ = -1, eom_ = -1, unk_ = -1, pad_ = -1;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false;
  PreTokenizerKind pre_kind_ = PreTokenizerKind::kDefault;
  std::unique_ptr<BpeModel> bpe_;  // set for "gpt2"
  std::unique_ptr<SpmModel> spm_;  // set for "llama"
};

// Turns streamed token ids into text without ever splitting a UTF-8 character: bytes of an
// incomplete character are held back until the rest arrives. Bytes that can never form a
// valid character come out as U+FFFD, so every returned string is valid UTF-8.
// Thread-safety: one decoder per stream; not shared.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer, bool render_special = false)
      : tokenizer_(tokenizer), render_special_(render_special) {}
  std::string Push(int32_t id);
  // Emits whatever is held back (an incomplete character becomes U+FFFD).
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;  // bytes not yet returned
};

}  // namespace deepgate
