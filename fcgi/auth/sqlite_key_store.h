// SqliteKeyStore: the KeyStore (key_store.h) in SQLite, shared by the worker (reads, admin API writes) and the
// `deepgate keys` CLI (writes) through the same file.
//
// Durability: WAL journal with synchronous=FULL. WAL lets readers (every request) run while
// the CLI writes; FULL fsyncs the WAL on every commit, so a committed key survives kill -9 and
// power loss alike. NORMAL would only be safe against process crashes, and key writes are rare
// (one fsync each is nothing), while a key shown once and then lost is not.
// busy_timeout (5 s) makes a writer wait for another instead of failing with SQLITE_BUSY.
// FindById (every authenticated request) answers from memory while the store is unchanged:
// any commit, by this process or another (the CLI, a second worker), appends to the -wal file
// and a checkpoint rewrites the main file, so a changed size/mtime/inode of either (fstat on
// descriptors held open, reopened when the file was unlinked) drops every cached record;
// cached records are also dropped after kRecordCacheMaxAge whatever the files say. A
// revocation therefore takes effect at the next request — at worst after that second,
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
#include "fcgi/auth/key_store.h"

namespace deepgate::fcgi::auth {

class SqliteKeyStore final : public KeyStore {
 public:
  // Opens (creating if needed) the store at path and its schema.
  [[nodiscard]] static Result<std::unique_ptr<SqliteKeyStore>> Open(const std::string& path);
  ~SqliteKeyStore() override;
  SqliteKeyStore(const SqliteKeyStore&) = delete;
  SqliteKeyStore& operator=(const SqliteKeyStore&) = delete;

  // InvalidArgument if the id exists.
  [[nodiscard]] Status Insert(const KeyRecord& record) override;
  // nullopt when no such id.
  [[nodiscard]] Result<std::optional<KeyRecord>> FindById(const std::string& id) override;
  // Every key, newest first.
  [[nodiscard]] Result<std::vector<KeyRecord>> List() override;
  // Keys neither revoked nor expired at `now` that expire within `window_s` of it — for
  // `keys list --expiring` and the audit helper's daily warning.
  [[nodiscard]] Result<std::vector<KeyRecord>> ListExpiring(int64_t now, int64_t window_s) override;
  // NotFound for an unknown id; revoking twice keeps the first time.
  [[nodiscard]] Status Revoke(const std::string& id, int64_t now) override;
  // One transaction: inserts `replacement` and marks `old_id` superseded by it, its expiry
  // brought forward to `old_valid_until` (not extended).
  [[nodiscard]] Status Supersede(const std::string& old_id, const KeyRecord& replacement, int64_t old_valid_until) override;

  // --- data-subject erasure (GDPR Art. 17) and audit pseudonyms ---
  // The subject's pseudonym key: the stored one, or `candidate` (32 random bytes from the
  // caller) stored now if it has none. Concurrent callers all get the one that was stored.
  [[nodiscard]] Result<std::string> SubjectKey(const std::string& subject, const std::string& candidate, int64_t now) override;
  // Whether the subject has a pseudonym key (without making one).
  [[nodiscard]] Result<bool> HasSubjectKey(const std::string& subject) override;
  // One transaction: deletes every key whose subject or id is `subject`, the subject's
  // pseudonym key, and queues a purge of its cached responses.
  [[nodiscard]] Result<SubjectErasure> EraseSubject(const std::string& subject, int64_t now) override;
  // Queues a purge of cached responses ("" = all); returns its sequence number.
  [[nodiscard]] Result<int64_t> RecordCachePurge(const std::string& subject, int64_t now) override;
  // Purges queued after `seq`, oldest first.
  [[nodiscard]] Result<std::vector<CachePurge>> ListCachePurgesSince(int64_t seq) override;
  // The newest purge's sequence number (0 when none): where a starting worker begins to follow.
  [[nodiscard]] Result<int64_t> LastCachePurgeSeq() override;
  [[nodiscard]] Result<std::vector<SubjectKeyRecord>> ListSubjectKeys() override;
  [[nodiscard]] Status SetTotp(const std::string& id, const std::string& sealed_secret) override;
  [[nodiscard]] Result<bool> ConsumeTotpStep(const std::string& id, int64_t step) override;

  const std::string& path() const { return path_; }

 private:
  SqliteKeyStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)), wal_path_(path_ + "-wal") {}
  Status Exec(const char* sql);
  // Stores made by older versions get columns added since (ALTER TABLE ... ADD COLUMN).
  Status AddColumnIfMissing(const char* name, const char* definition);

  // Size, mtime and inode of the database file and its -wal file: see the header comment.
  struct FilesStamp {
    int64_t values[6] = {};
    bool operator==(const FilesStamp&) const = default;
  };
  FilesStamp Stamp();  // mu_ held
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
  // Read-only descriptors of path_ and wal_path_ that Stamp fstat()s (-1 until opened).
  int db_fd_ = -1;   // GUARDED_BY(mu_)
  int wal_fd_ = -1;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::auth
