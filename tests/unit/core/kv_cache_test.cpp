// KvSequence layout: values are stored transposed in blocks of kVBlock positions. Every
// (layer, dim, position) must have its own slot inside the allocation, rows of one block must
// be kVBlock apart (attention reads them with that stride), and a block's positions must be
// contiguous.
#include <gtest/gtest.h>

#include <set>

#include "core/model/kv_cache.h"

namespace deepgate {
namespace {

TEST(KvSequenceTest, ValueSlotsAreDistinctAndBlocked) {
  constexpr int32_t kLayers = 3, kCtx = 300;  // 300: two full blocks and a partial one
  constexpr int64_t kDim = 8;
  constexpr int32_t kB = KvSequence::kVBlock;
  auto s = KvSequence::Create(nullptr, kLayers, kCtx, kDim, kDim);
  ASSERT_TRUE(s.ok());
  KvSequence& seq = **s;
  const uint16_t* base = seq.v_block(0, 0, 0);
  const size_t n_blocks = (kCtx + kB - 1) / kB;
  const size_t slots = static_cast<size_t>(kLayers) * n_blocks * kB * kDim;
  std::set<size_t> seen;
  for (int32_t layer = 0; layer < kLayers; ++layer) {
    for (int64_t d = 0; d < kDim; ++d) {
      for (int32_t pos = 0; pos < kCtx; ++pos) {
        const size_t off = static_cast<size_t>(seq.v_at(layer, d, pos) - base);
        ASSERT_LT(off, slots);
        ASSERT_TRUE(seen.insert(off).second) << layer << " " << d << " " << pos;
        EXPECT_EQ(seq.v_at(layer, d, pos), seq.v_block(layer, pos / kB, d) + pos % kB);
        if (d > 0) {
          EXPECT_EQ(seq.v_at(layer, d, pos) - seq.v_at(layer, d - 1, pos), kB);
        }
      }
    }
  }
  EXPECT_GE(seq.memory_bytes(), slots * sizeof(uint16_t));
}

}  // namespace
}  // namespace deepgate
