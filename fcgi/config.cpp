// Config loading: jsoncpp is called only here, its exceptions caught and turned into Status.
#include "fcgi/config.h"

#include <json/json.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>

#include "fcgi/models/file_digest.h"
#include "fcgi/models/model_manifest.h"
#include "fcgi/policy/client_address.h"
#include "fcgi/redis/redis_connection.h"

namespace deepgate::fcgi {
namespace {

// One row per key: how to read it into the struct (with its bounds), whether a SIGHUP reload
// applies it live, and how to compare and copy it. DiffConfig and ApplyLiveKeys read this
// table, so adding a key is one row.
enum class Reload { kLive, kRestart };

struct KeySpec {
  const char* name;
  std::function<Status(const Json::Value&, WorkerConfig&)> apply;
  Reload reload = Reload::kRestart;
  std::function<bool(const WorkerConfig&, const WorkerConfig&)> same;
  std::function<void(const WorkerConfig& from, WorkerConfig& to)> copy;
};

// A row for the member `field`, read by `apply`.
template <typename F>
KeySpec Row(const char* name, Reload reload, F WorkerConfig::*field,
            std::function<Status(const Json::Value&, WorkerConfig&)> apply) {
  return {name, std::move(apply), reload,
          [field](const WorkerConfig& a, const WorkerConfig& b) { return a.*field == b.*field; },
          [field](const WorkerConfig& from, WorkerConfig& to) { to.*field = from.*field; }};
}

Status ReadInt64(const Json::Value& v, const char* key, int64_t lo, int64_t hi, int64_t* out) {
  if (!v.isIntegral() || v.isBool())
    return Status::InvalidArgument(std::string("'") + key + "' must be an integer");
  if (v.isUInt64() && v.asUInt64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return Status::InvalidArgument(std::string("'") + key + "' is out of range");
  const int64_t x = v.asInt64();
  if (x < lo || x > hi)
    return Status::InvalidArgument(std::string("'") + key + "' must be in [" + std::to_string(lo) +
                                   ", " + std::to_string(hi) + "], got " + std::to_string(x));
  *out = x;
  return Status::Ok();
}

KeySpec IntKey(const char* name, int64_t lo, int64_t hi, int WorkerConfig::*field, Reload reload = Reload::kRestart) {
  return Row(name, reload, field, [=](const Json::Value& v, WorkerConfig& c) {
    int64_t x = 0;
    DG_RETURN_IF_ERROR(ReadInt64(v, name, lo, hi, &x));
    c.*field = static_cast<int>(x);
    return Status::Ok();
  });
}

KeySpec Int64Key(const char* name, int64_t lo, int64_t hi, int64_t WorkerConfig::*field,
                 Reload reload = Reload::kRestart) {
  return Row(name, reload, field,
             [=](const Json::Value& v, WorkerConfig& c) { return ReadInt64(v, name, lo, hi, &(c.*field)); });
}

KeySpec StringKey(const char* name, bool allow_empty, std::string WorkerConfig::*field) {
  return Row(name, Reload::kRestart, field, [=](const Json::Value& v, WorkerConfig& c) {
    if (!v.isString()) return Status::InvalidArgument(std::string("'") + name + "' must be a string");
    if (!allow_empty && v.asString().empty())
      return Status::InvalidArgument(std::string("'") + name + "' must not be empty");
    c.*field = v.asString();
    return Status::Ok();
  });
}

KeySpec BoolKey(const char* name, bool WorkerConfig::*field) {
  return Row(name, Reload::kRestart, field, [=](const Json::Value& v, WorkerConfig& c) {
    if (!v.isBool()) return Status::InvalidArgument(std::string("'") + name + "' must be true or false");
    c.*field = v.asBool();
    return Status::Ok();
  });
}

// Socket mode as an octal string ("0660"): JSON has no octal literals, and 432 helps nobody.
Status ApplySocketMode(const Json::Value& v, WorkerConfig& c) {
  if (!v.isString()) return Status::InvalidArgument("'socket_mode' must be an octal string such as \"0660\"");
  const std::string s = v.asString();
  if (s.empty() || s.size() > 4 || s.find_first_not_of("01234567") != std::string::npos)
    return Status::InvalidArgument("'socket_mode' must be an octal string such as \"0660\", got \"" + s + "\"");
  const int mode = std::stoi(s, nullptr, 8);
  if ((mode & 0600) != 0600) return Status::InvalidArgument("'socket_mode' must give the owner read and write (0600)");
  if (mode & 0111) return Status::InvalidArgument("'socket_mode' must not set execute bits");
  c.socket_mode = mode;
  return Status::Ok();
}

// --- nested objects (policy, audit): the same one-row-per-key tables, one per object ---

template <typename T>
struct SubKey {
  const char* name;
  std::function<Status(const Json::Value&, T&)> apply;
};

template <typename T>
Status ApplyObject(const Json::Value& v, const char* name, const std::vector<SubKey<T>>& keys, T& out) {
  if (!v.isObject()) return Status::InvalidArgument(std::string("'") + name + "' must be an object");
  for (const std::string& member : v.getMemberNames()) {
    const SubKey<T>* spec = nullptr;
    for (const SubKey<T>& k : keys)
      if (member == k.name) spec = &k;
    if (spec == nullptr) return Status::InvalidArgument(std::string("unknown key '") + name + "." + member + "'");
    DG_RETURN_IF_ERROR(spec->apply(v[member], out).WithContext(name));
  }
  return Status::Ok();
}

template <typename T, typename F>
SubKey<T> SubInt(const char* name, int64_t lo, int64_t hi, F T::*field) {
  return {name, [=](const Json::Value& v, T& c) {
            int64_t x = 0;
            DG_RETURN_IF_ERROR(ReadInt64(v, name, lo, hi, &x));
            c.*field = static_cast<F>(x);
            return Status::Ok();
          }};
}

template <typename T>
SubKey<T> SubBool(const char* name, bool T::*field) {
  return {name, [=](const Json::Value& v, T& c) {
            if (!v.isBool()) return Status::InvalidArgument(std::string("'") + name + "' must be true or false");
            c.*field = v.asBool();
            return Status::Ok();
          }};
}

Status ReadStrings(const Json::Value& v, const char* name, std::vector<std::string>* out) {
  if (!v.isArray()) return Status::InvalidArgument(std::string("'") + name + "' must be an array of strings");
  out->clear();
  for (const Json::Value& e : v) {
    if (!e.isString()) return Status::InvalidArgument(std::string("'") + name + "' must be an array of strings");
    out->push_back(e.asString());
  }
  return Status::Ok();
}

// Country codes are compared as the database spells them: two upper-case letters.
Status ReadCountries(const Json::Value& v, const char* name, std::vector<std::string>* out) {
  DG_RETURN_IF_ERROR(ReadStrings(v, name, out));
  for (const std::string& c : *out)
    if (c.size() != 2 || !std::isupper(static_cast<unsigned char>(c[0])) || !std::isupper(static_cast<unsigned char>(c[1])))
      return Status::InvalidArgument(std::string("'") + name + "' holds '" + c +
                                     "': use ISO 3166-1 alpha-2 codes in upper case (\"DE\")");
  return Status::Ok();
}

// A two-way choice spelled as a string: *out = (value == yes).
Status ReadChoice(const Json::Value& v, const char* name, const char* yes, const char* no, bool* out) {
  if (!v.isString() || (v.asString() != yes && v.asString() != no))
    return Status::InvalidArgument(std::string("'") + name + "' must be \"" + yes + "\" or \"" + no + "\"");
  *out = v.asString() == yes;
  return Status::Ok();
}

Status ApplyRateLimits(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<RateLimitConfig>> keys = {
      SubInt("requests_per_minute", 0, int64_t{1} << 40, &RateLimitConfig::requests_per_minute),
      SubInt("tokens_per_minute", 0, int64_t{1} << 40, &RateLimitConfig::tokens_per_minute),
      SubInt("max_concurrent", 0, 1 << 20, &RateLimitConfig::max_concurrent),
      SubInt("auth_failures_per_minute", 0, 1 << 20, &RateLimitConfig::auth_failures_per_minute),
  };
  return ApplyObject(v, "rate_limits", keys, c.rate_limits);
}

Status ApplyGeoIp(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<GeoIpConfig>> keys = {
      {"database", [](const Json::Value& x, GeoIpConfig& g) {
         if (!x.isString()) return Status::InvalidArgument("'database' must be a string");
         g.database = x.asString();
         return Status::Ok();
       }},
      {"allow_countries", [](const Json::Value& x, GeoIpConfig& g) { return ReadCountries(x, "allow_countries", &g.allow_countries); }},
      {"deny_countries", [](const Json::Value& x, GeoIpConfig& g) { return ReadCountries(x, "deny_countries", &g.deny_countries); }},
      {"unknown_country", [](const Json::Value& x, GeoIpConfig& g) {
         if (!x.isString() || (x.asString() != "allow" && x.asString() != "deny"))
           return Status::InvalidArgument("'unknown_country' must be \"allow\" or \"deny\"");
         g.allow_unknown = x.asString() == "allow";
         return Status::Ok();
       }},
  };
  DG_RETURN_IF_ERROR(ApplyObject(v, "geoip", keys, c.geoip));
  // With an allow-list, an address the database cannot place is not on it: denied unless
  // "unknown_country": "allow" says otherwise.
  if (!c.geoip.allow_countries.empty() && !v.isMember("unknown_country")) c.geoip.allow_unknown = false;
  const GeoIpConfig& g = c.geoip;
  if (!g.allow_countries.empty() && !g.deny_countries.empty())
    return Status::InvalidArgument("'geoip': set allow_countries or deny_countries, not both");
  // Rules without a database would silently allow (or deny) everyone: refuse at load.
  if (g.database.empty() && (!g.allow_countries.empty() || !g.deny_countries.empty() || !g.allow_unknown))
    return Status::InvalidArgument("'geoip': country rules need 'database'");
  return Status::Ok();
}

Status ApplyAnomaly(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<AnomalyConfig>> keys = {
      SubBool("enabled", &AnomalyConfig::enabled),
      SubInt("floor_per_minute", 0, int64_t{1} << 40, &AnomalyConfig::floor_per_minute),
      SubInt("history_minutes", 2, 24 * 60, &AnomalyConfig::history_minutes),
  };
  return ApplyObject(v, "anomaly", keys, c.anomaly);
}

Status ApplyAudit(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<AuditConfig>> keys = {
      SubBool("required", &AuditConfig::required),
      SubBool("stderr", &AuditConfig::stderr_lines),
      {"journal_namespace", [](const Json::Value& x, AuditConfig& a) {
         // systemd's namespace names: short, [A-Za-z0-9_.-] (no path tricks reach sd-journal).
         const std::string n = x.isString() ? x.asString() : "/";
         bool ok = n.size() <= 64;
         for (char ch : n) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.');
         if (!ok || n == "." || n == "..") return Status::InvalidArgument("'journal_namespace' must be a journal namespace name");
         a.journal_namespace = n;
         return Status::Ok();
       }},
  };
  return ApplyObject(v, "audit", keys, c.audit);
}

Status ApplyCache(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<CacheConfig>> keys = {
      SubBool("enabled", &CacheConfig::enabled),
      SubInt("ttl_s", 1, 7 * 24 * 3600, &CacheConfig::ttl_s),
      // At least 64 KiB: below that hardly one answer fits.
      SubInt("max_bytes", int64_t{1} << 16, int64_t{1} << 40, &CacheConfig::max_bytes),
      {"scope", [](const Json::Value& x, CacheConfig& cc) {
         if (!x.isString() || (x.asString() != "key" && x.asString() != "shared"))
           return Status::InvalidArgument("'scope' must be \"key\" or \"shared\"");
         cc.shared = x.asString() == "shared";
         return Status::Ok();
       }},
      {"backend", [](const Json::Value& x, CacheConfig& cc) { return ReadChoice(x, "backend", "redis", "local", &cc.redis); }},
      SubInt("max_entry_bytes", 1024, int64_t{512} << 20, &CacheConfig::max_entry_bytes),
  };
  return ApplyObject(v, "cache", keys, c.cache);
}

Status ApplyOverflow(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<OverflowConfig>> keys = {
      SubBool("enabled", &OverflowConfig::enabled),
      {"roles", [](const Json::Value& x, OverflowConfig& o) { return ReadStrings(x, "roles", &o.roles); }},
      {"allow_countries",
       [](const Json::Value& x, OverflowConfig& o) { return ReadCountries(x, "allow_countries", &o.allow_countries); }},
      SubBool("local_only_default", &OverflowConfig::local_only_default),
  };
  return ApplyObject(v, "overflow", keys, c.overflow);
}

Status ApplyTrustedProxies(const Json::Value& v, WorkerConfig& c) {
  DG_RETURN_IF_ERROR(ReadStrings(v, "trusted_proxies", &c.trusted_proxies));
  for (const std::string& p : c.trusted_proxies)
    if (Result<policy::IpNetwork> n = policy::IpNetwork::Parse(p); !n.ok())
      return n.status().WithContext("'trusted_proxies'");
  return Status::Ok();
}

// --- shared state: "redis" and "limits" (issue 15) ---
Status ApplyRedis(const Json::Value& v, WorkerConfig& c) {
  auto string_key = [](const char* name, std::string RedisConfig::*field) {
    return SubKey<RedisConfig>{name, [=](const Json::Value& x, RedisConfig& r) {
                                 if (!x.isString()) return Status::InvalidArgument(std::string("'") + name + "' must be a string");
                                 r.*field = x.asString();
                                 return Status::Ok();
                               }};
  };
  static const std::vector<SubKey<RedisConfig>> keys = {
      {"url", [](const Json::Value& x, RedisConfig& r) {
         if (!x.isString()) return Status::InvalidArgument("'url' must be a string");
         if (!x.asString().empty()) DG_RETURN_IF_ERROR(redis::ParseRedisUrl(x.asString()).status());
         r.url = x.asString();
         return Status::Ok();
       }},
      string_key("password_file", &RedisConfig::password_file),
      string_key("key_prefix", &RedisConfig::key_prefix),
      // 5 ms..10 s: below, a busy Redis times out for nothing; above, a hung one stalls requests.
      SubInt("timeout_ms", 5, 10000, &RedisConfig::timeout_ms),
      SubInt("pool_size", 1, 256, &RedisConfig::pool_size),
  };
  return ApplyObject(v, "redis", keys, c.redis);
}

Status ApplyLimits(const Json::Value& v, WorkerConfig& c) {
  static const std::vector<SubKey<LimitsConfig>> keys = {
      {"backend", [](const Json::Value& x, LimitsConfig& l) { return ReadChoice(x, "backend", "redis", "local", &l.redis); }},
      {"on_backend_failure", [](const Json::Value& x, LimitsConfig& l) {
         return ReadChoice(x, "on_backend_failure", "fail_closed", "local", &l.fail_closed);
       }},
      SubInt("lease_seconds", 1, 3600, &LimitsConfig::lease_seconds),
  };
  return ApplyObject(v, "limits", keys, c.limits);
}

// A backend named without a Redis to reach would silently fall back: refuse at load.
Status CheckRedisUse(const WorkerConfig& c, const std::string& origin) {
  if (c.redis.url.empty() && (c.limits.redis || c.cache.redis))
    return Status::InvalidArgument(origin + ": 'limits.backend' or 'cache.backend' is \"redis\" but 'redis.url' is not set");
  return Status::Ok();
}

// --- model manifest ("models": [{"id", "path", "sha256"}]) ---
Status ApplyModels(const Json::Value& v, WorkerConfig& c) {
  if (!v.isArray()) return Status::InvalidArgument("'models' must be an array of {\"id\", \"path\", \"sha256\"}");
  c.models.clear();
  for (const Json::Value& e : v) {
    if (!e.isObject()) return Status::InvalidArgument("'models' entries must be objects");
    ModelEntry m;
    for (const std::string& member : e.getMemberNames()) {
      if (!e[member].isString()) return Status::InvalidArgument("'models." + member + "' must be a string");
      if (member == "id") m.id = e[member].asString();
      else if (member == "path") m.path = e[member].asString();
      else if (member == "sha256") m.sha256 = e[member].asString();
      else return Status::InvalidArgument("unknown key 'models." + member + "'");
    }
    DG_RETURN_IF_ERROR(ValidateModelEntry(m).WithContext("'models'"));
    c.models.push_back(std::move(m));
  }
  return Status::Ok();
}

Status ApplyModelSha256(const Json::Value& v, WorkerConfig& c) {
  if (!v.isString() || (!v.asString().empty() && !models::IsSha256Hex(v.asString())))
    return Status::InvalidArgument("'model_sha256' must be 64 hex digits");
  c.model_sha256 = v.asString();
  return Status::Ok();
}

const std::vector<KeySpec>& Keys() {
  constexpr Reload kLive = Reload::kLive, kRestart = Reload::kRestart;
  static const std::vector<KeySpec> keys = {
      StringKey("socket_path", false, &WorkerConfig::socket_path),
      Row("socket_mode", kRestart, &WorkerConfig::socket_mode, ApplySocketMode),
      StringKey("socket_group", true, &WorkerConfig::socket_group),
      IntKey("listen_backlog", 1, 65535, &WorkerConfig::listen_backlog),
      IntKey("acceptor_threads", 1, 1024, &WorkerConfig::acceptor_threads),
      Int64Key("max_body_bytes", 1024, int64_t{1} << 30, &WorkerConfig::max_body_bytes, kLive),
      IntKey("request_deadline_ms", 100, 24 * 3600 * 1000, &WorkerConfig::request_deadline_ms, kLive),
      IntKey("retry_after_s", 1, 3600, &WorkerConfig::retry_after_s, kLive),
      StringKey("model_path", false, &WorkerConfig::model_path),
      StringKey("model_id", true, &WorkerConfig::model_id),
      Row("model_sha256", kRestart, &WorkerConfig::model_sha256, ApplyModelSha256),
      Row("models", kRestart, &WorkerConfig::models, ApplyModels),
      StringKey("model_manifest", true, &WorkerConfig::model_manifest),
      IntKey("threads", 0, 1024, &WorkerConfig::threads),
      BoolKey("repack_weights", &WorkerConfig::repack_weights),
      IntKey("ctx_size", 16, 1 << 20, &WorkerConfig::ctx_size),
      IntKey("max_sequences", 1, 256, &WorkerConfig::max_sequences),  // the engine's own bound
      IntKey("queue_length", 0, 100000, &WorkerConfig::queue_length),
      IntKey("prefill_chunk", 1, 65536, &WorkerConfig::prefill_chunk),
      Int64Key("kv_cache_mb", 1, int64_t{1} << 24, &WorkerConfig::kv_cache_mb),
      IntKey("engine_reserved_sequences", 0, 1024, &WorkerConfig::engine_reserved_sequences, kLive),
      IntKey("write_timeout_ms", 100, 3600 * 1000, &WorkerConfig::write_timeout_ms, kLive),
      IntKey("shutdown_deadline_ms", 0, 3600 * 1000, &WorkerConfig::shutdown_deadline_ms, kLive),
      BoolKey("watchdog", &WorkerConfig::watchdog),
      Row("auth", kRestart, &WorkerConfig::auth,
          [](const Json::Value& v, WorkerConfig& c) { return auth::ParseAuthConfig(v, &c.auth); }),
      Row("rate_limits", kLive, &WorkerConfig::rate_limits, ApplyRateLimits),
      // The GeoIP database file is reopened on every reload; a changed path is reported like any key.
      Row("geoip", kLive, &WorkerConfig::geoip, ApplyGeoIp),
      Row("anomaly", kLive, &WorkerConfig::anomaly, ApplyAnomaly),
      Row("audit", kRestart, &WorkerConfig::audit, ApplyAudit),
      Row("cache", kRestart, &WorkerConfig::cache, ApplyCache),
      Row("overflow", kLive, &WorkerConfig::overflow, ApplyOverflow),
      Row("trusted_proxies", kLive, &WorkerConfig::trusted_proxies, ApplyTrustedProxies),
      Row("store", kRestart, &WorkerConfig::store,
          [](const Json::Value& v, WorkerConfig& c) { return store::ParseStoreConfig(v, &c.store); }),
      Row("redis", kRestart, &WorkerConfig::redis, ApplyRedis),
      Row("limits", kRestart, &WorkerConfig::limits, ApplyLimits),
  };
  return keys;
}

Result<Json::Value> ParseJson(const std::string& text, const std::string& origin) {
  Json::CharReaderBuilder builder;
  builder["allowComments"] = true;  // config files deserve comments
  builder["failIfExtra"] = true;
  builder["rejectDupKeys"] = true;
  Json::Value root;
  std::string errors;
  try {
    std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
    if (!reader->parse(text.data(), text.data() + text.size(), &root, &errors))
      return Status::InvalidArgument(origin + ": not valid JSON: " + errors);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(origin + ": not valid JSON: " + e.what());
  }
  return root;
}

}  // namespace

Result<WorkerConfig> ParseConfig(const std::string& text, const std::string& origin) {
  DG_ASSIGN_OR_RETURN(Json::Value root, ParseJson(text, origin));
  if (!root.isObject()) return Status::InvalidArgument(origin + ": the config must be a JSON object");
  WorkerConfig config;
  try {
    for (const std::string& name : root.getMemberNames()) {
      const KeySpec* spec = nullptr;
      for (const KeySpec& k : Keys())
        if (name == k.name) spec = &k;
      if (spec == nullptr) return Status::InvalidArgument(origin + ": unknown key '" + name + "'");
      DG_RETURN_IF_ERROR(spec->apply(root[name], config).WithContext(origin));
    }
  } catch (const std::exception& e) {  // jsoncpp throws on type mismatches we did not foresee
    return Status::InvalidArgument(origin + ": " + e.what());
  }
  DG_RETURN_IF_ERROR(CheckRedisUse(config, origin));
  // With a manifest file the served model is picked once LoadConfig has read it.
  if (config.model_manifest.empty()) DG_RETURN_IF_ERROR(ResolveServedModel(config, origin));
  return config;
}

Result<WorkerConfig> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open config file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IoError("cannot read config file " + path);
  DG_ASSIGN_OR_RETURN(WorkerConfig config, ParseConfig(text.str(), path));
  if (!config.model_manifest.empty()) {
    DG_ASSIGN_OR_RETURN(std::vector<ModelEntry> listed, models::LoadManifest(ManifestPath(config, path)));
    for (ModelEntry& e : listed) config.models.push_back(std::move(e));
    DG_RETURN_IF_ERROR(ResolveServedModel(config, path));
  }
  return config;
}

Status ValidateModelEntry(const ModelEntry& e) {
  if (e.id.empty() || e.id.size() > 256) return Status::InvalidArgument("a model id must be 1..256 characters");
  for (unsigned char ch : e.id)
    if (ch < 0x21 || ch == 0x7f) return Status::InvalidArgument("model id '" + e.id + "' holds a space or control character");
  if (e.path.empty()) return Status::InvalidArgument("model '" + e.id + "' has no path");
  if (!e.sha256.empty() && !models::IsSha256Hex(e.sha256))
    return Status::InvalidArgument("model '" + e.id + "': sha256 must be 64 hex digits");
  return Status::Ok();
}

Status ResolveServedModel(WorkerConfig& c, const std::string& origin) {
  if (!c.model_path.empty()) {
    // The shorthand wins; an entry for the same file lends it its id and hash.
    for (const ModelEntry& e : c.models) {
      if (e.path != c.model_path) continue;
      if (c.model_sha256.empty()) c.model_sha256 = e.sha256;
      if (c.model_id.empty()) c.model_id = e.id;
      break;
    }
    return Status::Ok();
  }
  if (c.models.empty())
    return Status::InvalidArgument(origin + ": 'model_path' is required (or a 'models' / 'model_manifest' entry)");
  const ModelEntry& first = c.models.front();
  c.model_path = first.path;
  c.model_id = first.id;
  if (c.model_sha256.empty()) c.model_sha256 = first.sha256;
  return Status::Ok();
}

std::string ManifestPath(const WorkerConfig& config, const std::string& config_path) {
  std::filesystem::path p(config.model_manifest);
  if (p.is_relative()) p = std::filesystem::path(config_path).parent_path() / p;
  return p.string();
}

std::string EffectiveModelId(const WorkerConfig& config) {
  if (!config.model_id.empty()) return config.model_id;
  std::string stem = std::filesystem::path(config.model_path).filename().string();
  if (stem.size() > 5 && stem.compare(stem.size() - 5, 5, ".gguf") == 0) stem.resize(stem.size() - 5);
  return stem;
}

ConfigChanges DiffConfig(const WorkerConfig& a, const WorkerConfig& b) {
  ConfigChanges out;
  for (const KeySpec& k : Keys())
    if (!k.same(a, b)) (k.reload == Reload::kLive ? out.applied : out.need_restart).push_back(k.name);
  return out;
}

WorkerConfig ApplyLiveKeys(const WorkerConfig& current, const WorkerConfig& next) {
  WorkerConfig merged = current;
  for (const KeySpec& k : Keys())
    if (k.reload == Reload::kLive) k.copy(next, merged);
  return merged;
}

}  // namespace deepgate::fcgi
