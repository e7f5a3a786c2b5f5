// StringTable: n strings stored end to end in one buffer with their end offsets. For a
// vocabulary's 152k token texts (or decoded pieces) a std::vector<std::string> costs 32 bytes
// a string plus a heap block for each longer than 15 bytes; this costs the bytes plus 4.
// Thread-safety: immutable once built; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deepgate {

class StringTable {
 public:
  // False (and nothing appended) once the buffer would pass 4 GiB.
  bool Append(std::string_view s) {
    if (bytes_.size() + s.size() > UINT32_MAX) return false;
    bytes_.append(s);
    ends_.push_back(static_cast<uint32_t>(bytes_.size()));
    return true;
  }
  void Reserve(size_t n) { ends_.reserve(n); }
  void ShrinkToFit() {
    bytes_.shrink_to_fit();
    ends_.shrink_to_fit();
  }
  size_t size() const { return ends_.size(); }
  std::string_view operator[](size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_).substr(begin, ends_[i] - begin);
  }

 private:
  std::string bytes_;
  std::vector<uint32_t> ends_;  // ends_[i]: one past string i's last byte
};

}  // namespace deepgate
