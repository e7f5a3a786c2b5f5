// SQLite is called only here; every statement is prepared with bound parameters.
#include "fcgi/auth/sqlite_key_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fcgi/auth/model_list.h"

namespace deepgate::fcgi::auth {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS api_keys ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " hash BLOB NOT NULL,"
    " models TEXT NOT NULL DEFAULT '',"
    " requests_per_min INTEGER NOT NULL,"
    " tokens_per_min INTEGER NOT NULL,"
    " max_concurrent INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " revoked_at INTEGER NOT NULL DEFAULT 0,"
    " rotated_from TEXT NOT NULL DEFAULT '',"
    " superseded_by TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '',"
    " data_policy TEXT NOT NULL DEFAULT '',"
    " cert_sha256 TEXT NOT NULL DEFAULT '',"
    " totp_sealed BLOB NOT NULL DEFAULT x'',"
    " totp_last_step INTEGER NOT NULL DEFAULT 0)";

// Pseudonym keys (one per data subject) and the response-cache purge queue. Deleting a
// subject's row makes the pseudonyms already in the journal unlinkable to it.
constexpr const char* kErasureSchema =
    "CREATE TABLE IF NOT EXISTS subject_keys ("
    " subject TEXT PRIMARY KEY,"
    " key BLOB NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cache_purges ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " subject TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS api_keys_subject ON api_keys(subject);";

constexpr const char* kColumns =
    "id, name, role, hash, models, requests_per_min, tokens_per_min, max_concurrent, created_at, expires_at,"
    " revoked_at, rotated_from, superseded_by, subject, data_policy, cert_sha256, totp_sealed, totp_last_step";

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

Status DbError(sqlite3* db, const std::string& what) {
  return Status::IoError("key store: " + what + ": " + sqlite3_errmsg(db));
}

Result<Stmt> Prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK) return DbError(db, "prepare");
  return Stmt(s);
}

std::string Text(sqlite3_stmt* s, int col) {
  const unsigned char* t = sqlite3_column_text(s, col);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, col))) : "";
}

KeyRecord ReadRow(sqlite3_stmt* s) {
  KeyRecord r;
  r.id = Text(s, 0);
  r.name = Text(s, 1);
  r.role = Text(s, 2);
  const void* blob = sqlite3_column_blob(s, 3);
  r.hash.assign(static_cast<const char*>(blob), blob ? static_cast<size_t>(sqlite3_column_bytes(s, 3)) : 0);
  r.models = SplitModels(Text(s, 4));
  r.requests_per_min = sqlite3_column_int64(s, 5);
  r.tokens_per_min = sqlite3_column_int64(s, 6);
  r.max_concurrent = sqlite3_column_int64(s, 7);
  r.created_at = sqlite3_column_int64(s, 8);
  r.expires_at = sqlite3_column_int64(s, 9);
  r.revoked_at = sqlite3_column_int64(s, 10);
  r.rotated_from = Text(s, 11);
  r.superseded_by = Text(s, 12);
  r.subject = Text(s, 13);
  // An unknown spelling (a newer version's) keeps the key on site.
  r.data_policy = ParseDataPolicy(Text(s, 14)).value_or(DataPolicy::kLocalOnly);
  r.cert_sha256 = Text(s, 15);
  const void* sealed = sqlite3_column_blob(s, 16);
  r.totp_sealed.assign(static_cast<const char*>(sealed), sealed ? static_cast<size_t>(sqlite3_column_bytes(s, 16)) : 0);
  r.totp_last_step = sqlite3_column_int64(s, 17);
  return r;
}

Result<std::vector<KeyRecord>> ReadAll(sqlite3* db, sqlite3_stmt* s) {
  std::vector<KeyRecord> out;
  for (;;) {
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return DbError(db, "read");
    out.push_back(ReadRow(s));
  }
}

