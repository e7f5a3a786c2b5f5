// WeightLoader: presence, type, shape and block checks for every tensor the model uses.
#include "core/model/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "core/gguf.h"
#include "core/model/pack_arena.h"
#include "core/quant/packed_gemm.h"
#include "core/quant/quant.h"

namespace deepgate {
namespace {

// Built with append: GCC 12 warns (-Wrestrict, a false positive) on "[" + std::to_string(a).
std::string Shape2(int64_t a, int64_t b) {
  std::string s("[");
  s.append(std::to_string(a)).append(", ").append(std::to_string(b)).append("]");
  return s;
}

std::string Shape1(int64_t n) {
  std::string s("[");
  s.append(std::to_string(n)).append("]");
  return s;
}

std::string Shape3(int64_t a, int64_t b, int64_t c) {
  std::string s = Shape2(a, b);
  s.pop_back();
  s.append(", ").append(std::to_string(c)).append("]");
  return s;
}

// Runs work(u0, u1) on contiguous ranges of n_units independent units over the CPUs: one
// thread per 4 MiB of `bytes` (at most one per unit and per CPU), the caller's among them.
void SplitOverThreads(size_t bytes, int64_t n_units, const std::function<void(int64_t, int64_t)>& work) {
  constexpr size_t kMinBytesPerThread = 4 << 20;
  const int64_t n_threads = std::clamp<int64_t>(static_cast<int64_t>(bytes / kMinBytesPerThread), 1,
                                                std::max<int64_t>(1, std::min<int64_t>(n_units, std::thread::hardware_concurrency())));
  auto part = [&](int64_t t) { work(n_units * t / n_threads, n_units * (t + 1) / n_threads); };
  std::vector<std::thread> threads;
  for (int64_t t = 1; t < n_threads; ++t) threads.emplace_back(part, t);
  part(0);
  for (std::thread& th : threads) th.join();
}

// PackWeights over the CPUs, whole 16-row groups per thread (groups are independent). Each
// thread first pre-faults its share of the destination (PackArena::Populate: one call, huge
// pages), so the kernel's zeroing of the fresh pages is split over the threads too.
void PackInParallel(const WeightMatrix& m, uint8_t* dst) {
  constexpr int64_t kRows = quant::kPackedGroupRows;
  const int64_t groups = (m.n_out + kRows - 1) / kRows;
  const size_t group_bytes = quant::PackedGroupBytes(m.type, m.n_in);
  SplitOverThreads(m.row_bytes * static_cast<size_t>(m.n_out), groups, [&](int64_t g0, int64_t g1) {
    const int64_t r0 = g0 * kRows, r1 = std::min(g1 * kRows, m.n_out);
    uint8_t* out = dst + static_cast<size_t>(g0) * group_bytes;
    PackArena::Populate(out, static_cast<size_t>(g1 - g0) * group_bytes);
    quant::PackWeights(m.type, m.n_in, m.row(r0), m.row_bytes, r1 - r0, out);
  });
}

// [src, src + bytes) -> dst over the CPUs in 64-byte lines, each thread pre-faulting its
// share first (as PackInParallel).
void CopyInParallel(const uint8_t* src, size_t bytes, uint8_t* dst) {
  const int64_t lines = static_cast<int64_t>((bytes + 63) / 64);
  SplitOverThreads(bytes, lines, [&](int64_t l0, int64_t l1) {
    const size_t b = static_cast<size_t>(l0) * 64, e = std::min(bytes, static_cast<size_t>(l1) * 64);
    PackArena::Populate(dst + b, e - b);
    std::memcpy(dst + b, src + b, e - b);
  });
}

// Drops this process's mapping of [p, p + bytes) of the read-only file mapping
// (MADV_DONTNEED: the pages come back from the page cache if a row is read again, e.g. a
// tied embedding's rows), so a packed copy replaces them in RSS instead of adding to them.
void DropMapped(const uint8_t* p, size_t bytes) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace

WeightLoader::WeightLoader(const GgufFile& file, bool repack) : file_(file), repack_(repack) {
  if (repack_) arena_ = std::make_shared<PackArena>();
}

WeightLoader::~WeightLoader() = default;

// m's rows (all m.n_out of them, in the packed GEMM layout) into the arena; m keeps its
// mapped rows when the arena cannot map (MatMul then runs the row kernels).
void WeightLoader::Repack(WeightMatrix* m) const {
  uint8_t* buf = arena_->Take(quant::PackedWeightBytes(m->type, m->n_in, m->n_out));
  if (!buf) return;
  PackInParallel(*m, buf);
  m->packed = buf;
  m->packed_owner = std::shared_ptr<const uint8_t>(arena_, buf);  // keeps the whole arena
  DropMapped(m->data, m->row_bytes * static_cast<size_t>(m->n_out));
}

// m's rows copied unchanged into the arena's 2 MiB pages, for types without a packed GEMM
// (F16, BF16, Q2_K, ...): from the file's 4 KiB pages, streaming the rows costs TLB walks
// and restarts the hardware prefetcher at every page (qwen2-0.5B BF16 decode, 2 threads:
// 37 -> 49 t/s; 1 thread +35 %). m keeps its mapped rows when the arena cannot map.
void WeightLoader::CopyToArena(WeightMatrix* m, size_t bytes) const {
  uint8_t* buf = arena_->Take(bytes);
  if (!buf) return;
  CopyInParallel(m->data, bytes, buf);
  DropMapped(m->data, bytes);
  m->data = buf;
  m->data_owner = std::shared_ptr<const uint8_t>(arena_, buf);
}

bool WeightLoader::Has(const std::string& name) const { return file_.FindTensor(name) != nullptr; }

Result<WeightMatrix> WeightLoader::Matrix(const std::string& name, int64_t n_in, int64_t n_out,
                                          bool for_matmul) const {
  const GgufTensor* t = file_.FindTensor(name);
  if (!t) return Status::InvalidArgument("tensor '" + name + "' is missing");
  if (!quant::IsComputeSupported(t->type)) {
    return Status::Unimplemented("tensor '" + name + "' has type " + TypeName(t->type) +
                                 ", which has no compute kernels");
  }
  if (t->n_dims > 2 || t->ne[0] != n_in || t->ne[1] != n_out || t->ne[2] != 1 || t->ne[3] != 1) {
    return Status::InvalidArgument("tensor '" + name + "' has shape " + t->ShapeString() +
                                   ", expected " + Shape2(n_in, n_out));
  }
  const auto rb = RowBytes(t->type, n_in);
  if (!rb || *rb * static_cast<size_t>(n_out) != t->nbytes) {
    return Status::InvalidArgument("tensor '" + name + "': row of " + std::to_string(n_in) +
                                   " elements is not a whole number of " + TypeName(t->type) + " blocks");
  }
  WeightMatrix m;
  m.type = t->type;
  m.data = t->data;
  m.n_in = n_in;
  m.n_out = n_out;
  m.row_bytes = *rb;
  if (repack_ && for_matmul) {
    if (quant::HasPackedGemm(m.type)) {
      Repack(&m);
    } else {
      CopyToArena(&m, m.row_bytes * static_cast<size_t>(n_out));
    }
  }
  return m;
}

Result<StackedMatrices> WeightLoader::Stacked(const std::string& name, int64_t n_in, int64_t n_out,
                                              int64_t n_mat, bool for_matmul) const {
  const GgufTensor* t = file_.FindTensor(name);
  if (!t) return Status::InvalidArgument("tensor '" + name + "' is missing");
  if (!quant::IsComputeSupported(t->type)) {
    return Status::Unimplemented("tensor '" + name + "' has type " + TypeName(t->type) +
                                 ", which has no compute kernels");
  }
  if (t->n_dims > 3 || t->ne[0] != n_in || t->ne[1] != n_out || t->ne[2] != n_mat || t->ne[3] != 1) {
    return Status::InvalidArgument("tensor '" + name + "' has shape " + t->ShapeString() +
                                   ", expected " + Shape3(n_in, n_out, n_mat));
  }
  const auto rb = RowBytes(t->type, n_in);
  if (!rb || *rb * static_cast<size_t>(n_out) * static_cast<size_t>(n_mat) != t->nbytes) {
    return Status::InvalidArgument("tensor '" + name + "': row of " + std::to_string(n_in) +
                                   " elements is not a whole number of " + TypeName(t->type) + " blocks");
  }
  StackedMatrices s;
  s.first.type = t->type;
  s.first.data = t->data;
  s.first.n_in = n_in;
  s.first.n_out = n_out;
  s.first.row_bytes = *rb;
  s.stride = *rb * static_cast<size_t>(n_out);
  s.n = static_cast<int32_t>(n_mat);
  if (for_matmul && repack_ && quant::HasPackedGemm(s.first.type) && n_out % quant::kPackedGroupRows == 0) {
    WeightMatrix all = s.first;  // the stack as one matrix of n_mat * n_out rows
    all.n_out = n_out * n_mat;
    Repack(&all);
    s.first.packed = all.packed;
    s.first.packed_owner = std::move(all.packed_owner);
    s.packed_stride = static_cast<size_t>(n_out / quant::kPackedGroupRows) * quant::PackedGroupBytes(s.first.type, n_in);
  } else if (for_matmul && repack_ && n_mat > 1) {
    // MoE experts of a type without a packed GEMM (Q2_K, Q3_K, F16, ...): a plain copy into the
    // arena. Decode jumps between small expert matrices chosen per token, which from the
    // file's pages held V2-Lite Q4_K_M decode at ~20 GB/s against ~35 with the experts in
    // the arena.
    CopyToArena(&s.first, s.stride * static_cast<size_t>(n_mat));
  }
  return s;
}

Result<std::vector<float>> WeightLoader::Vector(const std::string& name, int64_t n) const {
  const GgufTensor* t = file_.FindTensor(name);
  if (!t) return Status::InvalidArgument("tensor '" + name + "' is missing");
  if (!quant::IsComputeSupported(t->type)) {
    return Status::Unimplemented("tensor '" + name + "' has type " + TypeName(t->type) +
                                 ", which has no compute kernels");
  }
  if (t->n_elements() != n || t->ne[0] != n) {
    return Status::InvalidArgument("tensor '" + name + "' has shape " + t->ShapeString() +
                                   ", expected " + Shape1(n));
  }
  const auto rb = RowBytes(t->type, n);
  if (!rb || *rb != t->nbytes) {
    return Status::InvalidArgument("tensor '" + name + "' is not a whole number of blocks");
  }
  std::vector<float> v(static_cast<size_t>(n));
  quant::DequantizeRow(t->type, t->data, v.data(), n);
  return v;
}

}  // namespace deepgate
