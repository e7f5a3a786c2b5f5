// PackArena: the private memory that holds one model's repacked weight copies
// (WeightMatrix::packed), carved out of a few large anonymous mappings.
//
// Why not one mmap per matrix: on VMs every page fault is a trap to the hypervisor, and
// a per-matrix mapping starts and ends off a 2 MiB boundary, so its head and tail (and
// every matrix under 2 MiB: attention projections of small models) fell back to 4 KiB
// pages, 10x the faults of the plain mmapped load (qwen2-0.5B Q8_0: 54k faults, a third
// of the repack's time). Chunks here are 2 MiB aligned and advised MADV_HUGEPAGE, and each
// slice is pre-faulted in one MADV_POPULATE_WRITE call by the thread that packs into it.
// Untaken chunk tails are reserved address space only (MAP_NORESERVE, never touched).
// Thread-safety: Take from one thread (the loader); Populate from any.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace deepgate {

class PackArena {
 public:
  PackArena() = default;
  PackArena(const PackArena&) = delete;
  PackArena& operator=(const PackArena&) = delete;
  ~PackArena();

  // A 64-byte aligned slice of `bytes`, or null when the address space cannot be mapped.
  uint8_t* Take(size_t bytes);
  // Pre-faults [p, p + bytes) for writing (huge pages where the kernel gives them); a no-op
  // where MADV_POPULATE_WRITE is unknown (Linux < 5.14): the stores then fault as usual.
  static void Populate(uint8_t* p, size_t bytes);

 private:
  struct Chunk {
    uint8_t* base = nullptr;  // 2 MiB aligned
    size_t size = 0;          // bytes reserved
    size_t used = 0;
    void* map = nullptr;      // the mapping (base rounded down by the alignment slack)
    size_t map_size = 0;
  };
  std::vector<Chunk> chunks_;
};

}  // namespace deepgate
