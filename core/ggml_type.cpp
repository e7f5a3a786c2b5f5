#include "core/ggml_type.h"

namespace deepgate {

std::optional<TypeTraits> TypeTraitsOf(uint32_t raw_type) {
  // Block layouts from the ggml sources' block_* structs (sizes in bytes).
  switch (static_cast<GgmlType>(raw_type)) {
    case GgmlType::F32: return TypeTraits{"f32", 1, 4};
    case GgmlType::F16: return TypeTraits{"f16", 1, 2};
    case GgmlType::BF16: return TypeTraits{"bf16", 1, 2};
    case GgmlType::Q4_0: return TypeTraits{"q4_0", 32, 2 + 16};
    case GgmlType::Q4_1: return TypeTraits{"q4_1", 32, 2 + 2 + 16};
    case GgmlType::Q5_0: return TypeTraits{"q5_0", 32, 2 + 4 + 16};
    case GgmlType::Q5_1: return TypeTraits{"q5_1", 32, 2 + 2 + 4 + 16};
    case GgmlType::Q8_0: return TypeTraits{"q8_0", 32, 2 + 32};
    case GgmlType::Q8_1: return TypeTraits{"q8_1", 32, 2 + 2 + 32};
    case GgmlType::Q2_K: return TypeTraits{"q2_K", 256, 16 + 64 + 2 + 2};
    case GgmlType::Q3_K: return TypeTraits{"q3_K", 256, 32 + 64 + 12 + 2};
    case GgmlType::Q4_K: return TypeTraits{"q4_K", 256, 2 + 2 + 12 + 128};
    case GgmlType::Q5_K: return TypeTraits{"q5_K", 256, 2 + 2 + 12 + 32 + 128};
    case GgmlType::Q6_K: return TypeTraits{"q6_K", 256, 128 + 64 + 16 + 2};
    case GgmlType::Q8_K: return TypeTraits{"q8_K", 256, 4 + 256 + 2 * 16};
    case GgmlType::I8: return TypeTraits{"i8", 1, 1};
    case GgmlType::I16: return TypeTraits{"i16", 1, 2};
    case GgmlType::I32: return TypeTraits{"i32", 1, 4};
    case GgmlType::I64: return TypeTraits{"i64", 1, 8};
    case GgmlType::F64: return TypeTraits{"f64", 1, 8};
  }
  return std::nullopt;
}

const char* TypeName(GgmlType t) {
  auto traits = TypeTraitsOf(static_cast<uint32_t>(t));
  return traits ? traits->name : "unknown";
}

std::optional<size_t> RowBytes(GgmlType t, int64_t n) {
  auto traits = TypeTraitsOf(static_cast<uint32_t>(t));
  if (!traits || n < 0 || n % traits->block_elems != 0) return std::nullopt;
  return static_cast<size_t>(n / traits->block_elems) * traits->block_bytes;
}

}  // namespace deepgate
