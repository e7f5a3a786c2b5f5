#include "fcgi/api/oauth_token.h"

#include "fcgi/auth/api_key.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool UrlDecode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      *out += ' ';
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      *out += in[i];
    }
  }
  return true;
}

ApiError Unauthorized() { return ApiError::Unauthenticated(auth::kGenericAuthMessage); }

}  // namespace

bool ParseFormBody(const std::string& body, std::map<std::string, std::string>* out) {
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    const std::string part = body.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    std::string name, value;
    if (!UrlDecode(part.substr(0, eq), &name)) return false;
    if (eq != std::string::npos && !UrlDecode(part.substr(eq + 1), &value)) return false;
    if (!out->emplace(name, value).second) return false;  // RFC 6749 §3.2: no repeated parameters
  }
  return true;
}

void AddOAuthTokenRoute(Router& router, const auth::AuthContext& auth) {
  router.Add({"POST", "/v1/oauth/token", "oauth.token", true,
              [&auth](RequestContext& ctx, ResponseWriter& out) {
                std::map<std::string, std::string> params;
                const std::string& type = ctx.request.Header("content-type");
                if (type.rfind("application/json", 0) == 0) {
                  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
                  if (!body.ok()) return (void)out.SendError(ApiError::BadRequest(body.status().message()));
                  for (const auto& k : body->getMemberNames())
                    if ((*body)[k].isString()) params[k] = (*body)[k].asString();
                } else if (!ParseFormBody(ctx.request.body, &params)) {
                  return (void)out.SendError(ApiError::BadRequest("The body is not valid form data"));
                }
                if (params["grant_type"] != "client_credentials")
                  return (void)out.SendError(ApiError::BadRequest("Only grant_type=client_credentials is supported",
                                                                   "grant_type", "unsupported_grant_type"));
                const std::string& secret = params["client_secret"];
                const int64_t now = auth.clock->NowUnix();
                auth::Verdict v;
                if (secret.empty()) v.failure = auth::AuthFailure::kMissingCredentials;
                else if (!auth::LooksLikeApiKey(secret)) v.failure = auth::AuthFailure::kKeyMalformed;  // no JWT for a JWT
                else v = auth.verifier->Verify(secret, now);
                // client_id must name the key the secret belongs to.
                if (v.ok() && params["client_id"] != v.principal.key_id) {
                  v.failure = auth::AuthFailure::kKeyMismatch;
                  v.key_id = v.principal.key_id;
                }
                if (v.failure == auth::AuthFailure::kKeyStoreUnavailable) {  // the store, not the client: 503
                  ctx.Refuse(Refusal(RefusalReason::kBadCredentials, Status::Unavailable("key store unavailable"),
                                     auth::AuthFailureName(v.failure), v.key_id));
                  return (void)out.SendError(ApiError::Unavailable(
                      "The key store is unavailable; credentials cannot be checked, try again shortly",
                      "key_store_unavailable", auth::kKeyStoreRetryAfterS));
                }
                // A key bound to a client certificate gets no token over another one (or none).
                if (v.ok()) {
                  if (auth::AuthFailure f = auth::CheckKeyFactors(auth, ctx.request, v.principal);
                      f != auth::AuthFailure::kNone) {
                    v.failure = f;
                    v.key_id = v.principal.key_id;
                  }
                }
                if (!v.ok()) {
                  ctx.Refuse(Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated(auth::kGenericAuthMessage),
                                     auth::AuthFailureName(v.failure), v.key_id));
                  return (void)out.SendError(Unauthorized());
                }
                Result<auth::AccessToken> token = auth::IssueAccessToken(v.principal, auth.TokenParams(), now);
                if (!token.ok()) return (void)out.SendError(ApiError::Internal("The token could not be issued"));
                Json::Value body(Json::objectValue);
                body["access_token"] = token->jwt;
                body["token_type"] = "Bearer";
                body["expires_in"] = Json::Int64(token->expires_in);
                out.AddHeader("Cache-Control", "no-store");  // RFC 6749 §5.1
                out.SendJson(200, body);
              },
              /*policy_when_public=*/true});
}

}  // namespace deepgate::fcgi
