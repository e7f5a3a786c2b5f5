// KeyStore: the API key records, subject pseudonym keys and the cache-purge queue, shared by
// the worker (reads, admin API writes) and the `deepgate keys` CLI (writes). One interface,
// two backends: SqliteKeyStore (sqlite_key_store.h, the single-host default) and
// PostgresKeyStore (postgres_key_store.h, one store for many hosts). Keys are stored only as
// peppered hashes. Thread-safety: every implementation may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/base/data_policy.h"

namespace deepgate::fcgi::auth {

struct KeyRecord {
  std::string id;                    // 16 hex digits, see api_key.h
  std::string name;                  // operator's label
  std::string role;                  // a role from the config
  std::string hash;                  // HMAC-SHA256(pepper, key), 32 bytes; never leaves auth/
  std::vector<std::string> models;   // allowed model ids; empty = every model
  int64_t requests_per_min = 120;
  int64_t tokens_per_min = 0;        // 0 = no limit
  int64_t max_concurrent = 0;        // 0 = no limit
  int64_t created_at = 0;            // unix seconds
  int64_t expires_at = 0;            // unix seconds
  int64_t revoked_at = 0;            // 0 = not revoked
  std::string rotated_from;          // id of the key this one replaced, "" if none
  std::string superseded_by;         // id of the key that replaced this one, "" if none
  // The person or system the key belongs to (`keys create --subject`), so one owner's keys
  // share one audit pseudonym and one erasure; "" = the key id is the subject.
  std::string subject;
  // May its requests be served off-site (overflow)? `keys create --local-only |
  // --allow-overflow`; kDeploymentDefault follows overflow.local_only_default.
  DataPolicy data_policy = DataPolicy::kDeploymentDefault;
  // mTLS binding (`keys create --bind-cert`): lower-case hex SHA-256 of the client certificate
  // (DER) the key must arrive over; "" = any or none (fcgi/auth/client_cert.h).
  std::string cert_sha256;
  // TOTP second factor for admin changes (fcgi/auth/totp_guard.h): the secret sealed under
  // the master secret (sealed_secret.h), "" = not enrolled; never the raw secret.
  std::string totp_sealed;
  int64_t totp_last_step = 0;  // the newest 30 s step whose code was used (each works once)
};

// A request to drop cached responses: one subject's, or all ("" subject). Workers follow the
// queue by sequence number (ListCachePurgesSince).
struct CachePurge {
  int64_t seq = 0;
  std::string subject;
  int64_t created_at = 0;
};

// A subject's pseudonym key as stored (for `deepgate store copy`).
struct SubjectKeyRecord {
  std::string subject;
  std::string key;  // 32 random bytes
  int64_t created_at = 0;
};

// The backend's state, for /ready and /metrics.
struct KeyStoreHealth {
  std::string backend = "sqlite";  // "sqlite" | "postgres"
  bool reachable = true;
  bool listening = false;          // postgres: LISTEN connection up (cross-host invalidation live)
  uint64_t outages = 0;            // backend_degraded transitions
  uint64_t stale_answers = 0;      // keys answered from the stale window while unreachable
  std::string last_error;          // never holds a secret
};

// What EraseSubject removed.
struct SubjectErasure {
  int keys_deleted = 0;
  bool pseudonym_key_deleted = false;
  int64_t purge_seq = 0;  // the cache purge it queued
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  // InvalidArgument if the id exists.
  [[nodiscard]] virtual Status Insert(const KeyRecord& record) = 0;
  // nullopt when no such id.
  [[nodiscard]] virtual Result<std::optional<KeyRecord>> FindById(const std::string& id) = 0;
  // Every key, newest first.
  [[nodiscard]] virtual Result<std::vector<KeyRecord>> List() = 0;
  // Keys neither revoked nor expired at `now` that expire within `window_s` of it — for
  // `keys list --expiring` and the audit helper's daily warning.
  [[nodiscard]] virtual Result<std::vector<KeyRecord>> ListExpiring(int64_t now, int64_t window_s) = 0;
  // NotFound for an unknown id; revoking twice keeps the first time.
  [[nodiscard]] virtual Status Revoke(const std::string& id, int64_t now) = 0;
  // One transaction: inserts `replacement` and marks `old_id` superseded by it, its expiry
  // brought forward to `old_valid_until` (not extended).
  [[nodiscard]] virtual Status Supersede(const std::string& old_id, const KeyRecord& replacement, int64_t old_valid_until) = 0;

  // --- data-subject erasure (GDPR Art. 17) and audit pseudonyms ---
  // The subject's pseudonym key: the stored one, or `candidate` (32 random bytes from the
  // caller) stored now if it has none. Concurrent callers all get the one that was stored.
  [[nodiscard]] virtual Result<std::string> SubjectKey(const std::string& subject, const std::string& candidate, int64_t now) = 0;
  // Whether the subject has a pseudonym key (without making one).
  [[nodiscard]] virtual Result<bool> HasSubjectKey(const std::string& subject) = 0;
  // One transaction: deletes every key whose subject or id is `subject`, the subject's
  // pseudonym key, and queues a purge of its cached responses.
  [[nodiscard]] virtual Result<SubjectErasure> EraseSubject(const std::string& subject, int64_t now) = 0;
  // Queues a purge of cached responses ("" = all); returns its sequence number.
  [[nodiscard]] virtual Result<int64_t> RecordCachePurge(const std::string& subject, int64_t now) = 0;
  // Purges queued after `seq`, oldest first.
  [[nodiscard]] virtual Result<std::vector<CachePurge>> ListCachePurgesSince(int64_t seq) = 0;
  // The newest purge's sequence number (0 when none): where a starting worker begins to follow.
  [[nodiscard]] virtual Result<int64_t> LastCachePurgeSeq() = 0;
  // Every subject pseudonym key (`deepgate store copy` moves them with the keys).
  [[nodiscard]] virtual Result<std::vector<SubjectKeyRecord>> ListSubjectKeys() = 0;

  // --- TOTP (fcgi/auth/totp_guard.h) ---
  // Sets the key's sealed TOTP secret ("" disables) and resets its last used step. NotFound
  // for an unknown id.
  [[nodiscard]] virtual Status SetTotp(const std::string& id, const std::string& sealed_secret) = 0;
  // Records `step` as the key's last used TOTP step when it is newer than the stored one, in
  // one conditional UPDATE (so two workers, threads or hosts cannot both use one code): true
  // when it was.
  [[nodiscard]] virtual Result<bool> ConsumeTotpStep(const std::string& id, int64_t step) = 0;

  virtual KeyStoreHealth Health() const { return {}; }
  // `wake` is called (from another thread) when another process queued a cache purge, so the
  // purge follower need not wait for its next poll. Stores without change notification
  // never call it.
  virtual void SetPurgeWaker(std::function<void()> wake) { (void)wake; }
};

}  // namespace deepgate::fcgi::auth
