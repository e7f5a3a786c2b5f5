#include "fcgi/cache/cache_key.h"

#include "fcgi/auth/crypto.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi::cache {
namespace {

bool IsZero(const Json::Value& v) { return v.isNumeric() && !v.isBool() && v.asDouble() == 0.0; }

}  // namespace

bool IsDeterministic(const Json::Value& body) {
  if (!body.isObject()) return false;
  if (IsZero(body.get("temperature", Json::Value()))) return true;
  if (IsZero(body.get("top_p", Json::Value()))) return true;
  const Json::Value& seed = body.get("seed", Json::Value());
  return seed.isIntegral() && !seed.isBool();
}

std::optional<std::string> CacheKeyFor(const std::string& route_name, const Json::Value& body,
                                       const std::string& subject, CacheScope scope) {
  if (!IsDeterministic(body)) return std::nullopt;
  Json::Value canonical = body;  // jsoncpp keeps members sorted: WriteJson is canonical
  canonical.removeMember("user");
  const Json::Value& stream = body.get("stream", Json::Value());
  if (!(stream.isBool() && stream.asBool())) canonical.removeMember("stream_options");
  std::string material = scope == CacheScope::kKey ? subject : std::string();
  material += '\0';
  material += route_name;
  material += '\0';
  material += WriteJson(canonical);
  return auth::HmacSha256("deepgate response cache v1", material);
}

}  // namespace deepgate::fcgi::cache
