// Weight views: typed, shape-checked handles on GGUF tensors (the bytes stay in the mmap),
// and WeightLoader, which finds and validates them by name so Eval needs no checks.
// Thread-safety: views are immutable; WeightLoader is used by one thread during Load.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"

namespace deepgate {

class GgufFile;
class PackArena;

// A 2-D weight [n_out rows][n_in columns] used in place from the mapping.
struct WeightMatrix {
  GgmlType type = GgmlType::F32;
  const uint8_t* data = nullptr;  // row r at data + r * row_bytes
  int64_t n_in = 0;               // ne[0], elements per row
  int64_t n_out = 0;              // ne[1], rows
  size_t row_bytes = 0;
  // The rows repacked at load for quant::PackedGemm (16 interleaved rows per group), or null.
  // MatMul prefers it; data stays valid for everything else (embedding rows, other kernels).
  const uint8_t* packed = nullptr;
  std::shared_ptr<const uint8_t> packed_owner;  // owns packed, shared by copies of the view
  std::shared_ptr<const uint8_t> data_owner;    // owns data when the loader copied the rows (else null: the mapping)

  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

// n equally shaped matrices one after another (a 3-D tensor: MoE experts ne {n_in, n_out,
// n_expert}, or MLA's per-head attn_k_b / attn_v_b), or n row ranges of one 2-D tensor.
// When the loader repacked the whole stack (n_out a multiple of the 16-row group, so each
// matrix starts on a group), first.packed is matrix 0's groups and packed_stride the bytes
// from one matrix's groups to the next.
struct StackedMatrices {
  WeightMatrix first;     // matrix 0
  size_t stride = 0;      // bytes from one matrix to the next
  int32_t n = 0;
  size_t packed_stride = 0;

  WeightMatrix at(int32_t i) const {
    WeightMatrix m = first;
    m.data = first.data + static_cast<size_t>(i) * stride;
    if (first.packed) m.packed = first.packed + static_cast<size_t>(i) * packed_stride;
    return m;
  }
};

class WeightLoader {
 public:
  // repack: give matrices whose type has a packed GEMM on this CPU a packed copy (see
  // WeightMatrix::packed and ModelOptions::repack_weights), and copy the others' rows into
  // huge pages unchanged.
  explicit WeightLoader(const GgufFile& file, bool repack = false);
  ~WeightLoader();

  bool Has(const std::string& name) const;
  // A matrix of exactly [n_in, n_out] whose type has compute kernels and whose rows are whole
  // blocks. Errors name the tensor. for_matmul: MatMul streams it (repacked or copied with
  // repack); false for a matrix only read a row at a time (an untied token embedding).
  Result<WeightMatrix> Matrix(const std::string& name, int64_t n_in, int64_t n_out, bool for_matmul = true) const;
  // A 3-D tensor of exactly [n_in, n_out, n_mat] (ne order), same checks as Matrix.
  // for_matmul: every use of the matrices goes through MatMul (MoE experts), so the stack is
  // repacked like a Matrix when n_out is a multiple of the packed group; callers that read
  // the rows themselves (MLA's per-head k_b / v_b) leave it false and keep the mapped rows.
  Result<StackedMatrices> Stacked(const std::string& name, int64_t n_in, int64_t n_out, int64_t n_mat,
                                  bool for_matmul = false) const;
  // A 1-D vector of n elements (norm weights, biases), converted to f32 (they are tiny).
  Result<std::vector<float>> Vector(const std::string& name, int64_t n) const;

 private:
  void Repack(WeightMatrix* m) const;
  void CopyToArena(WeightMatrix* m, size_t bytes) const;

  const GgufFile& file_;
  bool repack_ = false;
  std::shared_ptr<PackArena> arena_;  // the packed copies (repack_ only); matrices share it
};

}  // namespace deepgate
