#include "fcgi/api/admin_keys.h"

#include "fcgi/audit/key_events.h"
#include "fcgi/auth/api_key.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/auth/client_cert.h"
#include "fcgi/auth/duration.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

const char* KeyState(const auth::KeyRecord& r, int64_t now) {
  if (r.revoked_at != 0) return "revoked";
  if (now >= r.expires_at) return r.superseded_by.empty() ? "expired" : "rotated";
  return r.superseded_by.empty() ? "active" : "rotating";
}

Json::Value KeyRecordJson(const auth::KeyRecord& r, int64_t now) {
  Json::Value j(Json::objectValue);
  j["id"] = r.id;
  j["object"] = "api_key";
  j["name"] = r.name;
  j["role"] = r.role;
  Json::Value models(Json::arrayValue);
  for (const auto& m : r.models) models.append(m);
  j["models"] = models;
  j["requests_per_min"] = Json::Int64(r.requests_per_min);
  j["tokens_per_min"] = Json::Int64(r.tokens_per_min);
  j["max_concurrent"] = Json::Int64(r.max_concurrent);
  j["created_at"] = Json::Int64(r.created_at);
  j["expires_at"] = Json::Int64(r.expires_at);
  j["revoked_at"] = r.revoked_at ? Json::Value(Json::Int64(r.revoked_at)) : Json::Value(Json::nullValue);
  j["rotated_from"] = r.rotated_from.empty() ? Json::Value(Json::nullValue) : Json::Value(r.rotated_from);
  j["superseded_by"] = r.superseded_by.empty() ? Json::Value(Json::nullValue) : Json::Value(r.superseded_by);
  // The owner (data subject) is shown to admins, who manage it; never written to the journal.
  j["subject"] = r.subject.empty() ? Json::Value(Json::nullValue) : Json::Value(r.subject);
  // "local" / "overflow", null = the deployment's overflow.local_only_default.
  j["data_policy"] = r.data_policy == DataPolicy::kDeploymentDefault ? Json::Value(Json::nullValue)
                                                                     : Json::Value(DataPolicyName(r.data_policy));
  // The client certificate the key is bound to (mTLS), null = none; whether admin changes
  // need its TOTP code. Never the TOTP secret.
  j["bind_cert"] = r.cert_sha256.empty() ? Json::Value(Json::nullValue) : Json::Value("SHA256:" + r.cert_sha256);
  j["totp"] = !r.totp_sealed.empty();
  j["state"] = KeyState(r, now);
  return j;
}

