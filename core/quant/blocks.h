// The on-disk block layouts of ggml's quantized types, as plain structs, with the small
// decoding helpers every kernel shares. Layouts are facts of the GGUF format; each struct's
// size is checked against GgmlType's traits.
// Thread-safety: types and pure inline functions only.
#pragma once

#include <cstdint>
#include <cstring>

namespace deepgate::quant {

inline constexpr int kQK = 32;    // elements per block of the legacy types (Q4_0 .. Q8_0)
inline constexpr int kQK_K = 256; // elements per super-block of the K-quants

// x = d * (q - 8), q a nibble. Elements 0..15 are the low nibbles of qs, 16..31 the high.
struct BlockQ4_0 {
  uint16_t d;  // fp16
  uint8_t qs[kQK / 2];
};
// x = d * q + m.
struct BlockQ4_1 {
  uint16_t d, m;  // fp16
  uint8_t qs[kQK / 2];
};
// x = d * (q - 16), q = nibble | bit j of qh << 4 (qh bit j belongs to element j).
struct BlockQ5_0 {
  uint16_t d;  // fp16
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
struct BlockQ5_1 {
  uint16_t d, m;  // fp16
  uint8_t qh[4];
  uint8_t qs[kQK / 2];
};
// x = d * q.
struct BlockQ8_0 {
  uint16_t d;  // fp16
  int8_t qs[kQK];
};

// Element 128n + 32j + l (l < 32): q = (qs[32n + l] >> 2j) & 3, sub-block is = 8n + 2j + l/16,
// x = d * (scales[is] & 15) * q - dmin * (scales[is] >> 4).
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];
  uint8_t qs[kQK_K / 4];
  uint16_t d, dmin;  // fp16
};
// Element 128n + 32j + l: q = ((qs[32n + l] >> 2j) & 3) - (hmask[l] bit (4n + j) ? 0 : 4),
// x = d * (scale6(is) - 32) * q with 16 six-bit scales packed into 12 bytes.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];
  uint8_t qs[kQK_K / 4];
  uint8_t scales[12];
  uint16_t d;  // fp16
};
// Eight sub-blocks of 32. Chunk c (64 elements): low nibbles of qs[32c..32c+31] are sub-block
// 2c, high nibbles sub-block 2c+1; x = d * sc[s] * q - dmin * m[s] (6-bit sc/m in 12 bytes).
struct BlockQ4_K {
  uint16_t d, dmin;  // fp16
  uint8_t scales[12];
  uint8_t qs[kQK_K / 2];
};
// As Q4_K plus a fifth bit: qh[l] bit 2c is element 64c + l's, bit 2c+1 element 64c + 32 + l's.
struct BlockQ5_K {
  uint16_t d, dmin;  // fp16
  uint8_t scales[12];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
// Sixteen sub-blocks of 16, x = d * scales[s] * (q - 32), q six bits. In half h (128 elements),
// for l < 32: element l from ql[l] low nibble + qh[l] bits 0-1, l+32 from ql[l+32] low + bits
// 2-3, l+64 from ql[l] high + bits 4-5, l+96 from ql[l+32] high + bits 6-7 (ql += 64, qh += 32).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;  // fp16
};
// Activation format for K-quant dot products: x = d * q; bsums[g] = sum of qs[16g .. 16g+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210 && sizeof(BlockQ8_K) == 292);

// Q4_K / Q5_K: scale and min of sub-block s (0..7) from the 12-byte packed form.
inline void UnpackScaleMinK4(const uint8_t* packed, int s, uint8_t* scale, uint8_t* min) {
  if (s < 4) {
    *scale = packed[s] & 63;
    *min = packed[s + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((packed[s + 4] & 0xF) | ((packed[s - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((packed[s + 4] >> 4) | ((packed[s] >> 6) << 4));
  }
}

// Q4_K / Q5_K: all 8 six-bit scales (bytes 0..7 of out) and 8 mins (bytes 8..15) at once,
// four per 32-bit word, for the SIMD kernels' byte shuffles.
inline void UnpackScalesMinsK4(const uint8_t* packed, uint32_t out[4]) {
  constexpr uint32_t kLow6 = 0x3F3F3F3F, kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
  uint32_t w[3];
  std::memcpy(w, packed, 12);
  out[0] = w[0] & kLow6;                                          // scales 0..3
  out[1] = (w[2] & kLow4) | (((w[0] >> 6) & kLow2) << 4);         // scales 4..7
  out[2] = w[1] & kLow6;                                          // mins 0..3
  out[3] = ((w[2] >> 4) & kLow4) | (((w[1] >> 6) & kLow2) << 4);  // mins 4..7
}

// Q3_K: signed scale (-32..31) of sub-block s (0..15) from the 12-byte packed form.
inline int UnpackScaleQ3K(const uint8_t* packed, int s) {
  int low, high;
  if (s < 4) {
    low = packed[s] & 0xF, high = packed[s + 8] & 3;
  } else if (s < 8) {
    low = packed[s] & 0xF, high = (packed[s + 4] >> 2) & 3;
  } else if (s < 12) {
    low = packed[s - 8] >> 4, high = (packed[s] >> 4) & 3;
  } else {
    low = packed[s - 8] >> 4, high = (packed[s - 4] >> 6) & 3;
  }
  return (low | (high << 4)) - 32;
}

}  // namespace deepgate::quant
