// WorkerConfig: everything deepgate-fcgi reads from its JSON config file.
//
// Every default lives in the member initialisers below (one place, units beside the field),
// and every bound is checked by ParseConfig when the file is loaded, not when a value is
// used. Unknown keys are rejected so a typo never silently falls back to a default.
// Thread-safety: plain values; the worker swaps whole copies on SIGHUP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/status.h"
#include "fcgi/auth/auth_config.h"
#include "fcgi/store/store_config.h"

namespace deepgate::fcgi {

// Limits for a principal that carries none of its own (open access, or a key without
// per-key limits). Per worker instance; 0 = unlimited. (reloadable)
struct RateLimitConfig {
  int64_t requests_per_minute = 120;  // requests/min per subject; burst = one minute's worth
  // Non-zero by default (issue 16): a key without its own limits cannot take the engine.
  // tokens/min also bounds what may be reserved in flight (n x (prompt + max_tokens)).
  int64_t tokens_per_minute = 200000; // prompt + completion tokens/min per subject
  int max_concurrent = 8;             // requests, and sequences (n counts), in flight per subject
  // Failed credentials per client address per minute (burst = that many); beyond it the
  // address gets 429 before any credential is checked. 0 = no limit.
  int64_t auth_failures_per_minute = 30;

  bool operator==(const RateLimitConfig&) const = default;
};

// Country policy (export control). (reloadable; SIGHUP also reopens the database)
struct GeoIpConfig {
  std::string database;                      // .mmdb file; "" = no country lookups
  std::vector<std::string> allow_countries;  // ISO alpha-2; set: only these may call
  std::vector<std::string> deny_countries;   // or: all but these (never both)
  // Addresses the database cannot place. Default: allowed with a deny-list, denied with an
  // allow-list (ParseConfig applies that when "unknown_country" is not given).
  bool allow_unknown = true;

  bool operator==(const GeoIpConfig&) const = default;
};

// Anomaly detector: requests/min per subject against mean + 3 sigma of the last hour. (reloadable)
struct AnomalyConfig {
  bool enabled = true;
  int64_t floor_per_minute = 60;  // never flag a minute at or below this count
  int history_minutes = 60;

  bool operator==(const AnomalyConfig&) const = default;
};

// Audit trail in journald. (restart to change)
struct AuditConfig {
  // Refuse to start when the journal socket is missing: sd_journal_send silently drops
  // entries without a journald, and an audit trail with holes is worse than none.
  bool required = true;
  bool stderr_lines = true;  // also one masked key=value line per entry on stderr
  // Journal namespace the audit API reads back ("" = the system journal). The packaged
  // service logs to the namespace "deepgate" (LogNamespace= in deepgate.service).
  std::string journal_namespace;

  bool operator==(const AuditConfig&) const = default;
};

// One model file this host may serve (the "models" array, or a models.json manifest entry).
struct ModelEntry {
  std::string id;      // id in /v1/models
  std::string path;    // GGUF file
  std::string sha256;  // 64 hex digits the file must hash to; "" = not verified (warned)

  bool operator==(const ModelEntry&) const = default;
};

// Response cache for deterministic generation requests (fcgi/api/cached_generation.h).
// (restart to change: the cache is built once; a purge is POST /admin/cache/purge)
struct CacheConfig {
  bool enabled = true;
  int ttl_s = 900;                         // s; an answer is served at most this long after it was made
  int64_t max_bytes = int64_t{64} << 20;   // bytes for all entries; least recently used go first
  // "key": each principal (subject) sees only the answers it caused; "shared": one cache for
  // everyone (more hits, but a hit tells a key that someone asked the same thing).
  bool shared = false;
  // "redis": entries live in Redis (the "redis" object), so every worker on every host shares
  // them; "local": this process only. A Redis that cannot answer is a miss, never an error.
  bool redis = false;
  int64_t max_entry_bytes = int64_t{1} << 20;  // bytes; a larger answer is not stored (redis)