// Creates the file 0600 before SQLite sees it; refuses an existing one open to others.
Status PrepareFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::IoError("key store: cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  const bool ok = ::fstat(fd, &st) == 0;
  ::close(fd);
  if (!ok || !S_ISREG(st.st_mode)) return Status::InvalidArgument("key store: " + path + " is not a regular file");
  // 0600: it holds the key hashes and every data subject's pseudonym key.
  if (st.st_mode & (S_IRWXO | S_IRWXG))
    return Status::InvalidArgument("key store: " + path + " is accessible to its group or other users; run: chmod 0600 " + path);
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteKeyStore>> SqliteKeyStore::Open(const std::string& path) {
  DG_RETURN_IF_ERROR(PrepareFile(path));
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Status::IoError("key store: cannot open " + path + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close_v2(db);
    return s;
  }
  std::unique_ptr<SqliteKeyStore> store(new SqliteKeyStore(db, path));
  sqlite3_busy_timeout(db, 5000);
  DG_RETURN_IF_ERROR(store->Exec("PRAGMA journal_mode=WAL"));
  DG_RETURN_IF_ERROR(store->Exec("PRAGMA synchronous=FULL"));
  DG_RETURN_IF_ERROR(store->Exec(kSchema));
  DG_RETURN_IF_ERROR(store->AddColumnIfMissing("subject", "TEXT NOT NULL DEFAULT ''"));
  DG_RETURN_IF_ERROR(store->AddColumnIfMissing("data_policy", "TEXT NOT NULL DEFAULT ''"));
  DG_RETURN_IF_ERROR(store->AddColumnIfMissing("cert_sha256", "TEXT NOT NULL DEFAULT ''"));
  DG_RETURN_IF_ERROR(store->AddColumnIfMissing("totp_sealed", "BLOB NOT NULL DEFAULT x''"));
  DG_RETURN_IF_ERROR(store->AddColumnIfMissing("totp_last_step", "INTEGER NOT NULL DEFAULT 0"));
  DG_RETURN_IF_ERROR(store->Exec(kErasureSchema));
  return store;
}

SqliteKeyStore::~SqliteKeyStore() {
  sqlite3_finalize(find_by_id_);  // a no-op on nullptr
  sqlite3_close_v2(db_);
  if (db_fd_ >= 0) ::close(db_fd_);
  if (wal_fd_ >= 0) ::close(wal_fd_);
}

Status SqliteKeyStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Status::IoError("key store: " + msg);
  }
  return Status::Ok();
}

namespace {
Status InsertLocked(sqlite3* db, const KeyRecord& r) {
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db, std::string("INSERT INTO api_keys (") + kColumns +
                                              ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  sqlite3_stmt* st = s.get();
  sqlite3_bind_text(st, 1, r.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, r.name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, r.role.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 4, r.hash.data(), static_cast<int>(r.hash.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, JoinModels(r.models).c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 6, r.requests_per_min);
  sqlite3_bind_int64(st, 7, r.tokens_per_min);
  sqlite3_bind_int64(st, 8, r.max_concurrent);
  sqlite3_bind_int64(st, 9, r.created_at);
  sqlite3_bind_int64(st, 10, r.expires_at);
  sqlite3_bind_int64(st, 11, r.revoked_at);
  sqlite3_bind_text(st, 12, r.rotated_from.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 13, r.superseded_by.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 14, r.subject.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 15, DataPolicyName(r.data_policy), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 16, r.cert_sha256.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(st, 17, r.totp_sealed.data(), static_cast<int>(r.totp_sealed.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 18, r.totp_last_step);
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) return Status::InvalidArgument("key store: key id " + r.id + " already exists");
  if (rc != SQLITE_DONE) return DbError(db, "insert");
  return Status::Ok();
}
}  // namespace

Status SqliteKeyStore::Insert(const KeyRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  return InsertLocked(db_, r);
}

// fstat on descriptors held open, not stat by path: this runs on every authenticated
// request, and the path walk (dentry lookups, permission checks) took ~8 % of the worker's
// CPU under wrk. A file unlinked since it was opened (the -wal deleted and made again, the
// store replaced by a rename) has no links left: its descriptor is reopened by path.
SqliteKeyStore::FilesStamp SqliteKeyStore::Stamp() {
  FilesStamp stamp;
  const std::string* paths[2] = {&path_, &wal_path_};
  int* fds[2] = {&db_fd_, &wal_fd_};
  for (int i = 0; i < 2; ++i) {
    struct stat st {};
    int& fd = *fds[i];
    if (fd >= 0 && (::fstat(fd, &st) != 0 || st.st_nlink == 0)) {
      ::close(fd);
      fd = -1;
    }
    if (fd < 0) {
      fd = ::open(paths[i]->c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || ::fstat(fd, &st) != 0) continue;  // no -wal yet: zeros, which a new one changes
    }
    stamp.values[3 * i] = static_cast<int64_t>(st.st_ino);
    stamp.values[3 * i + 1] = static_cast<int64_t>(st.st_size);
    stamp.values[3 * i + 2] = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  }
  return stamp;
}

Result<std::optional<KeyRecord>> SqliteKeyStore::FindById(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  // Stamp before reading: a commit after this point changes the stamp the next call sees.
  const FilesStamp stamp = Stamp();
  const auto now = std::chrono::steady_clock::now();
  if (!(stamp == cache_stamp_) || now - cache_since_ > kRecordCacheMaxAge ||
      cached_.size() + absent_.size() >= kRecordCacheMaxEntries) {
    cached_.clear();
    absent_.clear();
    cache_stamp_ = stamp;
    cache_since_ = now;
  } else if (auto it = cached_.find(id); it != cached_.end()) {
    return std::optional<KeyRecord>(it->second);
  } else if (absent_.count(id) != 0) {
    return std::optional<KeyRecord>();
  }
  if (find_by_id_ == nullptr) {
    DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = ?"));
    find_by_id_ = s.release();
  }
  sqlite3_reset(find_by_id_);
  sqlite3_bind_text(find_by_id_, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  Result<std::vector<KeyRecord>> read = ReadAll(db_, find_by_id_);
  sqlite3_reset(find_by_id_);  // ends the read transaction now, not at the next lookup
  DG_ASSIGN_OR_RETURN(std::vector<KeyRecord> rows, std::move(read));
  if (rows.empty()) {
    absent_.insert(id);  // until the next commit or kRecordCacheMaxAge
    return std::optional<KeyRecord>();
  }
  cached_[id] = rows[0];
  return std::optional<KeyRecord>(std::move(rows[0]));
}

Result<std::vector<KeyRecord>> SqliteKeyStore::List() {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY created_at DESC, id"));
  return ReadAll(db_, s.get());
}

// Stores created before owner subjects (empty: the key id is the subject) or data policies
// (empty: the deployment default) existed get the column.
Status SqliteKeyStore::AddColumnIfMissing(const char* name, const char* definition) {
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "SELECT 1 FROM pragma_table_info('api_keys') WHERE name = ?"));
  sqlite3_bind_text(s.get(), 1, name, -1, SQLITE_STATIC);
  const int rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) return Status::Ok();
  if (rc != SQLITE_DONE) return DbError(db_, "schema");
  return Exec((std::string("ALTER TABLE api_keys ADD COLUMN ") + name + " " + definition).c_str());
}

