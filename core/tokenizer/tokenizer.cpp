// Tokenizer: vocabulary loading, special-token splitting, encode/decode; see tokenizer.h.
#include "core/tokenizer/tokenizer.h"

#include <algorithm>

#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/spm_model.h"
#include "core/tokenizer/unicode.h"

namespace deepgate {
namespace {

TokenAttr AttrFromGgufType(int64_t t) {
  switch (t) {
    case 2: return TokenAttr::kUnknown;
    case 3: return TokenAttr::kControl;
    case 4: return TokenAttr::kUserDefined;
    case 5: return TokenAttr::kUnused;
    case 6: return TokenAttr::kByte;
    default: return TokenAttr::kNormal;  // 1 normal, 0 undefined
  }
}

// Token texts that end a turn in the chat formats we serve; any of them in the vocabulary
// stops generation, whatever eos_token_id says (llama.cpp keeps the same list).
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<｜end▁of▁sentence｜>", "<|end▁of▁sentence|>",
};
// Preferred end-of-turn token when tokenizer.ggml.eot_token_id is absent, in this order.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<EOT>", "_<EOT>",
};

void EscapeSpaces(std::string_view in, std::string* out) {
  for (char c : in) {
    if (c == ' ') {
      out->append("\xE2\x96\x81");  // U+2581
    } else {
      out->push_back(c);
    }
  }
}

std::string UnescapeSpaces(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in.compare(i, 3, "\xE2\x96\x81") == 0) {
      out.push_back(' ');
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

// "<0x1F>" -> 0x1F; -1 when the text is not of that form.
int ParseByteToken(std::string_view t) {
  if (t.size() != 6 || t.substr(0, 3) != "<0x" || t[5] != '>') return -1;
  int v = 0;
  for (char c : t.substr(3, 2)) {
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else return -1;
  }
  return v;
}

}  // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromVocab(VocabSpec spec) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  DG_RETURN_IF_ERROR(t->Init(std::move(spec)));
  return t;
}