  bool operator==(const CacheConfig&) const = default;
};

// Redis for state shared by all workers of all hosts (global limits, the response cache).
// Off unless "url" is set and limits.backend or cache.backend names it. (restart to change)
struct RedisConfig {
  std::string url;            // "unix:/run/redis/redis.sock" or "redis://host:port"; "" = none
  // AUTH password: a 0600/0640 file of at least 32 bytes (systemd credential "redis-password"
  // first); "" = no AUTH. Never logged.
  std::string password_file;
  int timeout_ms = 100;       // ms; connect and every command: a hung Redis costs a request this much
  // Connections per worker, shared by its acceptor threads: as many as acceptor_threads, so a
  // thread never queues for one (a Redis connection is a socket and a few KiB on each side).
  int pool_size = 16;
  std::string key_prefix = "deepgate:";  // one Redis may serve several deployments

  bool operator==(const RedisConfig&) const = default;
};

// Where per-key limits and anomaly counts live (fcgi/policy/limits.h). (restart to change)
struct LimitsConfig {
  bool redis = false;        // "backend": "local" (per worker, default) or "redis" (global)
  // "on_backend_failure": Redis unreachable → "fail_closed" (503 limits_unavailable) or
  // "local" (per-worker limits until Redis answers again).
  bool fail_closed = true;
  // s; a concurrency slot's lease: renewed every third of it while its request runs, so a
  // killed worker's slots free themselves within this long.
  int lease_seconds = 30;

  bool operator==(const LimitsConfig&) const = default;
};

// Overflow to a cloud or second-site upstream (nginx's @overflow, see
// fcgi/policy/overflow_policy.h): which requests may leave the site when this worker answers
// 503. nginx must be configured too (nginx/snippets/deepgate-overflow*.conf). (reloadable)
struct OverflowConfig {
  bool enabled = false;                             // off: nothing is ever marked to leave
  std::vector<std::string> roles = {"developer"};   // roles whose requests may leave
  std::vector<std::string> allow_countries;         // ISO alpha-2; set: only clients placed in these
  // Keys made without --local-only / --allow-overflow, and IdP tokens: true keeps them on
  // site (the strict default; a deployment that trusts its overflow upstream sets false).
  bool local_only_default = true;

  bool operator==(const OverflowConfig&) const = default;
};

inline constexpr EngineOptions kEngineDefaults{};

struct WorkerConfig {
  // --- listening (restart to change) ---
  // Unix socket nginx connects to. Ignored when systemd passes a socket (LISTEN_FDS).
  std::string socket_path = "/run/deepgate/deepgate.sock";
  // Socket permissions: nginx's worker user must be able to connect (write) to it.
  int socket_mode = 0660;
  std::string socket_group = "deepgate-fcgi";  // "" keeps the worker's own group
  int listen_backlog = 128;               // pending connections the kernel queues
  // FastCGI acceptor threads. With fastcgi_keep_conn on, nginx holds idle connections open
  // and each one pins a thread, so keep this above nginx's upstream `keepalive` count.
  int acceptor_threads = 16;

  // --- requests (reloadable) ---
  int64_t max_body_bytes = 1 << 20;   // bytes; larger bodies are answered 413 unread
  int request_deadline_ms = 300000;   // ms; a request (incl. streaming) is cancelled after this
  int retry_after_s = 2;              // s; Retry-After on 503 (loading, overloaded)