Result<std::vector<KeyRecord>> SqliteKeyStore::ListExpiring(int64_t now, int64_t window_s) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, std::string("SELECT ") + kColumns +
                                               " FROM api_keys WHERE revoked_at = 0 AND expires_at > ? AND expires_at <= ?"
                                               " ORDER BY expires_at, id"));
  sqlite3_bind_int64(s.get(), 1, now);
  sqlite3_bind_int64(s.get(), 2, now + window_s);
  return ReadAll(db_, s.get());
}

Status SqliteKeyStore::Revoke(const std::string& id, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END WHERE id = ?"));
  sqlite3_bind_int64(s.get(), 1, now);
  sqlite3_bind_text(s.get(), 2, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db_, "revoke");
  if (sqlite3_changes(db_) == 0) return Status::NotFound("no key with id " + id);
  return Status::Ok();
}

Status SqliteKeyStore::Supersede(const std::string& old_id, const KeyRecord& replacement, int64_t old_valid_until) {
  std::lock_guard<std::mutex> lock(mu_);
  // IMMEDIATE: take the write lock up front so two rotations of one key cannot interleave.
  DG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto rollback = [&](Status s) {
    (void)Exec("ROLLBACK");
    return s;
  };
  Result<Stmt> upd = Prepare(db_, "UPDATE api_keys SET superseded_by = ?, expires_at = MIN(expires_at, ?)"
                                  " WHERE id = ? AND superseded_by = '' AND revoked_at = 0");
  if (!upd.ok()) return rollback(upd.status());
  sqlite3_bind_text(upd->get(), 1, replacement.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(upd->get(), 2, old_valid_until);
  sqlite3_bind_text(upd->get(), 3, old_id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(upd->get()) != SQLITE_DONE) return rollback(DbError(db_, "rotate"));
  if (sqlite3_changes(db_) == 0)
    return rollback(Status::NotFound("no active key with id " + old_id + " (unknown, revoked or already rotated)"));
  if (Status s = InsertLocked(db_, replacement); !s.ok()) return rollback(s);
  return Exec("COMMIT");
}

Status SqliteKeyStore::SetTotp(const std::string& id, const std::string& sealed_secret) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "UPDATE api_keys SET totp_sealed = ?, totp_last_step = 0 WHERE id = ?"));
  sqlite3_bind_blob(s.get(), 1, sealed_secret.data(), static_cast<int>(sealed_secret.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s.get(), 2, id.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db_, "set totp");
  if (sqlite3_changes(db_) == 0) return Status::NotFound("no key with id " + id);
  return Status::Ok();
}

Result<bool> SqliteKeyStore::ConsumeTotpStep(const std::string& id, int64_t step) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "UPDATE api_keys SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?"));
  sqlite3_bind_int64(s.get(), 1, step);
  sqlite3_bind_text(s.get(), 2, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s.get(), 3, step);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db_, "use totp step");
  return sqlite3_changes(db_) == 1;
}

namespace {
Result<int64_t> InsertPurgeLocked(sqlite3* db, const std::string& subject, int64_t now) {
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db, "INSERT INTO cache_purges (subject, created_at) VALUES (?, ?)"));
  sqlite3_bind_text(s.get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s.get(), 2, now);
  if (sqlite3_step(s.get()) != SQLITE_DONE) return DbError(db, "queue cache purge");
  return static_cast<int64_t>(sqlite3_last_insert_rowid(db));
}
}  // namespace

