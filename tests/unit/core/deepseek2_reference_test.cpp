// deepseek2 (MLA + MoE) against llama.cpp's reference logits (../shared/data/models): every
// stored position must reach cosine >= 0.995 through one whole-prompt batch, token by token
// through the latent KV cache, and in chunks sharing each Eval with another sequence, as the
// batching engine runs them. Also: the latent and expanded attention forms agree, and the cache
// holds kv_lora_rank + rope values per token and layer.
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "core/fp16.h"
#include "core/gguf.h"
#include "core/model/model.h"
#include "test_support.h"

namespace deepgate {
namespace {

struct Reference {
  std::vector<int32_t> tokens;
  std::vector<int32_t> positions;
  int64_t n_vocab = 0;
  std::vector<float> logits;  // [positions][n_vocab]
};

std::vector<int32_t> IntArray(const std::string& json, const std::string& key) {
  std::smatch m;
  std::vector<int32_t> out;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\"\\s*:\\s*\\[([^\\]]*)\\]"))) return out;
  std::stringstream ss(m[1].str());
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::stoi(item));
  return out;
}

bool ReadReference(const std::string& sidecar, Reference* ref) {
  std::ifstream in(sidecar);
  if (!in) return false;
  const std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ref->tokens = IntArray(json, "tokens");
  ref->positions = IntArray(json, "positions");
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"n_vocab\"\\s*:\\s*(\\d+)"))) return false;
  ref->n_vocab = std::stoll(m[1].str());
  if (!std::regex_search(json, m, std::regex("\"logits_file\"\\s*:\\s*\"([^\"]+)\""))) return false;
  const std::string dir = sidecar.substr(0, sidecar.find_last_of('/') + 1);
  std::ifstream lf(dir + m[1].str(), std::ios::binary);
  std::vector<uint16_t> half(ref->positions.size() * static_cast<size_t>(ref->n_vocab));
  lf.read(reinterpret_cast<char*>(half.data()), static_cast<std::streamsize>(half.size() * 2));
  if (!lf) return false;
  ref->logits.resize(half.size());
  for (size_t i = 0; i < half.size(); ++i) ref->logits[i] = Fp16ToF32(half[i]);
  return true;
}

double Cosine(const float* a, const float* b, int64_t n) {
  double dot = 0, na = 0, nb = 0;
  for (int64_t i = 0; i < n; ++i) dot += double(a[i]) * b[i], na += double(a[i]) * a[i], nb += double(b[i]) * b[i];
  return dot / std::sqrt(na * nb);
}

// Checks all-position logits [tokens][n_vocab] against the reference at its stored positions:
// cosine >= 0.995 at every position but at most `allowed_misses`, which must still reach 0.94.
void ExpectMatches(const Reference& ref, const std::vector<float>& got, const std::string& what,
                   int allowed_misses = 0) {
  double lo = 1.0;
  int misses = 0;
  for (size_t i = 0; i < ref.positions.size(); ++i) {
    const double c = Cosine(got.data() + ref.positions[i] * ref.n_vocab, ref.logits.data() + i * ref.n_vocab, ref.n_vocab);
    if (c < 0.995) {
      ++misses;
      std::printf("%s: position %d cos %.6f\n", what.c_str(), ref.positions[i], c);
    }
    EXPECT_GE(c, allowed_misses > 0 ? 0.94 : 0.995) << what << " position " << ref.positions[i];
    lo = std::min(lo, c);
  }
  EXPECT_LE(misses, allowed_misses) << what;
  std::printf("%-48s min cos %.6f\n", what.c_str(), lo);
}

struct Case {
  const char* model;
  const char* sidecar_base;  // <base>.p1.json / .p2.json
};

