#include "fcgi/auth/auth_config.h"

#include <functional>

#include "fcgi/auth/jwt.h"

namespace deepgate::fcgi::auth {
namespace {

Status Str(const Json::Value& v, const char* key, std::string* out) {
  if (!v.isString() || v.asString().empty())
    return Status::InvalidArgument(std::string("'auth.") + key + "' must be a non-empty string");
  *out = v.asString();
  return Status::Ok();
}

Status Int(const Json::Value& v, const char* key, int lo, int hi, int* out) {
  if (!v.isIntegral() || v.isBool() || v.asInt64() < lo || v.asInt64() > hi)
    return Status::InvalidArgument(std::string("'auth.") + key + "' must be an integer in [" + std::to_string(lo) +
                                   ", " + std::to_string(hi) + "]");
  *out = static_cast<int>(v.asInt64());
  return Status::Ok();
}

Status ParseRoles(const Json::Value& v, RoleMap* out) {
  if (!v.isObject() || v.empty()) return Status::InvalidArgument("'auth.roles' must be a non-empty object");
  RoleMap roles;
  for (const std::string& name : v.getMemberNames()) {
    const Json::Value& list = v[name];
    if (name.empty() || name.size() > 64 || !list.isArray())
      return Status::InvalidArgument("'auth.roles." + name + "' must be an array of route patterns");
    auto& patterns = roles[name];
    for (const auto& p : list) {
      if (!p.isString() || !IsValidRoutePattern(p.asString()))
        return Status::InvalidArgument("'auth.roles." + name + "': bad route pattern");
      patterns.push_back(p.asString());
    }
  }
  *out = std::move(roles);
  return Status::Ok();
}

Status ParseIdp(const Json::Value& v, IdpConfig* out) {
  if (!v.isObject()) return Status::InvalidArgument("'auth.idp' must be an object");
  IdpConfig idp;
  for (const std::string& k : v.getMemberNames()) {
    const Json::Value& x = v[k];
    if (k == "issuer") DG_RETURN_IF_ERROR(Str(x, "idp.issuer", &idp.issuer));
    else if (k == "audience") DG_RETURN_IF_ERROR(Str(x, "idp.audience", &idp.audience));
    else if (k == "jwks_file") DG_RETURN_IF_ERROR(Str(x, "idp.jwks_file", &idp.jwks_file));
    else if (k == "role_claim") DG_RETURN_IF_ERROR(Str(x, "idp.role_claim", &idp.role_claim));
    else if (k == "algorithms") {
      if (!x.isArray() || x.empty()) return Status::InvalidArgument("'auth.idp.algorithms' must be a non-empty array");
      idp.algorithms.clear();
      for (const auto& a : x) {
        // Only asymmetric algorithms: an IdP's JWKS is public, HS* with it would be forgeable.
        if (!a.isString() || (ParseJwsAlg(a.asString()) != JwsAlg::kRS256 && ParseJwsAlg(a.asString()) != JwsAlg::kES256))
          return Status::InvalidArgument("'auth.idp.algorithms' may only list RS256 and ES256");
        idp.algorithms.push_back(a.asString());
      }
    } else if (k == "role_map") {
      if (!x.isObject()) return Status::InvalidArgument("'auth.idp.role_map' must be an object of strings");
      for (const std::string& from : x.getMemberNames()) {
        if (!x[from].isString()) return Status::InvalidArgument("'auth.idp.role_map' values must be role names");
        idp.role_map[from] = x[from].asString();
      }
    } else {
      return Status::InvalidArgument("unknown key 'auth.idp." + k + "'");
    }
  }
  if (idp.issuer.empty() || idp.audience.empty() || idp.jwks_file.empty())
    return Status::InvalidArgument("'auth.idp' needs issuer, audience and jwks_file");
  // The IdP's claim values are its own vocabulary: which of them mean which of our roles is
  // the operator's decision, never the token's ("role": "admin" must not make an admin).
  if (idp.role_map.empty())
    return Status::InvalidArgument("'auth.idp' needs a 'role_map' ({\"<claim value>\": \"<role>\"}); "
                                   "claim values it does not list are refused");
  *out = std::move(idp);
  return Status::Ok();
}

}  // namespace

Status ParseAuthConfig(const Json::Value& v, AuthConfig* out) {
  if (!v.isObject()) return Status::InvalidArgument("'auth' must be an object");
  AuthConfig c;
  for (const std::string& k : v.getMemberNames()) {
    const Json::Value& x = v[k];
    if (k == "required") {
      if (!x.isBool()) return Status::InvalidArgument("'auth.required' must be true or false");
      c.required = x.asBool();
    } else if (k == "totp_required_for_admin") {
      if (!x.isBool()) return Status::InvalidArgument("'auth.totp_required_for_admin' must be true or false");
      c.totp_required_for_admin = x.asBool();
    } else if (k == "key_store") DG_RETURN_IF_ERROR(Str(x, "key_store", &c.key_store));
    else if (k == "master_secret_file") DG_RETURN_IF_ERROR(Str(x, "master_secret_file", &c.master_secret_file));
    else if (k == "pepper_file") DG_RETURN_IF_ERROR(Str(x, "pepper_file", &c.pepper_file));
    else if (k == "jwt_secret_file") DG_RETURN_IF_ERROR(Str(x, "jwt_secret_file", &c.jwt_secret_file));
    else if (k == "jwt_issuer") DG_RETURN_IF_ERROR(Str(x, "jwt_issuer", &c.jwt_issuer));
    else if (k == "jwt_audience") DG_RETURN_IF_ERROR(Str(x, "jwt_audience", &c.jwt_audience));
    else if (k == "jwt_ttl_s") DG_RETURN_IF_ERROR(Int(x, "jwt_ttl_s", 60, 3600, &c.jwt_ttl_s));
    else if (k == "leeway_s") DG_RETURN_IF_ERROR(Int(x, "leeway_s", 0, 60, &c.leeway_s));
    else if (k == "key_lifetime_days") DG_RETURN_IF_ERROR(Int(x, "key_lifetime_days", 1, 3650, &c.key_lifetime_days));
    else if (k == "rotation_overlap_days") DG_RETURN_IF_ERROR(Int(x, "rotation_overlap_days", 0, 365, &c.rotation_overlap_days));
    else if (k == "expiry_warning_days") DG_RETURN_IF_ERROR(Int(x, "expiry_warning_days", 0, 365, &c.expiry_warning_days));
    else if (k == "default_requests_per_min") DG_RETURN_IF_ERROR(Int(x, "default_requests_per_min", 0, 1000000, &c.default_requests_per_min));
    else if (k == "roles") DG_RETURN_IF_ERROR(ParseRoles(x, &c.roles));
    else if (k == "idp") {
      IdpConfig idp;
      DG_RETURN_IF_ERROR(ParseIdp(x, &idp));
      c.idp = std::move(idp);
    } else {
      return Status::InvalidArgument("unknown key 'auth." + k + "'");
    }
  }
  if (c.idp && c.idp->issuer == c.jwt_issuer)
    return Status::InvalidArgument("'auth.idp.issuer' must differ from 'auth.jwt_issuer'");
  if (c.idp)
    for (const auto& [from, to] : c.idp->role_map)
      if (!c.roles.count(to)) return Status::InvalidArgument("'auth.idp.role_map' names unknown role '" + to + "'");
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace deepgate::fcgi::auth
