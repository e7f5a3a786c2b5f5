#include "fcgi/store/store_config.h"

namespace deepgate::fcgi::store {
namespace {

Status Int(const Json::Value& x, const std::string& name, int lo, int hi, int* out) {
  if (!x.isInt() || x.asInt() < lo || x.asInt() > hi)
    return Status::InvalidArgument("'store." + name + "' must be an integer in [" + std::to_string(lo) + ", " +
                                   std::to_string(hi) + "]");
  *out = x.asInt();
  return Status::Ok();
}

Status Str(const Json::Value& x, const std::string& name, std::string* out) {
  if (!x.isString()) return Status::InvalidArgument("'store." + name + "' must be a string");
  *out = x.asString();
  return Status::Ok();
}

}  // namespace

Status ParseStoreConfig(const Json::Value& v, StoreConfig* out) {
  if (!v.isObject()) return Status::InvalidArgument("'store' must be an object");
  StoreConfig c;
  for (const std::string& k : v.getMemberNames()) {
    const Json::Value& x = v[k];
    if (k == "url") DG_RETURN_IF_ERROR(Str(x, k, &c.url));
    else if (k == "dsn_file") DG_RETURN_IF_ERROR(Str(x, k, &c.dsn_file));
    else if (k == "stale_key_seconds") DG_RETURN_IF_ERROR(Int(x, k, 0, 3600, &c.stale_key_seconds));
    else if (k == "recheck_seconds") DG_RETURN_IF_ERROR(Int(x, k, 1, 3600, &c.recheck_seconds));
    else if (k == "connect_timeout_ms") DG_RETURN_IF_ERROR(Int(x, k, 100, 60000, &c.connect_timeout_ms));
    else if (k == "statement_timeout_ms") DG_RETURN_IF_ERROR(Int(x, k, 50, 60000, &c.statement_timeout_ms));
    else return Status::InvalidArgument("unknown key 'store." + k + "'");
  }
  if (!c.url.empty() && c.url.rfind("sqlite:", 0) != 0 && c.url.rfind("postgres:", 0) != 0)
    return Status::InvalidArgument("'store.url' must be \"sqlite:PATH\", \"postgres:\" or \"postgres:DSN_FILE\"");
  *out = std::move(c);
  return Status::Ok();
}

}  // namespace deepgate::fcgi::store
