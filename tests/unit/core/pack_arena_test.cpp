// PackArena: slices are 64-byte aligned, disjoint, writable after Populate, and a slice larger
// than a chunk gets a mapping of its own; a chunk starts on a 2 MiB boundary (huge pages).
#include "core/model/pack_arena.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

TEST(PackArenaTest, SlicesAreAlignedDisjointAndWritable) {
  PackArena arena;
  std::vector<std::pair<uint8_t*, size_t>> slices;
  for (size_t bytes : {size_t{100}, size_t{4096}, size_t{1} << 20, size_t{3}, size_t{5} << 20}) {
    uint8_t* p = arena.Take(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
    PackArena::Populate(p, bytes);
    for (size_t i = 0; i < bytes; i += 997) EXPECT_EQ(p[i], 0) << "fresh memory reads as zero";
    std::memset(p, static_cast<int>(slices.size() + 1), bytes);
    slices.emplace_back(p, bytes);
  }
  EXPECT_EQ(reinterpret_cast<uintptr_t>(slices[0].first) % (2u << 20), 0u) << "first chunk 2 MiB aligned";
  for (size_t i = 0; i < slices.size(); ++i) {  // each kept its own bytes: no overlap
    for (size_t k = 0; k < slices[i].second; k += 4093) ASSERT_EQ(slices[i].first[k], i + 1) << "slice " << i;
  }
}

TEST(PackArenaTest, SliceLargerThanAChunkGetsItsOwn) {
  PackArena arena;
  uint8_t* small = arena.Take(64);
  const size_t big_bytes = (size_t{1} << 30) + 4096;  // over one chunk; address space only
  uint8_t* big = arena.Take(big_bytes);
  ASSERT_NE(small, nullptr);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big) % (2u << 20), 0u);
  big[0] = 1;
  big[big_bytes - 1] = 2;  // the whole slice is mapped
  EXPECT_EQ(big[big_bytes - 1], 2);
  uint8_t* next = arena.Take(64);  // continues after the big slice, not over it
  ASSERT_NE(next, nullptr);
  EXPECT_TRUE(next >= big + big_bytes || next + 64 <= big);
}

}  // namespace
}  // namespace deepgate
