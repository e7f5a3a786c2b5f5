// Pre-tokenizer matchers; see pre_tokenizer.h for the semantics they reproduce.
#include "core/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "core/tokenizer/unicode.h"

namespace deepgate {
namespace {

// Returns the end of the match starting exactly at p inside frag, or 0 for no match there.
// (A match is never empty, so 0 is unambiguous.)
using Matcher = std::function<size_t(std::u32string_view frag, size_t p)>;

// ---- character classes -------------------------------------------------------------------

bool IsSpace(char32_t c) { return IsUnicodeWhitespace(c); }
bool IsCrLf(char32_t c) { return c == '\r' || c == '\n'; }

// Classes as llama.cpp's "collapsed" std::regex sees them: ASCII by fixed lists (note '~' is
// in neither \p{P} nor \p{S}), other code points by category unless they are whitespace.
bool CollapsedIs(char32_t c, UnicodeCategory cat) {
  return c >= 0x80 && !IsSpace(c) && CategoryOf(c) == cat;
}
bool RxLetter(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
  return CollapsedIs(c, UnicodeCategory::kLetter);
}
bool RxNumber(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return CollapsedIs(c, UnicodeCategory::kNumber);
}
bool RxPunct(char32_t c) {
  if (c < 0x80) return c != 0 && std::u32string_view(U"!\"#%&'()*,-./:;?@[\\]_{}").find(c) != std::u32string_view::npos;
  return CollapsedIs(c, UnicodeCategory::kPunctuation);
}
bool RxSymbol(char32_t c) {
  if (c < 0x80) return c != 0 && std::u32string_view(U"$+<=>^`|").find(c) != std::u32string_view::npos;
  return CollapsedIs(c, UnicodeCategory::kSymbol);
}
bool RxMark(char32_t c) { return CollapsedIs(c, UnicodeCategory::kMark); }

// A bracket class written as in the regex source ("A-Za-zµÀ-Ö..."), matched the way
// std::wregex sees the text: non-ASCII whitespace has been replaced by U+000B first.
class RangeClass {
 public:
  explicit RangeClass(std::u32string_view spec) {
    for (size_t i = 0; i < spec.size();) {
      if (i + 2 < spec.size() && spec[i + 1] == '-') {
        ranges_.emplace_back(spec[i], spec[i + 2]);
        i += 3;
      } else {
        ranges_.emplace_back(spec[i], spec[i]);
        i += 1;
      }
    }
  }
  bool Contains(char32_t c) const {
    if (c >= 0x80 && IsSpace(c)) c = 0x0B;
    for (const auto& [lo, hi] : ranges_)
      if (c >= lo && c <= hi) return true;
    return false;
  }

