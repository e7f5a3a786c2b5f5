// DataPolicy: whether a credential's requests may be served outside this site — sent on by
// nginx's @overflow to a cloud or second-site upstream when this worker is full. A key carries
// its own (`deepgate keys create --local-only | --allow-overflow`); a key without one, and an
// external IdP's token, follow the deployment's `overflow.local_only_default`.
// Thread-safety: plain values.
#pragma once

#include <optional>
#include <string_view>

namespace deepgate::fcgi {

enum class DataPolicy {
  kDeploymentDefault,  // no choice made for this key: overflow.local_only_default decides
  kLocalOnly,          // never leaves the site
  kMayLeave,           // may be served by the overflow upstream
};

// The key store's spelling: "" / "local" / "overflow".
inline const char* DataPolicyName(DataPolicy p) {
  switch (p) {
    case DataPolicy::kLocalOnly: return "local";
    case DataPolicy::kMayLeave: return "overflow";
    case DataPolicy::kDeploymentDefault: break;
  }
  return "";
}

inline std::optional<DataPolicy> ParseDataPolicy(std::string_view s) {
  if (s.empty()) return DataPolicy::kDeploymentDefault;
  if (s == "local") return DataPolicy::kLocalOnly;
  if (s == "overflow") return DataPolicy::kMayLeave;
  return std::nullopt;
}

}  // namespace deepgate::fcgi
