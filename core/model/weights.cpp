// WeightLoader: presence, type, shape and block checks for every tensor the model uses.
#include "core/model/weights.h"

#include "core/gguf.h"
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

}  // namespace

bool WeightLoader::Has(const std::string& name) const { return file_.FindTensor(name) != nullptr; }

Result<WeightMatrix> WeightLoader::Matrix(const std::string& name, int64_t n_in, int64_t n_out) const {
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
  return m;
}

Result<StackedMatrices> WeightLoader::Stacked(const std::string& name, int64_t n_in, int64_t n_out,
                                              int64_t n_mat) const {
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
