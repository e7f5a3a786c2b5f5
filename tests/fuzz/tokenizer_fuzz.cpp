// libFuzzer target for tokenizer construction and use with hostile vocabularies: the input
// is split on NUL bytes into token texts, merges and token types ("\n"-separated) and a text
// to encode; the first byte picks BPE or SentencePiece and the special-token options. Any
// vocabulary must build to a clean error or to a tokenizer whose Encode/Decode/StreamDecoder
// stay in bounds and return ids inside the vocabulary.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/tokenizer/tokenizer.h"

namespace {

std::vector<std::string> Lines(std::string_view s, size_t limit) {
  std::vector<std::string> out;
  while (!s.empty() && out.size() < limit) {
    const size_t nl = s.find('\n');
    out.emplace_back(s.substr(0, nl));
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view part[4];
  for (int i = 0; i < 4; ++i) {
    const size_t nul = rest.find('\0');
    part[i] = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view() : rest.substr(nul + 1);
  }
  deepgate::VocabSpec spec;
  spec.model = flags & 1 ? "llama" : "gpt2";
  spec.pre = flags & 2 ? "llama3" : (flags & 4 ? "qwen2" : "");
  spec.tokens = Lines(part[0], 4096);
  spec.merges = Lines(part[1], 4096);
  for (char c : part[2].substr(0, spec.tokens.size())) spec.token_types.push_back(static_cast<uint8_t>(c) % 8);
  if (spec.token_types.size() != spec.tokens.size()) spec.token_types.clear();
  if (flags & 8) spec.bos = static_cast<int64_t>(flags >> 4);
  if (flags & 16) spec.add_bos = true;
  auto t = deepgate::Tokenizer::FromVocab(std::move(spec));
  if (!t.ok()) return 0;
  const deepgate::Tokenizer& tok = **t;
  const int32_t n = tok.n_vocab();
  for (bool special : {false, true}) {
    const std::vector<int32_t> ids = tok.Encode(part[3], special, special);
    for (int32_t id : ids) {
      if (id < 0 || id >= n) std::abort();
      (void)tok.text(id);
    }
    (void)tok.Decode(ids, special);
    deepgate::StreamDecoder dec(tok, special);
    for (int32_t id : ids) (void)dec.Push(id);
    (void)dec.Flush();
  }
  for (int32_t id = -1; id <= n && id < 64; ++id) (void)tok.TokenToPiece(id, true);
  return 0;
}
