// A key's model allow-list as one column: ids joined with '\n' (ids are validated to hold no
// control characters). Shared by the SQLite and PostgreSQL key stores. Thread-safety: pure.
#pragma once

#include <string>
#include <vector>

namespace deepgate::fcgi::auth {

inline std::string JoinModels(const std::vector<std::string>& models) {
  std::string out;
  for (const auto& m : models) out += (out.empty() ? "" : "\n") + m;
  return out;
}

inline std::vector<std::string> SplitModels(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t end = s.find('\n', pos);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace deepgate::fcgi::auth
