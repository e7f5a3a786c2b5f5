// KeyStore: API key records in SQLite, shared by the worker (reads, admin API writes) and the
// `deepgate keys` CLI (writes) through the same file.
//
// Durability: WAL journal with synchronous=FULL. WAL lets readers (every request) run while
// the CLI writes; FULL fsyncs the WAL on every commit, so a committed key survives kill -9 and
// power loss alike. NORMAL would only be safe against process crashes, and key writes are rare
// (one fsync each is nothing), while a key shown once and then lost is not.
// busy_timeout (5 s) makes a writer wait for another instead of failing with SQLITE_BUSY.
// FindById (every authenticated request) answers from memory while the store is unchanged:
// any commit, by this process or another (the CLI, a second worker), appends to the -wal file
// and a checkpoint rewrites the main file, so a changed size/mtime/inode of either drops every
// cached record; cached records are also dropped after kRecordCacheMaxAge whatever the files
// say. A revocation therefore takes effect at the next request — at worst after that second,
// when a commit rewrites a reset WAL to the same size within one file-timestamp tick of the
// previous lookup.
// The file is created 0600 (SQLite gives its -wal/-shm files the same mode); an existing file
// that other users can access is refused.
// Thread-safety: one connection guarded by a mutex; every method may be called from any thread.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
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

// What EraseSubject removed.
struct SubjectErasure {
  int keys_deleted = 0;
  bool pseudonym_key_deleted = false;
  int64_t purge_seq = 0;  // the cache purge it queued
};

class KeyStore {
 public:
  // Opens (creating if needed) the store at path and its schema.
  [[nodiscard]] static Result<std::unique_ptr<KeyStore>> Open(const std::string& path);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  // InvalidArgument if the id exists.
  [[nodiscard]] Status Insert(const KeyRecord& record);
  // nullopt when no such id.
  [[nodiscard]] Result<std::optional<KeyRecord>> FindById(const std::string& id);
  // Every key, newest first.
  [[nodiscard]] Result<std::vector<KeyRecord>> List();
  // Keys neither revoked nor expired at `now` that expire within `window_s` of it — for
  // `keys list --expiring` and the audit helper's daily warning.
  [[nodiscard]] Result<std::vector<KeyRecord>> ListExpiring(int64_t now, int64_t window_s);
  // NotFound for an unknown id; revoking twice keeps the first time.
  [[nodiscard]] Status Revoke(const std::string& id, int64_t now);
  // One transaction: inserts `replacement` and marks `old_id` superseded by it, its expiry
  // brought forward to `old_valid_until` (not extended).
  [[nodiscard]] Status Supersede(const std::string& old_id, const KeyRecord& replacement, int64_t old_valid_until);

  // --- data-subject erasure (GDPR Art. 17) and audit pseudonyms ---
  // The subject's pseudonym key: the stored one, or `candidate` (32 random bytes from the
  // caller) stored now if it has none. Concurrent callers all get the one that was stored.
  [[nodiscard]] Result<std::string> SubjectKey(const std::string& subject, const std::string& candidate, int64_t now);
  // Whether the subject has a pseudonym key (without making one).
  [[nodiscard]] Result<bool> HasSubjectKey(const std::string& subject);
  // One transaction: deletes every key whose subject or id is `subject`, the subject's
  // pseudonym key, and queues a purge of its cached responses.
  [[nodiscard]] Result<SubjectErasure> EraseSubject(const std::string& subject, int64_t now);
  // Queues a purge of cached responses ("" = all); returns its sequence number.
  [[nodiscard]] Result<int64_t> RecordCachePurge(const std::string& subject, int64_t now);
  // Purges queued after `seq`, oldest first.
  [[nodiscard]] Result<std::vector<CachePurge>> ListCachePurgesSince(int64_t seq);
  // The newest purge's sequence number (0 when none): where a starting worker begins to follow.
  [[nodiscard]] Result<int64_t> LastCachePurgeSeq();

  // --- TOTP (fcgi/auth/totp_guard.h) ---
  // Sets the key's sealed TOTP secret ("" disables) and resets its last used step. NotFound
  // for an unknown id.
  [[nodiscard]] Status SetTotp(const std::string& id, const std::string& sealed_secret);
  // Records `step` as the key's last used TOTP step when it is newer than the stored one, in
  // one UPDATE (so two workers or threads cannot both use one code): true when it was.
  [[nodiscard]] Result<bool> ConsumeTotpStep(const std::string& id, int64_t step);

  const std::string& path() const { return path_; }

 private:
  KeyStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)), wal_path_(path_ + "-wal") {}
  Status Exec(const char* sql);
  // Stores made by older versions get columns added since (ALTER TABLE ... ADD COLUMN).
  Status AddColumnIfMissing(const char* name, const char* definition);

  // Size, mtime and inode of the database file and its -wal file: see the header comment.
  struct FilesStamp {
    int64_t values[6] = {};
    bool operator==(const FilesStamp&) const = default;
  };
  FilesStamp Stamp() const;
  static constexpr std::chrono::milliseconds kRecordCacheMaxAge{1000};
  static constexpr size_t kRecordCacheMaxEntries = 4096;

  std::mutex mu_;
  sqlite3* db_;  // GUARDED_BY(mu_)
  FilesStamp cache_stamp_;                                   // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point cache_since_;        // GUARDED_BY(mu_)
  std::unordered_map<std::string, KeyRecord> cached_;        // GUARDED_BY(mu_): id → record
  // Ids found absent, dropped with cached_: a flood of made-up key ids costs a hash lookup,
  // not a SQLite query each, and a key created since (any commit) is seen at once.
  std::unordered_set<std::string> absent_;                   // GUARDED_BY(mu_)
  // FindById runs on every request: its statement is prepared once, reset between uses.
  sqlite3_stmt* find_by_id_ = nullptr;  // GUARDED_BY(mu_)
  std::string path_;
  std::string wal_path_;  // SQLite's WAL file beside path_, stamped by FindById
};

}  // namespace deepgate::fcgi::auth
