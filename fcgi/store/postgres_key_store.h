// PostgresKeyStore: the KeyStore (fcgi/auth/key_store.h) on PostgreSQL, one store for every
// worker of every host. Same tables and semantics as SqliteKeyStore (pg_schema.cpp); rotation
// (Supersede) and erasure run in one transaction each.
//
// Cross-host invalidation: every write NOTIFYs kPgChannel inside its transaction ("key:ID",
// "all" after an erasure, "purge" after a queued cache purge), so the notice leaves exactly
// when the change commits. A worker (options.listen) holds one PgListener connection; a notice
// drops the key's cached record (and wakes the purge follower). FindById answers from its
// cache only while the listener is up, the record was read since the listener last
// (re)connected, and it is younger than recheck_seconds (the safety net should a notice be
// lost); otherwise it asks the server.
//
// Failure policy: when the server cannot be asked (down, hung past the statement timeout),
// a key whose record was confirmed current within stale_key_seconds is still answered from
// the cache; any other lookup, and every write, is Unavailable (the API answers 503
// key_store_unavailable). So a revoked key is never accepted longer than stale_key_seconds
// after the outage began, and everything recovers by itself when the server is back
// (connections are re-opened on demand, the listener reconnects every 500 ms).
// While the listener is down, such keys are answered from the cache at once (no timeout per
// request); lookups go back to the server when the listener has reconnected.
// Timeouts: connect_ms and statement_ms bound every call; the connection lock is waited for at
// most statement_ms, so a hung server holds a request for at most statement_ms + connect_ms
// (+ statement_ms waiting for the lock).
// Thread-safety: every method from any thread (one connection behind a timed mutex, the cache
// behind its own mutex, so cached answers never wait for the server).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fcgi/audit/journal_writer.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/store/pg_connection.h"
#include "fcgi/store/pg_listener.h"
#include "fcgi/audit/backend_health.h"

namespace deepgate::fcgi::store {

struct PgStoreOptions {
  std::string dsn;  // libpq conninfo, holds the password: never logged
  PgTimeouts timeouts;
  int stale_key_seconds = 30;
  int recheck_seconds = 10;
  bool listen = false;  // workers: true (the CLI only writes)
  std::unique_ptr<audit::JournalWriter> journal;  // backend_degraded events; may be null
};

class PostgresKeyStore final : public auth::KeyStore {
 public:
  // Connects and checks the schema version (PgCheckSchema): never creates it.
  [[nodiscard]] static Result<std::unique_ptr<PostgresKeyStore>> Open(PgStoreOptions options);
  ~PostgresKeyStore() override;
  PostgresKeyStore(const PostgresKeyStore&) = delete;
  PostgresKeyStore& operator=(const PostgresKeyStore&) = delete;

  [[nodiscard]] Status Insert(const auth::KeyRecord& record) override;
  [[nodiscard]] Result<std::optional<auth::KeyRecord>> FindById(const std::string& id) override;
  [[nodiscard]] Result<std::vector<auth::KeyRecord>> List() override;
  [[nodiscard]] Result<std::vector<auth::KeyRecord>> ListExpiring(int64_t now, int64_t window_s) override;
  [[nodiscard]] Status Revoke(const std::string& id, int64_t now) override;
  [[nodiscard]] Status Supersede(const std::string& old_id, const auth::KeyRecord& replacement,
                                 int64_t old_valid_until) override;
  [[nodiscard]] Result<std::string> SubjectKey(const std::string& subject, const std::string& candidate,
                                               int64_t now) override;
  [[nodiscard]] Result<bool> HasSubjectKey(const std::string& subject) override;
  [[nodiscard]] Result<auth::SubjectErasure> EraseSubject(const std::string& subject, int64_t now) override;
  [[nodiscard]] Result<int64_t> RecordCachePurge(const std::string& subject, int64_t now) override;
  [[nodiscard]] Result<std::vector<auth::CachePurge>> ListCachePurgesSince(int64_t seq) override;
  [[nodiscard]] Result<int64_t> LastCachePurgeSeq() override;
  [[nodiscard]] Result<std::vector<auth::SubjectKeyRecord>> ListSubjectKeys() override;
  [[nodiscard]] Status SetTotp(const std::string& id, const std::string& sealed_secret) override;
  [[nodiscard]] Result<bool> ConsumeTotpStep(const std::string& id, int64_t step) override;

  auth::KeyStoreHealth Health() const override;
  void SetPurgeWaker(std::function<void()> wake) override;

 private:
  using Clock = std::chrono::steady_clock;
  struct Cached {
    std::optional<auth::KeyRecord> record;  // nullopt: the id was absent
    Clock::time_point fetched;              // read from the server
    Clock::time_point confirmed;            // last known current (fetch, or a cache hit while listening)
    uint64_t epoch = 0;                     // listener epoch at the read
  };

  explicit PostgresKeyStore(PgStoreOptions options);
  // Runs `body` on the connection (re-opened if needed) under conn_mu_; notes the outcome.
  Status WithConnection(const std::function<Status(PgConnection&)>& body);
  Result<PgResult> Read(const std::string& sql, const std::vector<PgParam>& params);
  // BEGIN; body; NOTIFY payload; COMMIT — or ROLLBACK.
  Status Transaction(const std::string& notify_payload, const std::function<Status(PgConnection&)>& body);
  Result<PgConnection*> ConnectionLocked();

  std::optional<auth::KeyRecord> FreshCached(const std::string& id, Clock::time_point now);
  void StoreCached(const std::string& id, std::optional<auth::KeyRecord> record, uint64_t epoch,
                   uint64_t invalidations_before);
  Result<std::optional<auth::KeyRecord>> StaleOrUnavailable(const std::string& id, const Status& why);
  void OnNotice(const std::string& payload);
  void OnListenerState(const Status& state);
  void Invalidate(const std::string& id);  // "" = everything

  PgStoreOptions options_;
  audit::BackendHealth health_;

  std::timed_mutex conn_mu_;
  std::unique_ptr<PgConnection> conn_;            // GUARDED_BY(conn_mu_)
  Clock::time_point last_connect_failure_{};      // GUARDED_BY(conn_mu_)
  Status last_connect_error_ = Status::Ok();      // GUARDED_BY(conn_mu_)

  mutable std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // GUARDED_BY(cache_mu_)
  std::function<void()> purge_waker_;              // GUARDED_BY(cache_mu_)
  std::atomic<bool> listening_{false};
  std::atomic<uint64_t> epoch_{1};          // +1 at every listener (re)connect
  std::atomic<uint64_t> invalidations_{0};  // +1 at every notice
  static constexpr size_t kMaxCached = 65536;

  std::unique_ptr<PgListener> listener_;  // last: its thread calls into everything above
};

}  // namespace deepgate::fcgi::store