 private:
  std::vector<std::pair<char32_t, char32_t>> ranges_;
};

const RangeClass& DeepseekLlmLetters() {
  static const RangeClass k(
      U"A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-"
      U"ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-"
      U"ﬗＡ-Ｚａ-ｚ\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB"
      U"\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943");
  return k;
}
const RangeClass& DeepseekLlmPunct() {
  static const RangeClass k(U"!-/:-~！-／：-～‘-‟　-。");
  return k;
}
const RangeClass& DeepseekCjk() {  // deepseek-llm and deepseek-coder
  static const RangeClass k(U"一-龥ࠀ-一가-퟿");
  return k;
}
const RangeClass& DeepseekV3Cjk() {
  static const RangeClass k(U"一-龥぀-ゟ゠-ヿ");
  return k;
}

size_t RunEnd(std::u32string_view s, size_t p, const std::function<bool(char32_t)>& in) {
  while (p < s.size() && in(s[p])) ++p;
  return p;
}

// ---- generic small patterns --------------------------------------------------------------

// CLASS{1,max_run}, greedy.
Matcher ClassRun(std::function<bool(char32_t)> in, size_t max_run = SIZE_MAX) {
  return [in = std::move(in), max_run](std::u32string_view s, size_t p) -> size_t {
    if (!in(s[p])) return 0;
    size_t end = p + 1;
    while (end < s.size() && end - p < max_run && in(s[end])) ++end;
    return end;
  };
}

// \s?CLASS+
Matcher OptionalSpaceThenRun(std::function<bool(char32_t)> in) {
  return [in = std::move(in)](std::u32string_view s, size_t p) -> size_t {
    if (IsSpace(s[p]) && p + 1 < s.size() && in(s[p + 1])) return RunEnd(s, p + 1, in);
    if (in(s[p])) return RunEnd(s, p, in);
    return 0;
  };
}

// \s+$ : the whitespace run that reaches the end of the fragment.
size_t TrailingSpace(std::u32string_view s, size_t p) {
  return IsSpace(s[p]) && RunEnd(s, p, IsSpace) == s.size() ? s.size() : 0;
}

// The whitespace tail shared by the gpt2/llama3-style patterns:
// [\s*[\r\n]+ when with_newline_rule] | \s+(?!\S) | \s+
size_t WhitespaceTail(std::u32string_view s, size_t p, bool with_newline_rule) {
  size_t end = p;
  size_t after_last_crlf = 0;
  while (end < s.size() && IsSpace(s[end])) {
    if (IsCrLf(s[end])) after_last_crlf = end + 1;
    ++end;
  }
  if (end == p) return 0;
  if (with_newline_rule && after_last_crlf != 0) return after_last_crlf;
  if (end - p > 1 && end < s.size()) return end - 1;  // leave the last space to the next word
  return end;
}

// 's|'t|'re|'ve|'m|'ll|'d, optionally ASCII case-insensitive.
size_t Contraction(std::u32string_view s, size_t p, bool any_case) {
  if (s[p] != '\'' || p + 1 >= s.size()) return 0;
  auto lower = [any_case](char32_t c) -> char32_t {
    return any_case && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  };
  const char32_t a = lower(s[p + 1]);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return p + 2;
  if (p + 2 >= s.size()) return 0;
  const char32_t b = lower(s[p + 2]);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return p + 3;
  return 0;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
size_t MatchGpt2(std::u32string_view s, size_t p) {
  if (size_t e = Contraction(s, p, false)) return e;
  const size_t q = (s[p] == ' ' && p + 1 < s.size()) ? p + 1 : p;
  const char32_t c = s[q];
  if (IsLetter(c)) return RunEnd(s, q, IsLetter);
  if (IsNumber(c)) return RunEnd(s, q, IsNumber);
  auto other = [](char32_t x) { return !IsSpace(x) && !IsLetter(x) && !IsNumber(x); };
  if (other(c)) return RunEnd(s, q, other);
  return WhitespaceTail(s, p, /*with_newline_rule=*/false);
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,max_digits}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t MatchLlama3Like(std::u32string_view s, size_t p, size_t max_digits) {
  if (size_t e = Contraction(s, p, true)) return e;
  const char32_t c = s[p];
  if (!IsCrLf(c) && !IsNumber(c) && (IsLetter(c) || (p + 1 < s.size() && IsLetter(s[p + 1])))) {
    return RunEnd(s, p + 1, IsLetter);
  }
  if (IsNumber(c)) {
    size_t end = p + 1;
    while (end < s.size() && end - p < max_digits && IsNumber(s[end])) ++end;
    return end;
  }
  auto other = [](char32_t x) { return !IsSpace(x) && !IsLetter(x) && !IsNumber(x); };
  const size_t q = (c == ' ' && p + 1 < s.size()) ? p + 1 : p;
  if (other(s[q])) return RunEnd(s, RunEnd(s, q, other), IsCrLf);
  return WhitespaceTail(s, p, /*with_newline_rule=*/true);
}

// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
//  ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
size_t MatchDeepseekV3(std::u32string_view s, size_t p) {
  auto ascii_letter = [](char32_t x) { return (x >= 'A' && x <= 'Z') || (x >= 'a' && x <= 'z'); };
  auto ascii_punct = [](char32_t x) {
    return (x >= 0x21 && x <= 0x2F) || (x >= 0x3A && x <= 0x40) || (x >= 0x5B && x <= 0x60) ||
           (x >= 0x7B && x <= 0x7E);
  };
  auto letter_or_mark = [](char32_t x) { return RxLetter(x) || RxMark(x); };
  auto punct_or_symbol = [](char32_t x) { return RxPunct(x) || RxSymbol(x); };
  const char32_t c = s[p];
  if (ascii_punct(c) && p + 1 < s.size() && ascii_letter(s[p + 1])) return RunEnd(s, p + 1, ascii_letter);
  const bool prefix_ok = !IsCrLf(c) && !RxLetter(c) && !RxPunct(c) && !RxSymbol(c);
  if (prefix_ok && p + 1 < s.size() && letter_or_mark(s[p + 1])) return RunEnd(s, p + 1, letter_or_mark);
  if (letter_or_mark(c)) return RunEnd(s, p, letter_or_mark);
  const size_t q = (c == ' ' && p + 1 < s.size() && punct_or_symbol(s[p + 1])) ? p + 1 : p;
  if (punct_or_symbol(s[q])) return RunEnd(s, RunEnd(s, q, punct_or_symbol), IsCrLf);
  return WhitespaceTail(s, p, /*with_newline_rule=*/true);
}

// One regex pass: every fragment is split into its matches and the text between them.
std::vector<WordSpan> ApplyPass(std::u32string_view text, const std::vector<WordSpan>& in,
                                const Matcher& match) {
  std::vector<WordSpan> out;
  out.reserve(in.size() * 2);
  for (const WordSpan& span : in) {
    const std::u32string_view frag = text.substr(span.begin, span.length);
    size_t gap_start = 0;
    for (size_t p = 0; p < frag.size();) {
      const size_t end = match(frag, p);
      if (end == 0) {
        ++p;
        continue;
      }
      if (p > gap_start) out.push_back({span.begin + gap_start, p - gap_start});
      out.push_back({span.begin + p, end - p});
      p = gap_start = end;
    }
    if (gap_start < frag.size()) out.push_back({span.begin + gap_start, frag.size() - gap_start});
  }
  return out;
}

std::vector<Matcher> PassesFor(PreTokenizerKind kind) {
  auto in_class = [](const RangeClass& k) { return [&k](char32_t c) { return k.Contains(c); }; };
  switch (kind) {
    case PreTokenizerKind::kGpt2:
      return {MatchGpt2};
    case PreTokenizerKind::kLlama3:
      return {[](std::u32string_view s, size_t p) { return MatchLlama3Like(s, p, 3); }};
    case PreTokenizerKind::kQwen2:
      return {[](std::u32string_view s, size_t p) { return MatchLlama3Like(s, p, 1); }};
    case PreTokenizerKind::kDeepseekLlm:
      return {ClassRun(IsCrLf, 1), OptionalSpaceThenRun(in_class(DeepseekLlmLetters())),
              OptionalSpaceThenRun(in_class(DeepseekLlmPunct())), TrailingSpace,
              ClassRun(in_class(DeepseekCjk())), ClassRun(RxNumber)};
    case PreTokenizerKind::kDeepseekCoder:
      return {ClassRun(IsCrLf, 1), OptionalSpaceThenRun(RxLetter), OptionalSpaceThenRun(RxPunct),
              ClassRun(in_class(DeepseekCjk())), ClassRun(RxNumber, 1)};
    case PreTokenizerKind::kDeepseekV3:
      return {ClassRun(RxNumber, 3), ClassRun(in_class(DeepseekV3Cjk())), MatchDeepseekV3};
    case PreTokenizerKind::kStarcoder:
      return {ClassRun(RxNumber, 1), MatchGpt2};
    case PreTokenizerKind::kDefault:
    case PreTokenizerKind::kFalcon:
      break;
  }
  // default: [\p{P}\$\+<=>\^~\|]+ , gpt2, \p{N}+ , [0-9][0-9][0-9]
  // falcon:  [\p{P}\$\+<=>\^~\|`]+, gpt2, [0-9][0-9][0-9]
  const bool falcon = kind == PreTokenizerKind::kFalcon;
  auto punct = [falcon](char32_t c) {
    return RxPunct(c) || (c < 0x80 && std::u32string_view(falcon ? U"$+<=>^~|`" : U"$+<=>^~|").find(c) !=
                                          std::u32string_view::npos);
  };
  auto ascii_digit = [](char32_t c) { return c >= '0' && c <= '9'; };
  Matcher three_digits = [ascii_digit](std::u32string_view s, size_t p) -> size_t {
    return p + 3 <= s.size() && ascii_digit(s[p]) && ascii_digit(s[p + 1]) && ascii_digit(s[p + 2]) ? p + 3 : 0;
  };
  if (falcon) return {ClassRun(punct), MatchGpt2, three_digits};
  return {ClassRun(punct), MatchGpt2, ClassRun(RxNumber), three_digits};
}

}  // namespace

std::optional<PreTokenizerKind> PreTokenizerFromName(std::string_view name) {
  if (name == "default") return PreTokenizerKind::kDefault;
  for (std::string_view n : {"gpt-2", "gpt2", "mpt", "olmo", "jais", "phi-2"}) {
    if (name == n) return PreTokenizerKind::kGpt2;
  }
  for (std::string_view n : {"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"}) {
    if (name == n) return PreTokenizerKind::kStarcoder;
  }
  if (name == "falcon") return PreTokenizerKind::kFalcon;
  if (name == "stablelm2" || name == "megrez") return PreTokenizerKind::kQwen2;
  if (name == "llama3" || name == "llama-v3" || name == "llama-bpe") return PreTokenizerKind::kLlama3;
  if (name == "qwen2" || name == "deepseek-r1-qwen") return PreTokenizerKind::kQwen2;
  if (name == "deepseek-llm") return PreTokenizerKind::kDeepseekLlm;
  if (name == "deepseek-coder") return PreTokenizerKind::kDeepseekCoder;
  if (name == "deepseek-v3") return PreTokenizerKind::kDeepseekV3;
  return std::nullopt;
}

const char* PreTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
    case PreTokenizerKind::kDefault: return "default";
    case PreTokenizerKind::kGpt2: return "gpt-2";
    case PreTokenizerKind::kLlama3: return "llama3";
    case PreTokenizerKind::kQwen2: return "qwen2";
    case PreTokenizerKind::kDeepseekLlm: return "deepseek-llm";
    case PreTokenizerKind::kDeepseekCoder: return "deepseek-coder";
    case PreTokenizerKind::kDeepseekV3: return "deepseek-v3";
    case PreTokenizerKind::kStarcoder: return "starcoder";
    case PreTokenizerKind::kFalcon: return "falcon";
  }
  return "?";
}

std::vector<WordSpan> PreTokenize(PreTokenizerKind kind, std::u32string_view text) {
  if (text.empty()) return {};
  std::vector<WordSpan> spans = {{0, text.size()}};
  for (const Matcher& pass : PassesFor(kind)) spans = ApplyPass(text, spans, pass);
  return spans;
}

std::vector<std::string> PreTokenizeToStrings(PreTokenizerKind kind, std::string_view utf8) {
  const std::u32string cps = DecodeUtf8Lossy(utf8);
  std::vector<std::string> words;
  for (const WordSpan& w : PreTokenize(kind, cps)) words.push_back(EncodeUtf8(std::u32string_view(cps).substr(w.begin, w.length)));
  return words;
}

}  // namespace deepgate
