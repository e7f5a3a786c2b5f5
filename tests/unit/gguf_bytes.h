// GgufBytes: a test-only builder of raw GGUF bytes, so tests can craft valid files and
// precisely corrupted ones (wrong counts, offsets, types) without going through a writer
// that would refuse to produce them.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace deepgate::testing {

class GgufBytes {
 public:
  std::vector<uint8_t> bytes;

  GgufBytes& U8(uint8_t v) { bytes.push_back(v); return *this; }
  GgufBytes& U32(uint32_t v) { return Raw(&v, 4); }
  GgufBytes& U64(uint64_t v) { return Raw(&v, 8); }
  GgufBytes& I32(int32_t v) { return Raw(&v, 4); }
  GgufBytes& F32(float v) { return Raw(&v, 4); }
  GgufBytes& Str(const std::string& s) { U64(s.size()); return Raw(s.data(), s.size()); }
  GgufBytes& Raw(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
    return *this;
  }
  GgufBytes& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    U32(0x46554747);
    U32(version);
    U64(n_tensors);
    return U64(n_kv);
  }
  // Key + type tag; the caller appends the value.
  GgufBytes& Key(const std::string& k, uint32_t type) { Str(k); return U32(type); }
  GgufBytes& TensorInfo(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    Str(name);
    U32(static_cast<uint32_t>(ne.size()));
    for (auto n : ne) U64(n);
    U32(type);
    return U64(offset);
  }
  GgufBytes& PadTo(size_t alignment) {
    while (bytes.size() % alignment) bytes.push_back(0);
    return *this;
  }
  GgufBytes& Zeros(size_t n) { bytes.resize(bytes.size() + n, 0); return *this; }
};

// A small valid v3 file: 5 metadata entries of several types, two f32 tensors.
inline std::vector<uint8_t> SmallValidGguf() {
  GgufBytes b;
  b.Header(3, 2, 5);
  b.Key("general.architecture", 8).Str("llama");
  b.Key("llama.block_count", 4).U32(2);
  b.Key("llama.rope.freq_base", 6).F32(10000.0f);
  b.Key("tokenizer.ggml.tokens", 9).U32(8).U64(3).Str("a").Str("bc").Str("<s>");
  b.Key("tokenizer.ggml.scores", 9).U32(6).U64(3).F32(0.5f).F32(-1.0f).F32(2.0f);
  b.TensorInfo("a", {4, 2}, 0, 0);
  b.TensorInfo("b", {8}, 0, 32);
  b.PadTo(32);
  for (int i = 0; i < 8; ++i) b.F32(static_cast<float>(i));
  b.Zeros(0);  // 32 bytes so far; tensor b at data offset 32
  for (int i = 0; i < 8; ++i) b.F32(static_cast<float>(100 + i));
  return b.bytes;
}

}  // namespace deepgate::testing
