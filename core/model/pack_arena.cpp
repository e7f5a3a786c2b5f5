// PackArena: 2 MiB aligned anonymous chunks, slices bumped off the last one.
#include "core/model/pack_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace deepgate {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
// Address space per chunk (reserved, not committed): one or two chunks hold a small
// model's copies; a matrix larger than this gets a chunk of its own size.
constexpr size_t kChunkBytes = size_t{1} << 30;
constexpr size_t kAlign = 64;

// Address space for a chunk. MAP_NORESERVE keeps untouched tails out of the commit charge,
// except under strict overcommit (vm.overcommit_memory=2), where a full chunk may not fit:
// Take then retries with just the slice.
void* Reserve(size_t bytes) {
  return mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
}

}  // namespace

PackArena::~PackArena() {
  for (const Chunk& c : chunks_) munmap(c.map, c.map_size);
}

uint8_t* PackArena::Take(size_t bytes) {
  if (!chunks_.empty()) {
    Chunk& c = chunks_.back();
    const size_t at = (c.used + kAlign - 1) / kAlign * kAlign;
    if (at + bytes <= c.size) {
      c.used = at + bytes;
      return c.base + at;
    }
  }
  const size_t exact = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  size_t size = std::max(kChunkBytes, exact);
  void* map = Reserve(size + kHugePage);  // slack to round the start up to 2 MiB
  if (map == MAP_FAILED && size > exact) map = Reserve((size = exact) + kHugePage);
  if (map == MAP_FAILED) return nullptr;
  const size_t map_size = size + kHugePage;
  const uintptr_t start = reinterpret_cast<uintptr_t>(map);
  auto* base = reinterpret_cast<uint8_t*>((start + kHugePage - 1) / kHugePage * kHugePage);
  madvise(base, size, MADV_HUGEPAGE);
  chunks_.push_back(Chunk{base, size, bytes, map, map_size});
  return base;
}

void PackArena::Populate(uint8_t* p, size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes + page - 1) / page * page;
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace deepgate
