// DemoVocab: BPE merge learning over DemoCorpus() and the tokenizer.* metadata; see
// demo_vocab.h.
#include "core/demo/demo_vocab.h"

#include <map>
#include <string_view>
#include <unordered_map>

#include "core/demo/demo_corpus.h"
#include "core/gguf_writer.h"
#include "core/tokenizer/bpe_model.h"
#include "core/tokenizer/pre_tokenizer.h"

namespace deepgate::demo {
namespace {

// ChatML as Qwen2.5-Instruct writes it without tools: a system turn first (the caller's or
// a default), each message as <|im_start|>role\ncontent<|im_end|>\n, and the assistant
// header as the generation prompt.
constexpr std::string_view kChatMlTemplate =
    "{%- if messages[0]['role'] == 'system' -%}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if not (loop.first and message['role'] == 'system') -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

// DeepSeek-R1 style: BOS and the joined system prompt, user turns after <｜User｜>, assistant
// turns after <｜Assistant｜> keeping only the text after their last </think> and closed by
// EOS, and a generation prompt that opens the reasoning block.
constexpr std::string_view kDeepSeekR1Template =
    "{%- set ns = namespace(system_prompt='') -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{%- set ns.system_prompt = ns.system_prompt + message['content'] -%}{%- endif -%}"
    "{%- endfor -%}"
    "{{- bos_token + ns.system_prompt -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}"
    "{{- '<\xEF\xBD\x9CUser\xEF\xBD\x9C>' + message['content'] -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{%- set content = message['content'] -%}"
    "{%- if '</think>' in content -%}{%- set content = content.split('</think>')[-1] -%}{%- endif -%}"
    "{{- '<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>' + content + eos_token -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C><think>\\n' -}}{%- endif -%}";

struct SpecialToken {
  const char* text;
  int32_t type;
};

// Qwen2 order: <|endoftext|> first, as in Qwen's vocabulary.
constexpr SpecialToken kQwen2Specials[] = {
    {"<|endoftext|>", kTokenControl},
    {"<|im_start|>", kTokenControl},
    {"<|im_end|>", kTokenControl},
};

constexpr SpecialToken kLlamaSpecials[] = {
    {"<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", kTokenControl},  // <｜begin▁of▁sentence｜>
    {"<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", kTokenControl},    // <｜end▁of▁sentence｜>
    {"<\xEF\xBD\x9CUser\xEF\xBD\x9C>", kTokenControl},                                      // <｜User｜>
    {"<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>", kTokenControl},                                // <｜Assistant｜>
    {"<think>", kTokenUserDefined},
    {"</think>", kTokenUserDefined},
};

// One distinct pre-tokenized word of the corpus, as the ids of its current symbols.
struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

// Learns up to max_merges merges over `words`, appending new tokens to `tokens` and the
// merges ("left right") to `merges`.
void LearnMerges(std::vector<Word>& words, int32_t max_merges, std::vector<std::string>* tokens,
                 std::vector<std::string>* merges) {
  std::unordered_map<std::string, int32_t> id_of;
  for (size_t i = 0; i < tokens->size(); ++i) id_of.emplace((*tokens)[i], static_cast<int32_t>(i));

  for (int32_t m = 0; m < max_merges; ++m) {
    // Ordered map: the scan below picks the lowest pair among equal counts, deterministically.
    std::map<std::pair<int32_t, int32_t>, int64_t> pair_counts;
    for (const Word& w : words) {
      for (size_t i = 0; i + 1 < w.symbols.size(); ++i) pair_counts[{w.symbols[i], w.symbols[i + 1]}] += w.count;
    }
    std::pair<int32_t, int32_t> best{-1, -1};
    int64_t best_count = 1;  // a pair seen once teaches nothing
    for (const auto& [pair, count] : pair_counts) {
      if (count > best_count) {
        best = pair;
        best_count = count;
      }
    }
    if (best.first < 0) break;

    const std::string left = (*tokens)[best.first];
    const std::string right = (*tokens)[best.second];
    const std::string text = left + right;
    // Two different pairs can spell the same token ("ab"+"c", "a"+"bc"): both merges map
    // to one id, as in real vocabularies.
    auto [it, inserted] = id_of.emplace(text, static_cast<int32_t>(tokens->size()));
    if (inserted) tokens->push_back(text);
    const int32_t merged = it->second;
    merges->push_back(left + " " + right);

    for (Word& w : words) {
      std::vector<int32_t>& s = w.symbols;
      size_t out = 0;
      for (size_t i = 0; i < s.size(); ++i) {
        if (i + 1 < s.size() && s[i] == best.first && s[i + 1] == best.second) {
          s[out++] = merged;
          ++i;
        } else {
          s[out++] = s[i];
        }
      }
      s.resize(out);
    }
  }
}

}  // namespace

Result<DemoVocab> BuildDemoVocab(const DemoVocabOptions& options) {
  DemoVocab v;
  std::string_view chat_template;
  const SpecialToken* specials = nullptr;
  size_t n_specials = 0;
  if (options.arch == "qwen2") {
    v.pre = "qwen2";
    chat_template = kChatMlTemplate;
    specials = kQwen2Specials;
    n_specials = std::size(kQwen2Specials);
  } else if (options.arch == "llama") {
    v.pre = "deepseek-llm";
    chat_template = kDeepSeekR1Template;
    specials = kLlamaSpecials;
    n_specials = std::size(kLlamaSpecials);
  } else {
    return Status::InvalidArgument("demo vocabulary: unknown arch '" + options.arch + "' (llama or qwen2)");
  }
  if (options.max_merges < 0) return Status::InvalidArgument("demo vocabulary: negative merge count");
  v.chat_template = std::string(chat_template);

  for (int b = 0; b < 256; ++b) v.tokens.push_back(BpeModel::ByteToUnicode(static_cast<uint8_t>(b)));

  // Words as the encoder will see them: the same pre-tokenizer the vocabulary names.
  const PreTokenizerKind kind = PreTokenizerFromName(v.pre).value_or(PreTokenizerKind::kDefault);
  std::map<std::string, int64_t> word_counts;  // ordered: word order must not depend on hashing
  for (std::string& w : PreTokenizeToStrings(kind, DemoCorpus())) ++word_counts[std::move(w)];
  std::vector<Word> words;
  words.reserve(word_counts.size());
  for (const auto& [text, count] : word_counts) {
    Word w;
    w.count = count;
    for (unsigned char c : text) w.symbols.push_back(c);
    words.push_back(std::move(w));
  }
  LearnMerges(words, options.max_merges, &v.tokens, &v.merges);
  v.n_learned = static_cast<int32_t>(v.tokens.size());
  v.token_types.assign(v.tokens.size(), kTokenNormal);

  for (size_t i = 0; i < n_specials; ++i) {
    v.tokens.push_back(specials[i].text);
    v.token_types.push_back(specials[i].type);
  }
  const int32_t first_special = v.n_learned;
  if (options.arch == "qwen2") {
    v.bos = first_special;      // <|endoftext|>
    v.pad = first_special;
    v.eos = first_special + 2;  // <|im_end|>
    v.add_bos = false;
  } else {
    v.bos = first_special;      // <｜begin▁of▁sentence｜>
    v.eos = first_special + 1;  // <｜end▁of▁sentence｜>
    v.add_bos = true;
  }

  if (options.padded_size != 0) {
    if (options.padded_size < v.n_vocab()) {
      return Status::InvalidArgument("demo vocabulary: padded size " + std::to_string(options.padded_size) +
                                     " is below the natural size " + std::to_string(v.n_vocab()));
    }
    // UNUSED tokens are never produced by encoding (no merge yields them, they are not
    // special) and decode to nothing; the brackets keep them clear of byte-level texts.
    for (int32_t i = v.n_vocab(); i < options.padded_size; ++i) {
      v.tokens.push_back("[PAD" + std::to_string(i) + "]");
      v.token_types.push_back(kTokenUnused);
    }
  }
  return v;
}

Status AddDemoVocabMetadata(const DemoVocab& v, GgufWriter* w) {
  DG_RETURN_IF_ERROR(w->AddString("tokenizer.ggml.model", "gpt2"));
  DG_RETURN_IF_ERROR(w->AddString("tokenizer.ggml.pre", v.pre));
  DG_RETURN_IF_ERROR(w->AddStringArray("tokenizer.ggml.tokens", v.tokens));
  DG_RETURN_IF_ERROR(w->AddI32Array("tokenizer.ggml.token_type", v.token_types));
  DG_RETURN_IF_ERROR(w->AddStringArray("tokenizer.ggml.merges", v.merges));
  DG_RETURN_IF_ERROR(w->AddU32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(v.bos)));
  DG_RETURN_IF_ERROR(w->AddU32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(v.eos)));
  if (v.pad >= 0) DG_RETURN_IF_ERROR(w->AddU32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(v.pad)));
  DG_RETURN_IF_ERROR(w->AddBool("tokenizer.ggml.add_bos_token", v.add_bos));
  DG_RETURN_IF_ERROR(w->AddBool("tokenizer.ggml.add_eos_token", false));
  DG_RETURN_IF_ERROR(w->AddString("tokenizer.chat_template", v.chat_template));
  return Status::Ok();
}

}  // namespace deepgate::demo
