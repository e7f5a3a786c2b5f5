// GgmlType: the tensor element types a GGUF file can name, with their block layout.
//
// Ids are the on-disk values of the GGUF/ggml format. TypeTraits tells how many elements a
// block holds and how many bytes it takes, so the reader can validate every tensor extent.
// Thread-safety: immutable tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace deepgate {

enum class GgmlType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  BF16 = 30,
};

struct TypeTraits {
  const char* name;     // "q4_K", as ggml spells it
  int64_t block_elems;  // elements per block (1 for plain types)
  size_t block_bytes;   // bytes per block
};

// Traits for a raw on-disk id; nullopt for ids whose layout we do not know.
std::optional<TypeTraits> TypeTraitsOf(uint32_t raw_type);
const char* TypeName(GgmlType t);

// Bytes of a row of n elements; nullopt when n is not a whole number of blocks.
std::optional<size_t> RowBytes(GgmlType t, int64_t n);

}  // namespace deepgate
