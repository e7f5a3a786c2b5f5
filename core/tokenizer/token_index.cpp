#include "core/tokenizer/token_index.h"

#include <functional>

namespace deepgate {

TokenIndex::TokenIndex(const StringTable* texts) : texts_(texts) {
  size_t capacity = 16;
  while (capacity < 2 * texts->size()) capacity *= 2;
  slots_.assign(capacity, -1);
  mask_ = capacity - 1;
  for (size_t i = 0; i < texts->size(); ++i) slots_[SlotOf((*texts)[i])] = static_cast<int32_t>(i);
}

size_t TokenIndex::SlotOf(std::string_view text) const {
  size_t slot = std::hash<std::string_view>{}(text) & mask_;
  // Linear probing; the table is at most half full, so an empty slot ends every probe.
  while (slots_[slot] >= 0 && (*texts_)[static_cast<size_t>(slots_[slot])] != text) slot = (slot + 1) & mask_;
  return slot;
}

std::optional<int32_t> TokenIndex::Find(std::string_view text) const {
  if (slots_.empty()) return std::nullopt;
  const int32_t id = slots_[SlotOf(text)];
  if (id < 0) return std::nullopt;
  return id;
}

}  // namespace deepgate
