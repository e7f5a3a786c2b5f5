// Tokenizer::FromGguf: reads the tokenizer.* metadata keys into a VocabSpec.
#include "core/gguf.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate {
namespace {

// Optional key: absent -> nullopt; present but malformed -> error.
template <typename T, typename Getter>
Status ReadOptional(const GgufFile& f, std::string_view key, Getter get, std::optional<T>* out) {
  if (!f.Has(key)) return Status::Ok();
  auto r = get(key);
  if (!r.ok()) return r.status();
  *out = static_cast<T>(r.value());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  VocabSpec spec;
  DG_ASSIGN_OR_RETURN(std::string_view model, file.GetString("tokenizer.ggml.model"));
  spec.model = std::string(model);
  if (file.Has("tokenizer.ggml.pre")) {
    DG_ASSIGN_OR_RETURN(std::string_view pre, file.GetString("tokenizer.ggml.pre"));
    spec.pre = std::string(pre);
  }
  {
    DG_ASSIGN_OR_RETURN(auto tokens, file.GetStringArray("tokenizer.ggml.tokens"));
    spec.tokens.assign(tokens.begin(), tokens.end());
  }
  if (file.Has("tokenizer.ggml.scores")) {
    DG_ASSIGN_OR_RETURN(spec.scores, file.GetFloatArray("tokenizer.ggml.scores"));
  }
  if (file.Has("tokenizer.ggml.token_type")) {
    DG_ASSIGN_OR_RETURN(spec.token_types, file.GetIntArray("tokenizer.ggml.token_type"));
  }
  if (spec.model == "gpt2") {
    DG_ASSIGN_OR_RETURN(auto merges, file.GetStringArray("tokenizer.ggml.merges"));
    spec.merges.assign(merges.begin(), merges.end());
  }
  auto get_int = [&](std::string_view k) { return file.GetInt(k); };
  auto get_bool = [&](std::string_view k) { return file.GetBool(k); };
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.bos_token_id", get_int, &spec.bos));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.eos_token_id", get_int, &spec.eos));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.eot_token_id", get_int, &spec.eot));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.eom_token_id", get_int, &spec.eom));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.unknown_token_id", get_int, &spec.unk));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.padding_token_id", get_int, &spec.pad));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.add_bos_token", get_bool, &spec.add_bos));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.add_eos_token", get_bool, &spec.add_eos));
  DG_RETURN_IF_ERROR(ReadOptional(file, "tokenizer.ggml.add_space_prefix", get_bool, &spec.add_space_prefix));
  auto result = FromVocab(std::move(spec));
  if (!result.ok()) return result.status().WithContext("tokenizer");
  return result;
}

}  // namespace deepgate
