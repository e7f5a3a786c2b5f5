// Byte-level BPE merging; see bpe_model.h.
#include "core/tokenizer/bpe_model.h"

#include <array>
#include <queue>

#include "core/tokenizer/unicode.h"

namespace deepgate {
namespace {

// GPT-2's table: printable Latin-1 bytes stand for themselves, the rest are shifted to
// U+0100 and up in byte order, so every byte has a visible character.
struct ByteAlphabet {
  static constexpr char32_t kMaxCp = 0x144;  // the alphabet is U+0021..U+0143
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, kMaxCp + 1> cp_to_byte;  // -1: not in the alphabet
  ByteAlphabet() {
    cp_to_byte.fill(-1);
    int next = 0;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + next++);
      AppendUtf8(cp, &byte_to_utf8[b]);
      cp_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const ByteAlphabet& Alphabet() {
  static const ByteAlphabet k;
  return k;
}

}  // namespace

const std::string& BpeModel::ByteToUnicode(uint8_t b) { return Alphabet().byte_to_utf8[b]; }

std::string BpeModel::DecodeTokenText(std::string_view text) {
  const auto& map = Alphabet().cp_to_byte;
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const size_t n = ValidUtf8Length(text, pos);
    if (n == 0) {  // not UTF-8: keep the byte as it is
      out.push_back(text[pos++]);
      continue;
    }
    const auto b = [&](size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const char32_t cp = n == 1 ? b(0) : n == 2 ? ((b(0) & 0x1F) << 6) | (b(1) & 0x3F) : ByteAlphabet::kMaxCp + 1;
    if (cp <= ByteAlphabet::kMaxCp && map[cp] >= 0) {
      out.push_back(static_cast<char>(map[cp]));
    } else {
      out.append(text.substr(pos, n));
    }
    pos += n;
  }
  return out;
}

Result<std::unique_ptr<BpeModel>> BpeModel::Build(
    const TokenIndex* token_to_id,
    const std::vector<std::string>& merges, bool ignore_merges) {
  std::unique_ptr<BpeModel> model(new BpeModel());
  model->token_to_id_ = token_to_id;
  model->ignore_merges_ = ignore_merges;
  for (int b = 0; b < 256; ++b) {
    model->byte_token_[b] = token_to_id->Find(ByteToUnicode(static_cast<uint8_t>(b))).value_or(-1);
  }
  size_t capacity = 16;
  while (capacity * 2 < merges.size() * 3) capacity *= 2;
  model->merge_slots_.assign(capacity, MergeSlot{kNoKey, Merge{0, 0}});
  model->merge_mask_ = capacity - 1;
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& m = merges[rank];
    // The separator is the first space after position 0 (a token may itself be a space).
    const size_t sep = m.find(' ', 1);
    if (sep == std::string::npos || sep + 1 >= m.size()) {
      return Status::InvalidArgument("tokenizer.ggml.merges[" + std::to_string(rank) +
                                     "] is not 'left right': '" + m + "'");
    }
    const std::string_view left(m.data(), sep), right(m.data() + sep + 1, m.size() - sep - 1);
    joined.assign(left);
    joined.append(right);
    const std::optional<int32_t> l = token_to_id->Find(left), r = token_to_id->Find(right),
                                 j = token_to_id->Find(joined);
    if (!l || !r || !j) {
      return Status::InvalidArgument("tokenizer.ggml.merges[" + std::to_string(rank) + "] '" + m +
                                     "' names a token that is not in the vocabulary");
    }
    MergeSlot& slot = model->merge_slots_[model->SlotOf(Key(*l, *r))];
    if (slot.key == kNoKey) {  // a repeated pair keeps its first (best) rank
      slot = MergeSlot{Key(*l, *r), Merge{static_cast<int32_t>(rank), *j}};
      ++model->n_merges_;
    }
  }
  return model;
}

size_t BpeModel::SlotOf(uint64_t key) const {
  // A multiplicative hash spreads the (left << 32 | right) keys over the high bits.
  size_t slot = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & merge_mask_;
  while (merge_slots_[slot].key != kNoKey && merge_slots_[slot].key != key) slot = (slot + 1) & merge_mask_;
  return slot;
}

const BpeModel::Merge* BpeModel::FindMerge(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  const MergeSlot& slot = merge_slots_[SlotOf(Key(left, right))];
  return slot.key == kNoKey ? nullptr : &slot.merge;
}

void BpeModel::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    std::string encoded;
    for (unsigned char b : word) encoded += ByteToUnicode(b);
    if (const std::optional<int32_t> id = token_to_id_->Find(encoded)) {
      out->push_back(*id);
      return;
    }
  }
  struct Symbol {
    int32_t id;  // -1: a byte with no token; never merges
    int32_t prev, next;
    bool alive;
  };
  struct Candidate {
    int32_t rank, left, right, left_id, right_id, result;
    bool operator<(const Candidate& o) const {  // priority_queue top = lowest rank, leftmost
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  const int32_t n = static_cast<int32_t>(word.size());
  std::vector<Symbol> syms(n);  // [n_bytes] one symbol per byte to start with
  for (int32_t i = 0; i < n; ++i) {
    syms[i] = {byte_token_[static_cast<unsigned char>(word[i])], i - 1, i + 1 < n ? i + 1 : -1, true};
  }
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    if (const Merge* m = FindMerge(syms[left].id, syms[right].id)) {
      queue.push({m->rank, left, right, syms[left].id, syms[right].id, m->result});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);
  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = syms[c.left];
    Symbol& r = syms[c.right];
    // Stale when either side has merged since the candidate was queued.
    if (!l.alive || !r.alive || l.next != c.right || l.id != c.left_id || r.id != c.right_id) continue;
    l.id = c.result;
    r.alive = false;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }
  for (int32_t i = 0; i >= 0 && i < n; i = syms[i].next) {
    if (syms[i].id >= 0) out->push_back(syms[i].id);
  }
}

}  // namespace deepgate