class Deepseek2ReferenceTest : public ::testing::TestWithParam<Case> {
 protected:
  std::string ModelPath() const { return testing::SharedDataDir() + "/models/" + GetParam().model; }
  std::unique_ptr<Model> Load(ModelOptions::MlaPath path = ModelOptions::MlaPath::kAuto) {
    ModelOptions o;
    o.n_threads = 2;
    o.mla_path = path;
    auto m = Model::Load(ModelPath(), o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  // Evaluates each prompt into all-position logits with `eval` and checks them.
  template <typename Eval>
  void CheckEveryPrompt(const std::string& how, int allowed_misses, Eval eval,
                        ModelOptions::MlaPath path = ModelOptions::MlaPath::kAuto) {
    DG_REQUIRE_SHARED_DATA(ModelPath());
    auto model = Load(path);
    ASSERT_TRUE(model);
    for (const Reference& ref : Refs()) {
      auto seq = model->NewSequence(256);
      ASSERT_TRUE(seq.ok());
      std::vector<float> got(ref.tokens.size() * ref.n_vocab);
      eval(*model, **seq, ref, got.data());
      ExpectMatches(ref, got, std::string(GetParam().model) + " " + how + " " + std::to_string(ref.tokens.size()),
                    allowed_misses);
    }
  }
  std::vector<Reference> Refs() {
    std::vector<Reference> refs;
    for (const char* p : {".p1.json", ".p2.json"}) {
      Reference r;
      const std::string path = testing::SharedDataDir() + "/models/" + GetParam().sidecar_base + p;
      EXPECT_TRUE(ReadReference(path, &r)) << path;
      refs.push_back(std::move(r));
    }
    return refs;
  }
};

TEST_P(Deepseek2ReferenceTest, WholePromptBatch) {
  CheckEveryPrompt("batch", 0, [](Model& m, SequenceState& seq, const Reference& ref, float* got) {
    ASSERT_TRUE(m.Eval(seq, ref.tokens.data(), static_cast<int32_t>(ref.tokens.size()), got, true).ok());
  });
}

void OneByOne(Model& m, SequenceState& seq, const Reference& ref, float* got) {
  for (size_t i = 0; i < ref.tokens.size(); ++i) {
    ASSERT_TRUE(m.Eval(seq, &ref.tokens[i], 1, got + i * ref.n_vocab, false).ok());
  }
}

// Token by token with every step expanded from the cache as llama.cpp computes it: every
// position of every file reaches 0.995 (min 0.99983), so the cache stores each latent
// rounded where llama.cpp's graph rounds it (the Q8_0 round trip of a quantized attn_kv_b's
// activations, then f16). Before the cache held the latent after that round trip, this path
// missed the same ds3-tiny.q4_k_m position as the latent one (cosine 0.968).
TEST_P(Deepseek2ReferenceTest, TokenByTokenMirroringLlamaCppFromTheCache) {
  CheckEveryPrompt("one by one, mirrored", 0, OneByOne, ModelOptions::MlaPath::kMirrored);
}

// Known, irreducible gap of the latent form (the one decode uses): it never forms the expanded
// keys and values, so it cannot round them to f16 as llama.cpp's cache does (relative 2^-11
// each). The ds3 references route tokens on near ties — in layer 2 at p2 position 40 of
// ds3-tiny.q8_0-kvb16, llama.cpp's top-2 rank (sigmoid + exp_probs_b) is expert 4 at 0.653186
// against expert 1 at 0.652973 (2.1e-4 apart); the latent form computes 0.652979 and 0.653852
// and takes expert 1. That position lands at cosine 0.947 (q4_k_m: position 12, 0.968; its
// batch margin 1.4e-3), every other one of every file at >= 0.9996. Rounding q, the RoPE
// query and the probabilities to f16 in the latent form, or using an f16 W_v, moves none of
// these (measured: 0.9474, 0.9680); the mirrored path above meets 0.995 at every position.
TEST_P(Deepseek2ReferenceTest, TokenByTokenThroughTheLatentCache) {
  CheckEveryPrompt("one by one", 1, OneByOne);
}

// As the engine steps: the prompt in chunks of 16 (prefill) while another sequence decodes in
// the same Eval calls.
TEST_P(Deepseek2ReferenceTest, ChunksBesideAnotherSequence) {
  CheckEveryPrompt("chunks beside another", 0, [](Model& m, SequenceState& seq, const Reference& ref, float* got) {
    auto other = m.NewSequence(256);
    ASSERT_TRUE(other.ok());
    const std::vector<int32_t> other_tokens = {1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203};
    std::vector<float> other_logits(ref.n_vocab);
    for (size_t done = 0, step = 0; done < ref.tokens.size(); ++step) {
      const int32_t n = static_cast<int32_t>(std::min<size_t>(16, ref.tokens.size() - done));
      std::vector<BatchEntry> batch(2);
      batch[0] = BatchEntry{other->get(), &other_tokens[step % other_tokens.size()], 1, other_logits.data(), false};
      batch[1] = BatchEntry{&seq, ref.tokens.data() + done, n, got + done * ref.n_vocab, true};
      ASSERT_TRUE(m.Eval(batch).ok());
      done += static_cast<size_t>(n);
    }
  });
}

TEST_P(Deepseek2ReferenceTest, CacheHoldsLatentAndRopeKeyOnly) {
  DG_REQUIRE_SHARED_DATA(ModelPath());
  auto model = Load();
  ASSERT_TRUE(model);
  const ModelInfo& info = model->info();
  auto kv_lora = model->gguf().GetInt("deepseek2.attention.kv_lora_rank");
  auto rope = model->gguf().GetInt("deepseek2.rope.dimension_count");
  ASSERT_TRUE(kv_lora.ok() && rope.ok());
  const uint64_t per_token = static_cast<uint64_t>(info.n_layer) * static_cast<uint64_t>(*kv_lora + *rope) * 2;
  EXPECT_EQ(info.kv_bytes_per_token, per_token);
  auto seq = model->NewSequence(256);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ((*seq)->memory_bytes(), per_token * 256);
  // llama.cpp's cache at the reference commit: n_head * (key_length + value_length) f16 per layer.
  const uint64_t expanded = static_cast<uint64_t>(info.n_layer) * info.n_head * (48 + 32) * 2;
  EXPECT_GE(expanded / per_token, 4u);
}

INSTANTIATE_TEST_SUITE_P(Files, Deepseek2ReferenceTest,
                         ::testing::Values(Case{"ds2lite-tiny.q8_0.gguf", "ds2lite-tiny.q8_0"},
                                           Case{"ds3-tiny.q4_k_m.gguf", "ds3-tiny.q4_k_m"},
                                           Case{"ds3-tiny.q8_0-kvb16.gguf", "ds3-tiny.q8_0-kvb16"},
                                           Case{"ds3mla-tiny.q8_0-kvb16.gguf", "ds3-tiny.q8_0-kvb16"}),
                         [](const auto& info) {
                           std::string n = info.param.model;
                           n = n.substr(0, n.find(".gguf"));
                           for (char& c : n) if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace deepgate
