// Byte-level BPE (GPT-2 style) merge engine, working on token ids.
//
// A word's bytes start as the ids of their byte-level characters (GPT-2's byte->unicode
// table); then the adjacent pair with the lowest merge rank is merged, leftmost first, until
// no ranked pair is left — the order llama.cpp and Hugging Face use. Ranks are a hash map
// keyed by the pair of ids, so loading a 150k-merge vocabulary takes milliseconds.
// Thread-safety: immutable after Build.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tokenizer/token_index.h"

namespace deepgate {

class BpeModel {
 public:
  // token_to_id must outlive the model. merges: "left right" in rank order; a merge naming a
  // token that is not in the vocabulary (either side or the result) is an error.
  // ignore_merges: a word that is itself a token is emitted whole (llama3).
  static Result<std::unique_ptr<BpeModel>> Build(
      const TokenIndex* token_to_id,
      const std::vector<std::string>& merges, bool ignore_merges);

  // Appends the ids of one pre-tokenized word given as raw bytes. Bytes whose byte-level
  // character is not in the vocabulary are dropped (llama.cpp drops them too).
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;

  size_t n_merges() const { return n_merges_; }

  // GPT-2 byte-level alphabet: the UTF-8 text of the character standing for byte b.
  static const std::string& ByteToUnicode(uint8_t b);
  // Maps a token's byte-level text back to raw bytes; characters outside the alphabet are
  // kept as their UTF-8.
  static std::string DecodeTokenText(std::string_view text);

 private:
  BpeModel() = default;
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const Merge* FindMerge(int32_t left, int32_t right) const;
  // Open addressing (load <= 2/3) instead of an unordered_map: 16 bytes a slot rather than
  // ~40 a node, in every worker process. kNoKey marks an empty slot (ids are never negative).
  struct MergeSlot {
    uint64_t key;
    Merge merge;
  };
  static constexpr uint64_t kNoKey = ~0ull;
  size_t SlotOf(uint64_t key) const;  // the slot holding key, or the empty one it probes to

  const TokenIndex* token_to_id_ = nullptr;
  std::vector<MergeSlot> merge_slots_;  // size a power of two
  size_t merge_mask_ = 0;
  size_t n_merges_ = 0;
  int32_t byte_token_[256];  // id of each byte's character, -1 if missing
  bool ignore_merges_ = false;
};

}  // namespace deepgate
