// SentencePiece bigram merging; see spm_model.h.
#include "core/tokenizer/spm_model.h"

#include <cstdio>
#include <queue>

#include "core/tokenizer/unicode.h"

namespace deepgate {

SpmModel::SpmModel(const TokenIndex* token_to_id, std::vector<float> scores, int32_t unk)
    : token_to_id_(token_to_id), scores_(std::move(scores)), unk_(unk) {
  for (int b = 0; b < 256; ++b) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    const char raw = static_cast<char>(b);
    std::optional<int32_t> id = token_to_id_->Find(std::string_view(hex));
    if (!id) id = token_to_id_->Find(std::string_view(&raw, 1));
    byte_token_[b] = id.value_or(-1);
  }
}

void SpmModel::Encode(std::string_view text, std::vector<int32_t>* out) const {
  struct Symbol {
    size_t offset, n;  // bytes of text; n == 0 once merged away
    int32_t prev, next;
  };
  struct Bigram {
    float score;
    int32_t left, right;
    size_t size;
    bool operator<(const Bigram& o) const {  // top = highest score, then leftmost
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::vector<Symbol> syms;  // [n_chars]
  for (size_t pos = 0; pos < text.size();) {
    size_t len = ValidUtf8Length(text, pos);
    if (len == 0) len = 1;  // callers sanitise; stay safe anyway
    const int32_t idx = static_cast<int32_t>(syms.size());
    syms.push_back({pos, len, idx - 1, -1});
    pos += len;
  }
  if (syms.empty()) return;
  for (size_t i = 0; i + 1 < syms.size(); ++i) syms[i].next = static_cast<int32_t>(i + 1);

  std::priority_queue<Bigram> queue;
  auto consider = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = syms[left];
    const Symbol& r = syms[right];
    const std::optional<int32_t> id = token_to_id_->Find(text.substr(l.offset, l.n + r.n));  // l, r are adjacent
    if (!id) return;
    queue.push({Score(*id), left, right, l.n + r.n});
  };
  for (size_t i = 0; i + 1 < syms.size(); ++i) consider(static_cast<int32_t>(i), static_cast<int32_t>(i + 1));

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = syms[b.left];
    Symbol& r = syms[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    consider(l.prev, b.left);
    consider(b.left, l.next);
  }

  for (int32_t i = 0; i >= 0; i = syms[i].next) {
    const Symbol& s = syms[i];
    const std::string_view piece = text.substr(s.offset, s.n);
    if (const std::optional<int32_t> id = token_to_id_->Find(piece)) {
      out->push_back(*id);
      continue;
    }
    for (char c : piece) {  // byte fallback
      const int32_t id = byte_token_[static_cast<unsigned char>(c)];
      if (id >= 0) {
        out->push_back(id);
      } else if (unk_ >= 0) {
        out->push_back(unk_);
      }
    }
  }
}

}  // namespace deepgate
