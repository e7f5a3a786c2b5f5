// TokenIndex: token text → id, an open-addressing table of ids over the vocabulary's own
// strings. A std::unordered_map<std::string_view, int32_t> spent ~60 bytes a token in nodes
// and buckets (9 MB for a 152k vocabulary, in every worker process); this is 4 bytes a slot
// at load factor <= 1/2 (2 MB), and lookups probe contiguous memory.
// Thread-safety: immutable after construction; concurrent Find is safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/tokenizer/string_table.h"

namespace deepgate {

class TokenIndex {
 public:
  TokenIndex() = default;
  // Indexes texts[0..n); when two tokens share a text the later id wins (as llama.cpp). The
  // strings must outlive the index and not change.
  explicit TokenIndex(const StringTable* texts);

  std::optional<int32_t> Find(std::string_view text) const;

 private:
  size_t SlotOf(std::string_view text) const;  // the slot holding text, or the empty one it probes to

  const StringTable* texts_ = nullptr;
  std::vector<int32_t> slots_;  // token id, -1 when empty; size a power of two
  size_t mask_ = 0;
};

}  // namespace deepgate