Status Tokenizer::Init(VocabSpec spec) {
  const bool is_bpe = spec.model == "gpt2";
  const bool is_spm = spec.model == "llama";
  if (!is_bpe && !is_spm) {
    return Status::Unimplemented("tokenizer.ggml.model '" + spec.model +
                                 "' is not supported (gpt2 or llama)");
  }
  const size_t n = spec.tokens.size();
  if (n == 0) return Status::InvalidArgument("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return Status::InvalidArgument("tokenizer.ggml.tokens is too large");
  if (!spec.scores.empty() && spec.scores.size() != n) {
    return Status::InvalidArgument("tokenizer.ggml.scores has " + std::to_string(spec.scores.size()) +
                                   " entries for " + std::to_string(n) + " tokens");
  }
  if (!spec.token_types.empty() && spec.token_types.size() != n) {
    return Status::InvalidArgument("tokenizer.ggml.token_type has " + std::to_string(spec.token_types.size()) +
                                   " entries for " + std::to_string(n) + " tokens");
  }
  model_name_ = spec.model;
  pre_name_ = spec.pre;
  attrs_.resize(n, TokenAttr::kNormal);
  tokens_.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!spec.token_types.empty()) attrs_[i] = AttrFromGgufType(spec.token_types[i]);
    const std::string& t = spec.tokens[i];
    if (!tokens_.Append(t.empty() ? "[EMPTY_" + std::to_string(i) + "]" : t))  // empty: as llama.cpp
      return Status::InvalidArgument("tokenizer.ggml.tokens: over 4 GiB of token text");
  }
  tokens_.ShrinkToFit();
  std::vector<std::string>().swap(spec.tokens);  // the table holds them now
  token_to_id_ = TokenIndex(&tokens_);  // a later duplicate wins, as llama.cpp

  // Special ids: metadata first, else the model's defaults; every one must be in range.
  auto resolve = [&](const std::optional<int64_t>& v, int32_t def, const char* key, int32_t* out) -> Status {
    if (!v) {
      *out = def >= 0 && static_cast<size_t>(def) < n ? def : -1;
      return Status::Ok();
    }
    if (*v < 0 || static_cast<uint64_t>(*v) >= n) {
      return Status::InvalidArgument(std::string("tokenizer.ggml.") + key + " " + std::to_string(*v) +
                                     " is outside the vocabulary of " + std::to_string(n));
    }
    *out = static_cast<int32_t>(*v);
    return Status::Ok();
  };
  DG_RETURN_IF_ERROR(resolve(spec.bos, is_spm ? 1 : -1, "bos_token_id", &bos_));
  DG_RETURN_IF_ERROR(resolve(spec.eos, is_spm ? 2 : -1, "eos_token_id", &eos_));
  DG_RETURN_IF_ERROR(resolve(spec.eot, -1, "eot_token_id", &eot_));
  DG_RETURN_IF_ERROR(resolve(spec.eom, -1, "eom_token_id", &eom_));
  DG_RETURN_IF_ERROR(resolve(spec.unk, is_spm ? 0 : -1, "unknown_token_id", &unk_));
  DG_RETURN_IF_ERROR(resolve(spec.pad, -1, "padding_token_id", &pad_));

  if (is_bpe) {
    // An absent name is llama.cpp's "default"; a name we do not implement is refused rather
    // than approximated (a different split changes the ids on a good share of real text).
    auto kind = spec.pre.empty() ? std::optional<PreTokenizerKind>(PreTokenizerKind::kDefault) : PreTokenizerFromName(spec.pre);
    if (!kind) {
      return Status::Unimplemented("tokenizer.ggml.pre '" + spec.pre +
                                   "' is not implemented (supported: default, gpt-2, llama3, qwen2, deepseek-llm, "
                                   "deepseek-coder, deepseek-v3, starcoder, falcon and their aliases)");
    }
    pre_kind_ = *kind;
    add_bos_ = pre_kind_ == PreTokenizerKind::kLlama3;
    add_eos_ = false;
    add_space_prefix_ = false;
    DG_ASSIGN_OR_RETURN(bpe_, BpeModel::Build(&token_to_id_, spec.merges, pre_kind_ == PreTokenizerKind::kLlama3));
  } else {
    add_bos_ = true;
    add_eos_ = false;
    add_space_prefix_ = true;
    spm_ = std::make_unique<SpmModel>(&token_to_id_, std::move(spec.scores), unk_);
  }
  if (spec.add_bos) add_bos_ = *spec.add_bos;
  if (spec.add_eos) add_eos_ = *spec.add_eos;
  if (spec.add_space_prefix) add_space_prefix_ = *spec.add_space_prefix;
  if (add_bos_ && bos_ < 0) add_bos_ = false;
  if (add_eos_ && eos_ < 0) add_eos_ = false;

  // Pieces: what each token decodes to.
  pieces_.Reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view t = tokens_[i];
    std::string piece;
    switch (attrs_[i]) {
      case TokenAttr::kNormal:
        piece = is_bpe ? BpeModel::DecodeTokenText(t) : UnescapeSpaces(t);
        break;
      case TokenAttr::kByte: {
        const int b = ParseByteToken(t);
        piece = b >= 0 ? std::string(1, static_cast<char>(b)) : std::string(t);
        break;
      }
      case TokenAttr::kUserDefined:
        piece = is_spm ? UnescapeSpaces(t) : std::string(t);
        break;
      case TokenAttr::kUnknown:
        if (is_spm) piece = "\xE2\x96\x85";  // U+2585, what llama.cpp shows for <unk>
        break;
      case TokenAttr::kControl:
      case TokenAttr::kUnused:
        break;
    }
    if (!pieces_.Append(piece)) return Status::InvalidArgument("tokenizer.ggml.tokens: over 4 GiB of token text");
  }
  pieces_.ShrinkToFit();

  // Special tokens recognised in text, longest first so "<|im_end|>" wins over "<|im".
  for (size_t i = 0; i < n; ++i) {
    const TokenAttr a = attrs_[i];
    if (a == TokenAttr::kControl || a == TokenAttr::kUserDefined || a == TokenAttr::kUnknown) {
      special_tokens_.push_back(static_cast<int32_t>(i));
    }
  }
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(), [&](int32_t a, int32_t b) {
    return tokens_[a].size() > tokens_[b].size();
  });

  // End of generation.
  if (eot_ < 0) {
    for (std::string_view text : kEndOfTurnTexts) {
      if (auto id = FindToken(text)) {
        eot_ = *id;
        break;
      }
    }
  }
  end_of_generation_.assign(n, false);
  for (int32_t id : {eos_, eot_, eom_}) {
    if (id >= 0) end_of_generation_[id] = true;
  }
  for (std::string_view text : kEndOfGenerationTexts) {
    if (auto id = FindToken(text)) end_of_generation_[*id] = true;
  }
  return Status::Ok();
}

