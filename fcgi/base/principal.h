// Principal: who is calling, as the authenticate stage established it. Read by every later
// stage (authorise, policy, handlers, audit). Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fcgi/base/data_policy.h"

namespace deepgate::fcgi {

struct Principal {
  // Rate limits, engine share and cache scope are keyed on this; one namespace per kind:
  // "key:<id>" (our keys and JWTs), "idp:<issuer>:<sub>", "client:<address>", "anonymous".
  std::string subject = "anonymous";  // never a secret
  std::string role;                   // "admin", "developer", ... ("" for open access)
  bool authenticated = false;
  std::string method;                       // "api_key", "jwt" ("" for open access)
  std::string key_id;                       // our API key id (also for our own JWTs); "" otherwise
  std::vector<std::string> allowed_models;  // empty = every model
  int64_t requests_per_min = 0;             // per-key limits; 0 = no per-key limit
  int64_t tokens_per_min = 0;
  int64_t max_concurrent = 0;
  int64_t expires_at = 0;                   // unix s: key or token expiry, 0 unknown
  // The data subject audit entries are about (pseudonymised there) and erasure names: the
  // key's owner (`keys create --subject`), else the key id, or an IdP token's plain sub;
  // "" = `subject`. Rate limits stay keyed by `subject`.
  std::string data_subject;
  // May this principal's requests be served off-site (overflow)? The key's choice, or the
  // deployment default (fcgi/policy/overflow_policy.h).
  DataPolicy data_policy = DataPolicy::kDeploymentDefault;
};

// Who an audit entry is about: the owner subject when the principal's key names one.
inline const std::string& AuditSubject(const Principal& p) {
  return p.data_subject.empty() ? p.subject : p.data_subject;
}

// True when the principal's model allow-list (empty = every model) admits `model`.
inline bool ModelAllowed(const Principal& p, const std::string& model) {
  if (p.allowed_models.empty()) return true;
  for (const auto& m : p.allowed_models)
    if (m == model) return true;
  return false;
}

}  // namespace deepgate::fcgi