namespace {

// The admin's request, with the key it touched.
AuditRecord KeyEvent(AuditEvent event, const auth::KeyRecord& key, const RequestContext& ctx) {
  AuditRecord r = audit::KeyEventRecord(event, key, AuditSubject(ctx.principal));
  r.request_id = ctx.request.request_id;
  r.remote_addr = ctx.request.remote_addr;
  r.client_ip = ctx.origin.ip;
  r.client_country = ctx.origin.country;
  r.method = ctx.request.method;
  r.path = ctx.request.path;
  return r;
}

ApiError FromStoreStatus(const Status& s) {
  if (s.code() == StatusCode::kIoError) {
    std::fprintf(stderr, "deepgate-fcgi: admin keys: %s\n", s.message().c_str());
    return ApiError::Internal("The key store failed");
  }
  // The shared (PostgreSQL) store is unreachable: nothing was written, retry later. The
  // message is PgConnection's, scrubbed of the password; the client gets a fixed text.
  if (s.code() == StatusCode::kUnavailable) {
    std::fprintf(stderr, "deepgate-fcgi: admin keys: %s\n", s.message().c_str());
    return ApiError::Unavailable("The key store is unavailable; nothing was changed, try again shortly",
                                 "key_store_unavailable", auth::kKeyStoreRetryAfterS);
  }
  return ApiError::FromStatus(s);
}

// A duration either as "7d"-style text or as whole seconds.
bool ReadDuration(const Json::Value& v, int64_t* out) {
  if (v.isString()) {
    auto d = auth::ParseDuration(v.asString());
    if (!d) return false;
    *out = *d;
    return true;
  }
  // isInt64, not isIntegral: jsoncpp's asInt64 throws for a uint64 past INT64_MAX.
  if (v.isInt64() && !v.isBool() && v.asInt64() >= 0) {
    *out = v.asInt64();
    return true;
  }
  return false;
}

bool ReadCount(const Json::Value& body, const char* name, int64_t* out, ApiError* error) {
  if (!body.isMember(name)) return true;
  const Json::Value& v = body[name];
  if (!v.isInt64() || v.isBool() || v.asInt64() < 0) {
    *error = ApiError::BadRequest(std::string("'") + name + "' must be a non-negative integer", name);
    return false;
  }
  *out = v.asInt64();
  return true;
}

Json::Value IssuedJson(const auth::IssuedKey& k, int64_t now) {
  Json::Value j = KeyRecordJson(k.record, now);
  j["key"] = k.plaintext;
  return j;
}

void Create(RequestContext& ctx, ResponseWriter& out, const auth::AuthContext& auth, AuditSink& audit) {
  Result<Json::Value> parsed = ParseJsonObject(ctx.request.body);
  if (!parsed.ok()) return (void)out.SendError(ApiError::BadRequest(parsed.status().message()));
  const Json::Value& body = *parsed;
  static const char* kKnown[] = {"name", "role", "models", "requests_per_min", "tokens_per_min", "max_concurrent", "expires_in",
                                 "data_policy", "bind_cert"};
  for (const auto& k : body.getMemberNames()) {
    bool known = false;
    for (const char* n : kKnown) known = known || k == n;
    if (!known) return (void)out.SendError(ApiError::BadRequest("Unknown field '" + k.substr(0, 64) + "'", k.substr(0, 64)));
  }
  auth::KeySpec spec;
  spec.requests_per_min = auth.config.default_requests_per_min;
  spec.lifetime_s = int64_t{auth.config.key_lifetime_days} * 86400;
  if (!body["name"].isString()) return (void)out.SendError(ApiError::BadRequest("'name' is required", "name"));
  spec.name = body["name"].asString();
  if (!body["role"].isString() || !auth.roles.Exists(body["role"].asString()))
    return (void)out.SendError(ApiError::BadRequest("'role' must be one of the configured roles", "role"));
  spec.role = body["role"].asString();
  if (body.isMember("models")) {
    if (!body["models"].isArray()) return (void)out.SendError(ApiError::BadRequest("'models' must be an array of model ids", "models"));
    for (const auto& m : body["models"]) {
      if (!m.isString()) return (void)out.SendError(ApiError::BadRequest("'models' must be an array of model ids", "models"));
      spec.models.push_back(m.asString());
    }
  }
  ApiError error;
  if (!ReadCount(body, "requests_per_min", &spec.requests_per_min, &error) ||
      !ReadCount(body, "tokens_per_min", &spec.tokens_per_min, &error) ||
      !ReadCount(body, "max_concurrent", &spec.max_concurrent, &error))
    return (void)out.SendError(error);
  if (body.isMember("data_policy")) {
    std::optional<DataPolicy> p = body["data_policy"].isString() ? ParseDataPolicy(body["data_policy"].asString()) : std::nullopt;
    if (!p || *p == DataPolicy::kDeploymentDefault)
      return (void)out.SendError(ApiError::BadRequest("'data_policy' must be \"local\" or \"overflow\"", "data_policy"));
    spec.data_policy = *p;
  }
  if (body.isMember("bind_cert")) {
    std::optional<std::string> fp =
        body["bind_cert"].isString() ? auth::ParseCertFingerprint(body["bind_cert"].asString()) : std::nullopt;
    if (!fp)
      return (void)out.SendError(ApiError::BadRequest("'bind_cert' must be a SHA-256 certificate fingerprint (\"SHA256:AB:CD:...\")", "bind_cert"));
    spec.cert_sha256 = *fp;
  }
  if (body.isMember("expires_in") && !ReadDuration(body["expires_in"], &spec.lifetime_s))
    return (void)out.SendError(ApiError::BadRequest("'expires_in' must be a duration such as \"90d\"", "expires_in"));
  const int64_t now = auth.clock->NowUnix();
  Result<auth::IssuedKey> issued = auth::CreateKey(*auth.store, auth.secrets, spec, now);
  if (!issued.ok()) return (void)out.SendError(FromStoreStatus(issued.status()));
  audit.Record(KeyEvent(AuditEvent::kKeyCreated, issued->record, ctx));
  out.AddHeader("Cache-Control", "no-store");
  out.SendJson(201, IssuedJson(*issued, now));
}

void List(RequestContext& ctx, ResponseWriter& out, const auth::AuthContext& auth, audit::AuditJournal* journal) {
  const int64_t now = auth.clock->NowUnix();
  Result<std::vector<auth::KeyRecord>> keys = Status::Internal("unset");
  const std::string& q = ctx.request.query;
  if (q.rfind("expiring=", 0) == 0) {
    auto window = auth::ParseDuration(q.substr(9));
    if (!window) return (void)out.SendError(ApiError::BadRequest("'expiring' must be a duration such as 14d", "expiring"));
    keys = auth.store->ListExpiring(now, *window);
  } else {
    keys = auth.store->List();
  }
  if (!keys.ok()) return (void)out.SendError(FromStoreStatus(keys.status()));
  Json::Value data(Json::arrayValue);
  std::vector<std::string> ids;
  for (const auto& k : *keys) {
    data.append(KeyRecordJson(k, now));
    ids.push_back(k.id);
  }
  // The list still answers when the journal cannot be read; last use is then unknown (null).
  Result<std::map<std::string, int64_t>> last_use = std::map<std::string, int64_t>{};
  if (journal != nullptr) last_use = journal->LastUse(ids);
  AddLastUse(data, last_use.ok() ? *last_use : std::map<std::string, int64_t>{});
  Json::Value body(Json::objectValue);
  body["object"] = "list";
  body["data"] = data;
  out.SendJson(200, body);
}

void Action(RequestContext& ctx, ResponseWriter& out, const auth::AuthContext& auth, AuditSink& audit) {
  const std::string& p = ctx.route_param;  // "<id>/revoke" or "<id>/rotate"
  const size_t slash = p.find('/');
  const std::string id = p.substr(0, slash);
  const std::string verb = slash == std::string::npos ? "" : p.substr(slash + 1);
  if (!auth::IsValidKeyId(id) || (verb != "revoke" && verb != "rotate"))
    return (void)out.SendError(ApiError::NotFound("Unknown route: POST " + ctx.request.path.substr(0, 200)));
  const int64_t now = auth.clock->NowUnix();
  if (verb == "revoke") {
    if (Status s = auth.store->Revoke(id, now); !s.ok()) return (void)out.SendError(FromStoreStatus(s));
    Result<std::optional<auth::KeyRecord>> r = auth.store->FindById(id);
    if (!r.ok() || !r->has_value()) return (void)out.SendError(ApiError::Internal("The key store failed"));
    audit.Record(KeyEvent(AuditEvent::kKeyRevoked, **r, ctx));
    return (void)out.SendJson(200, KeyRecordJson(**r, now));
  }
  int64_t overlap = int64_t{auth.config.rotation_overlap_days} * 86400;
  if (!ctx.request.body.empty()) {
    Result<Json::Value> body = ParseJsonObject(ctx.request.body);
    if (!body.ok()) return (void)out.SendError(ApiError::BadRequest(body.status().message()));
    if (body->isMember("overlap") && !ReadDuration((*body)["overlap"], &overlap))
      return (void)out.SendError(ApiError::BadRequest("'overlap' must be a duration such as \"7d\"", "overlap"));
  }
  Result<auth::IssuedKey> issued = auth::RotateKey(*auth.store, auth.secrets, id, overlap, now);
  if (!issued.ok()) return (void)out.SendError(FromStoreStatus(issued.status()));
  audit.Record(KeyEvent(AuditEvent::kKeyRotated, issued->record, ctx));
  out.AddHeader("Cache-Control", "no-store");
  out.SendJson(201, IssuedJson(*issued, now));
}

}  // namespace

void AddLastUse(Json::Value& keys, const std::map<std::string, int64_t>& last_use) {
  for (Json::Value& k : keys) {
    auto it = last_use.find(k["id"].asString());
    k["last_used_at"] = it == last_use.end() ? Json::Value(Json::nullValue) : Json::Value(Json::Int64(it->second / 1000000));
  }
}

void AddAdminKeyRoutes(Router& router, const auth::AuthContext& auth, AuditSink& audit,
                       audit::AuditJournal* journal) {
  router.Add({"POST", "/admin/keys", "admin.keys.create", false,
              [&auth, &audit](RequestContext& ctx, ResponseWriter& out) { Create(ctx, out, auth, audit); }});
  router.Add({"GET", "/admin/keys", "admin.keys.list", false,
              [&auth, journal](RequestContext& ctx, ResponseWriter& out) { List(ctx, out, auth, journal); }});
  router.Add({"POST", "/admin/keys/{id}", "admin.keys.action", false,
              [&auth, &audit](RequestContext& ctx, ResponseWriter& out) { Action(ctx, out, auth, audit); }});
}

}  // namespace deepgate::fcgi