Result<std::string> SqliteKeyStore::SubjectKey(const std::string& subject, const std::string& candidate, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    DG_ASSIGN_OR_RETURN(Stmt ins, Prepare(db_, "INSERT OR IGNORE INTO subject_keys (subject, key, created_at) VALUES (?, ?, ?)"));
    sqlite3_bind_text(ins.get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(ins.get(), 2, candidate.data(), static_cast<int>(candidate.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins.get(), 3, now);
    if (sqlite3_step(ins.get()) != SQLITE_DONE) return DbError(db_, "store pseudonym key");
  }
  DG_ASSIGN_OR_RETURN(Stmt sel, Prepare(db_, "SELECT key FROM subject_keys WHERE subject = ?"));
  sqlite3_bind_text(sel.get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(sel.get()) != SQLITE_ROW) return DbError(db_, "read pseudonym key");
  const void* blob = sqlite3_column_blob(sel.get(), 0);
  return std::string(static_cast<const char*>(blob), blob ? static_cast<size_t>(sqlite3_column_bytes(sel.get(), 0)) : 0);
}

Result<bool> SqliteKeyStore::HasSubjectKey(const std::string& subject) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "SELECT 1 FROM subject_keys WHERE subject = ?"));
  sqlite3_bind_text(s.get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(s.get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(db_, "read pseudonym key");
  return rc == SQLITE_ROW;
}

Result<SubjectErasure> SqliteKeyStore::EraseSubject(const std::string& subject, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto rollback = [&](Status s) {
    (void)Exec("ROLLBACK");
    return s;
  };
  SubjectErasure out;
  {
    Result<Stmt> del = Prepare(db_, "DELETE FROM api_keys WHERE subject = ? OR id = ?");
    if (!del.ok()) return rollback(del.status());
    sqlite3_bind_text(del->get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(del->get(), 2, subject.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(del->get()) != SQLITE_DONE) return rollback(DbError(db_, "erase keys"));
    out.keys_deleted = sqlite3_changes(db_);
  }
  {
    Result<Stmt> del = Prepare(db_, "DELETE FROM subject_keys WHERE subject = ?");
    if (!del.ok()) return rollback(del.status());
    sqlite3_bind_text(del->get(), 1, subject.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(del->get()) != SQLITE_DONE) return rollback(DbError(db_, "erase pseudonym key"));
    out.pseudonym_key_deleted = sqlite3_changes(db_) > 0;
  }
  Result<int64_t> seq = InsertPurgeLocked(db_, subject, now);
  if (!seq.ok()) return rollback(seq.status());
  out.purge_seq = *seq;
  DG_RETURN_IF_ERROR(Exec("COMMIT"));
  return out;
}

Result<int64_t> SqliteKeyStore::RecordCachePurge(const std::string& subject, int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  return InsertPurgeLocked(db_, subject, now);
}

Result<std::vector<CachePurge>> SqliteKeyStore::ListCachePurgesSince(int64_t seq) {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "SELECT seq, subject, created_at FROM cache_purges WHERE seq > ? ORDER BY seq"));
  sqlite3_bind_int64(s.get(), 1, seq);
  std::vector<CachePurge> out;
  for (;;) {
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return DbError(db_, "read cache purges");
    out.push_back({sqlite3_column_int64(s.get(), 0), Text(s.get(), 1), sqlite3_column_int64(s.get(), 2)});
  }
}

Result<int64_t> SqliteKeyStore::LastCachePurgeSeq() {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "SELECT COALESCE(MAX(seq), 0) FROM cache_purges"));
  if (sqlite3_step(s.get()) != SQLITE_ROW) return DbError(db_, "read cache purges");
  return static_cast<int64_t>(sqlite3_column_int64(s.get(), 0));
}

Result<std::vector<SubjectKeyRecord>> SqliteKeyStore::ListSubjectKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  DG_ASSIGN_OR_RETURN(Stmt s, Prepare(db_, "SELECT subject, key, created_at FROM subject_keys ORDER BY subject"));
  std::vector<SubjectKeyRecord> out;
  for (;;) {
    const int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE) return out;
    if (rc != SQLITE_ROW) return DbError(db_, "read pseudonym keys");
    const void* blob = sqlite3_column_blob(s.get(), 1);
    out.push_back({Text(s.get(), 0),
                   std::string(static_cast<const char*>(blob), blob ? static_cast<size_t>(sqlite3_column_bytes(s.get(), 1)) : 0),
                   sqlite3_column_int64(s.get(), 2)});
  }
}

}  // namespace deepgate::fcgi::auth
