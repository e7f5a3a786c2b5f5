#include "fcgi/auth/credential_verifier.h"

#include "fcgi/auth/api_key.h"
#include "fcgi/auth/crypto.h"
#include "fcgi/auth/jwt.h"

namespace deepgate::fcgi::auth {
namespace {
// An unreachable shared store (Unavailable) is a 503, any other store error the 401 it was.
AuthFailure StoreFailure(const Status& s) {
  return s.code() == StatusCode::kUnavailable ? AuthFailure::kKeyStoreUnavailable : AuthFailure::kKeyStoreError;
}
}  // namespace

Principal PrincipalForKey(const KeyRecord& r) {
  Principal p;
  p.authenticated = true;
  p.method = "api_key";
  p.subject = "key:" + r.id;  // namespaced: see jwt_verifier.cpp
  p.key_id = r.id;
  p.role = r.role;
  p.allowed_models = r.models;
  p.requests_per_min = r.requests_per_min;
  p.tokens_per_min = r.tokens_per_min;
  p.max_concurrent = r.max_concurrent;
  p.expires_at = r.expires_at;
  p.data_subject = r.subject.empty() ? r.id : r.subject;
  p.data_policy = r.data_policy;
  return p;
}

Verdict CredentialVerifier::Verify(std::string_view token, int64_t now) const {
  Verdict v;
  if (token.size() > kMaxTokenBytes) {
    v.failure = AuthFailure::kTokenTooLarge;
    return v;
  }
  if (LooksLikeApiKey(token)) return VerifyApiKey(token, now);
  v.failure = jwt_.Verify(token, now, &v.principal);
  if (!v.ok()) return v;
  v.key_id = v.principal.key_id;
  // Our own tokens stand for a key: revoking (or expiring) the key ends its tokens at once,
  // not at their exp. One indexed lookup, the same an API key costs.
  if (!v.key_id.empty()) {
    Result<std::optional<KeyRecord>> found = store_.FindById(v.key_id);
    AuthFailure f = AuthFailure::kNone;
    if (!found.ok()) f = StoreFailure(found.status());
    else if (!found->has_value()) f = AuthFailure::kKeyUnknown;
    else if ((*found)->revoked_at != 0) f = AuthFailure::kKeyRevoked;
    else if (now >= (*found)->expires_at) f = (*found)->superseded_by.empty() ? AuthFailure::kKeyExpired : AuthFailure::kKeyRotated;
    if (f != AuthFailure::kNone) {
      v.failure = f;
      v.principal = Principal{};
    } else {
      if (!(*found)->subject.empty()) v.principal.data_subject = (*found)->subject;
      v.principal.data_policy = (*found)->data_policy;
    }
  }
  return v;
}

Verdict CredentialVerifier::VerifyApiKey(std::string_view token, int64_t now) const {
  Verdict v;
  std::optional<ParsedApiKey> parsed = ParseApiKey(token);
  if (!parsed) {
    v.failure = AuthFailure::kKeyMalformed;
    return v;
  }
  v.key_id = parsed->id;
  Result<std::optional<KeyRecord>> found = store_.FindById(parsed->id);
  if (!found.ok()) {
    v.failure = StoreFailure(found.status());
    return v;
  }
  // The hash is computed even for an unknown id, so timing does not tell which ids exist.
  const std::string hash = HashApiKey(pepper_, token);
  if (!found->has_value()) {
    v.failure = AuthFailure::kKeyUnknown;
    return v;
  }
  const KeyRecord& r = **found;
  // Secret first: a guesser learns nothing about a key's state without the key.
  if (!ConstantTimeEquals(hash, r.hash)) v.failure = AuthFailure::kKeyMismatch;
  else if (r.revoked_at != 0) v.failure = AuthFailure::kKeyRevoked;
  else if (now >= r.expires_at) v.failure = r.superseded_by.empty() ? AuthFailure::kKeyExpired : AuthFailure::kKeyRotated;
  else v.principal = PrincipalForKey(r);
  return v;
}

}  // namespace deepgate::fcgi::auth