  // --- model (restart to change) ---
  std::string model_path;             // GGUF file; required
  std::string model_id;               // id in /v1/models; "" derives it from the file name
  // SHA-256 (hex) model_path must hash to before it is served; "" = not verified. Filled from
  // the served manifest entry when the model comes from "models" / "model_manifest".
  std::string model_sha256;
  // Model manifest: inline entries and/or a manifest file the CLI maintains (relative to the
  // config's folder). The worker serves one model: model_path if set (the single-model
  // shorthand), else the first entry. See fcgi/models/model_manifest.h.
  std::vector<ModelEntry> models;
  std::string model_manifest;         // "" = none
  int threads = 0;                    // compute threads; 0 = all online CPUs
  // Repack Q4_0/Q5_0/Q8_0/Q4_K/Q5_K/Q6_K matrices at load for the packed GEMM (ModelOptions::repack_weights):
  // faster, but a private copy (~ those tensors' size per worker process) where false keeps
  // the weights in the mmapped file, whose page cache all workers on the host share.
  bool repack_weights = true;
  // The engine's keys default to core/engine.h's EngineOptions (one set of defaults, the
  // reasons are given there).
  int ctx_size = kEngineDefaults.n_ctx;                // positions per sequence
  int max_sequences = kEngineDefaults.max_sequences;  // concurrently generating sequences (batch width)
  int queue_length = kEngineDefaults.queue_capacity;  // waiting requests beyond that; more → 503
  // Prompt tokens evaluated per engine step across all prefilling sequences: bounds how long
  // a long prompt can delay the next token of every streaming answer.
  int prefill_chunk = kEngineDefaults.prefill_chunk;
  int64_t kv_cache_mb = static_cast<int64_t>(kEngineDefaults.kv_budget_bytes >> 20);  // MiB for all KV caches
  // Sequences of max_sequences that one subject (key, IdP user, client address) can never
  // take: it may hold at most max_sequences - this (at least 1), running or queued, so another
  // subject's request always finds a batch slot (fcgi/policy/engine_share.h). 0 = no reserve
  // and no per-subject cap: one subject may fill the batch and the queue.
  int engine_reserved_sequences = 1;  // (reloadable)
  // ms a write to nginx may make no progress (a client that stops reading a stream) before the
  // request is treated as gone and its sequences freed. (reloadable)
  int write_timeout_ms = 30000;

  // --- policy and audit ---
  RateLimitConfig rate_limits;
  GeoIpConfig geoip;
  AnomalyConfig anomaly;
  AuditConfig audit;
  CacheConfig cache;
  OverflowConfig overflow;
  // Key store backend (restart to change): SQLite (default) or PostgreSQL, fcgi/store/.
  store::StoreConfig store;
  // Peers whose X-Forwarded-For is believed (CIDR or address). Empty: REMOTE_ADDR is the
  // client, always. (reloadable)
  std::vector<std::string> trusted_proxies;

  // --- process ---
  int shutdown_deadline_ms = 10000;   // ms; in-flight requests get this long on SIGTERM (reloadable)
  bool watchdog = true;               // ping systemd's watchdog when WATCHDOG_USEC is set

  // --- credentials (restart to change): the "auth" object, see fcgi/auth/auth_config.h ---
  auth::AuthConfig auth;

  // --- shared state beyond one host (restart to change) ---
  RedisConfig redis;
  LimitsConfig limits;
};

// Parses config text (JSON object). `origin` names the source in error messages.
[[nodiscard]] Result<WorkerConfig> ParseConfig(const std::string& text, const std::string& origin);

// Reads and parses a config file.
[[nodiscard]] Result<WorkerConfig> LoadConfig(const std::string& path);

// Bounds of one manifest entry (shared by the config and models.json).
[[nodiscard]] Status ValidateModelEntry(const ModelEntry& entry);

// Picks the model the worker serves (see WorkerConfig::models) and copies its path, id and
// sha256 into model_path / model_id / model_sha256. InvalidArgument when there is none.
[[nodiscard]] Status ResolveServedModel(WorkerConfig& config, const std::string& origin);

// The manifest file's path with a relative model_manifest resolved against the config's folder.
std::string ManifestPath(const WorkerConfig& config, const std::string& config_path);

// The id /v1/models reports: model_id, or the model file's name without ".gguf".
std::string EffectiveModelId(const WorkerConfig& config);

// What a SIGHUP reload would change: keys applied live and keys that need a restart.
struct ConfigChanges {
  std::vector<std::string> applied;
  std::vector<std::string> need_restart;
};
// Both read the key table in config.cpp, where each key is marked live or restart.
ConfigChanges DiffConfig(const WorkerConfig& before, const WorkerConfig& after);
// `current` with the live (reloadable) keys taken from `next`; restart keys keep their value.
WorkerConfig ApplyLiveKeys(const WorkerConfig& current, const WorkerConfig& next);

}  // namespace deepgate::fcgi
