// StreamDecoder: holds back the bytes of an incomplete UTF-8 character; see tokenizer.h.
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace deepgate {
namespace {

// Bytes a sequence with this lead byte needs, 0 for a byte that cannot start one.
size_t ExpectedLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::string StreamDecoder::Push(int32_t id) {
  pending_ += tokenizer_.TokenToPiece(id, render_special_);
  std::string out;
  size_t pos = 0;
  while (pos < pending_.size()) {
    const size_t n = ValidUtf8Length(pending_, pos);
    if (n > 0) {
      out.append(pending_, pos, n);
      pos += n;
      continue;
    }
    // Invalid here: either the start of a character whose rest has not arrived yet (keep it),
    // or bytes that can never be valid (replace the first one and go on).
    const size_t need = ExpectedLength(static_cast<unsigned char>(pending_[pos]));
    const size_t have = pending_.size() - pos;
    if (need > have) {
      bool prefix_ok = true;
      for (size_t i = 1; i < have; ++i) {
        if ((static_cast<unsigned char>(pending_[pos + i]) & 0xC0) != 0x80) prefix_ok = false;
      }
      if (prefix_ok) break;
    }
    AppendUtf8(kReplacementChar, &out);
    ++pos;
  }
  pending_.erase(0, pos);
  return out;
}

std::string StreamDecoder::Flush() {
  std::string out = SanitizeUtf8(pending_);
  pending_.clear();
  return out;
}

}  // namespace deepgate