TokenAttr Tokenizer::attr(int32_t id) const {
  return id >= 0 && id < n_vocab() ? attrs_[id] : TokenAttr::kNormal;
}

std::string_view Tokenizer::text(int32_t id) const {
  return id >= 0 && id < n_vocab() ? tokens_[static_cast<size_t>(id)] : std::string_view();
}

std::optional<int32_t> Tokenizer::FindToken(std::string_view text) const {
  return token_to_id_.Find(text);
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return id >= 0 && id < n_vocab() && end_of_generation_[id];
}

std::string Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  if (id < 0 || id >= n_vocab()) return "";
  const TokenAttr a = attrs_[id];
  if (render_special && (a == TokenAttr::kControl || a == TokenAttr::kUnknown || a == TokenAttr::kUnused)) {
    return std::string(tokens_[static_cast<size_t>(id)]);
  }
  return std::string(pieces_[static_cast<size_t>(id)]);
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids, bool render_special) const {
  std::string out;
  for (int32_t id : ids) out += TokenToPiece(id, render_special);
  return out;
}

std::vector<Tokenizer::Fragment> Tokenizer::SplitOnSpecialTokens(std::string_view text,
                                                                 bool parse_special) const {
  std::vector<Fragment> frags = {{-1, 0, text.size()}};
  std::vector<Fragment> next;
  for (int32_t id : special_tokens_) {
    const TokenAttr a = attrs_[id];
    if (!parse_special && a != TokenAttr::kUserDefined) continue;
    const std::string_view needle = tokens_[static_cast<size_t>(id)];
    if (text.find(needle) == std::string_view::npos) continue;  // cheap common case
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t start = f.offset;
      const size_t end = f.offset + f.length;
      while (start < end) {
        const size_t hit = text.substr(0, end).find(needle, start);
        if (hit == std::string_view::npos) break;
        if (hit > start) next.push_back({-1, start, hit - start});
        next.push_back({id, hit, needle.size()});
        start = hit + needle.size();
      }
      if (start < end) next.push_back({-1, start, end - start});
    }
    frags.swap(next);
  }
  return frags;
}

void Tokenizer::EncodeText(std::string_view text, bool after_special, std::vector<int32_t>* out) const {
  if (spm_) {
    std::string escaped;
    escaped.reserve(text.size() + 8);
    if (add_space_prefix_ && after_special) escaped.append("\xE2\x96\x81");
    EscapeSpaces(text, &escaped);
    spm_->Encode(escaped, out);
    return;
  }
  const std::u32string cps = DecodeUtf8Lossy(text);
  const std::u32string_view view(cps);
  std::string word;
  for (const WordSpan& w : PreTokenize(pre_kind_, view)) {
    word.clear();
    for (char32_t cp : view.substr(w.begin, w.length)) AppendUtf8(cp, &word);
    bpe_->EncodeWord(word, out);
  }
}

std::vector<int32_t> Tokenizer::Encode(std::string_view raw_text, bool add_special, bool parse_special) const {
  const std::string text = SanitizeUtf8(raw_text);
  std::vector<int32_t> out;
  if (add_special && add_bos_) out.push_back(bos_);
  if (!text.empty()) {
    bool after_special = true;  // SPM: the first text fragment gets the space prefix
    for (const Fragment& f : SplitOnSpecialTokens(text, parse_special)) {
      if (f.token >= 0) {
        out.push_back(f.token);
        after_special = true;
      } else {
        EncodeText(std::string_view(text).substr(f.offset, f.length), after_special, &out);
        after_special = false;
      }
    }
  }
  if (add_special && add_eos_) out.push_back(eos_);
  return out;
}

}  // namespace deepgate
