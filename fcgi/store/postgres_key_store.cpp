// Every statement has bound parameters; hashes and pseudonym keys travel as binary BYTEA.
#include "fcgi/store/postgres_key_store.h"

#include "fcgi/auth/model_list.h"
#include "fcgi/store/pg_schema.h"

namespace deepgate::fcgi::store {
namespace {

using auth::KeyRecord;

constexpr const char* kColumns =
    "id, name, role, hash, models, requests_per_min, tokens_per_min, max_concurrent, created_at, expires_at,"
    " revoked_at, rotated_from, superseded_by, subject, data_policy, cert_sha256, totp_sealed, totp_last_step";

// After a failed connect, further attempts wait this long: a dead server costs each request
// a fast refusal, not a connect timeout.
constexpr std::chrono::milliseconds kReconnectBackoff{500};

// What the worker does while PostgreSQL is away (the journal's DEEPGATE_FALLBACK).
constexpr const char* kStoreFallback = "keys verified within stale_key_seconds only; new keys and writes answer 503";

KeyRecord ReadRow(const PgResult& r, int row) {
  KeyRecord k;
  k.id = r.Get(row, 0);
  k.name = r.Get(row, 1);
  k.role = r.Get(row, 2);
  k.hash = r.GetBytes(row, 3);
  k.models = auth::SplitModels(r.Get(row, 4));
  k.requests_per_min = r.GetInt(row, 5);
  k.tokens_per_min = r.GetInt(row, 6);
  k.max_concurrent = r.GetInt(row, 7);
  k.created_at = r.GetInt(row, 8);
  k.expires_at = r.GetInt(row, 9);
  k.revoked_at = r.GetInt(row, 10);
  k.rotated_from = r.Get(row, 11);
  k.superseded_by = r.Get(row, 12);
  k.subject = r.Get(row, 13);
  // An unknown spelling (a newer version's) keeps the key on site, as in SQLite.
  k.data_policy = ParseDataPolicy(r.Get(row, 14)).value_or(DataPolicy::kLocalOnly);
  k.cert_sha256 = r.Get(row, 15);
  k.totp_sealed = r.GetBytes(row, 16);
  k.totp_last_step = r.GetInt(row, 17);
  return k;
}

std::vector<KeyRecord> ReadRows(const PgResult& r) {
  std::vector<KeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(ReadRow(r, i));
  return out;
}

Status InsertOn(PgConnection& c, const KeyRecord& r) {
  Result<PgResult> res = c.Query(std::string("INSERT INTO api_keys (") + kColumns +
                                     ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)",
                                 {PgParam::Text(r.id), PgParam::Text(r.name), PgParam::Text(r.role), PgParam::Bytes(r.hash),
                                  PgParam::Text(auth::JoinModels(r.models)), PgParam::Int(r.requests_per_min),
                                  PgParam::Int(r.tokens_per_min), PgParam::Int(r.max_concurrent),
                                  PgParam::Int(r.created_at), PgParam::Int(r.expires_at), PgParam::Int(r.revoked_at),
                                  PgParam::Text(r.rotated_from), PgParam::Text(r.superseded_by),
                                  PgParam::Text(r.subject), PgParam::Text(DataPolicyName(r.data_policy)),
                                  PgParam::Text(r.cert_sha256), PgParam::Bytes(r.totp_sealed),
                                  PgParam::Int(r.totp_last_step)});
  if (!res.ok() && c.last_sqlstate() == "23505")
    return Status::InvalidArgument("key store: key id " + r.id + " already exists");
  return res.status();
}

// The purge queue's sequence numbers must commit in order (followers read "seq > last"):
// purges are serialised on a transaction-scoped lock.
Result<int64_t> InsertPurgeOn(PgConnection& c, const std::string& subject, int64_t now) {
  DG_RETURN_IF_ERROR(c.Script("LOCK TABLE cache_purges IN EXCLUSIVE MODE"));
  DG_ASSIGN_OR_RETURN(PgResult r, c.Query("INSERT INTO cache_purges (subject, created_at) VALUES ($1, $2) RETURNING seq",
                                          {PgParam::Text(subject), PgParam::Int(now)}));
  return r.GetInt(0, 0);
}

}  // namespace

PostgresKeyStore::PostgresKeyStore(PgStoreOptions options)
    : options_(std::move(options)), health_("postgres", kStoreFallback, std::move(options_.journal)) {}

Result<std::unique_ptr<PostgresKeyStore>> PostgresKeyStore::Open(PgStoreOptions options) {
  std::unique_ptr<PostgresKeyStore> store(new PostgresKeyStore(std::move(options)));
  DG_RETURN_IF_ERROR(store->WithConnection([](PgConnection& c) { return PgCheckSchema(c); }));
  if (store->options_.listen) {
    PostgresKeyStore* self = store.get();
    store->listener_ = std::make_unique<PgListener>(
        self->options_.dsn, self->options_.timeouts, [self](const std::string& p) { self->OnNotice(p); },
        [self](const Status& s) { self->OnListenerState(s); });
  }
  return store;
}

PostgresKeyStore::~PostgresKeyStore() { listener_.reset(); }  // stop its thread first

Result<PgConnection*> PostgresKeyStore::ConnectionLocked() {
  if (conn_ && !conn_->broken()) return conn_.get();
  conn_.reset();
  const auto now = Clock::now();
  if (!last_connect_error_.ok() && now - last_connect_failure_ < kReconnectBackoff) return last_connect_error_;
  Result<std::unique_ptr<PgConnection>> c = PgConnection::Connect(options_.dsn, options_.timeouts);
  if (!c.ok()) {
    last_connect_failure_ = now;
    last_connect_error_ = c.status();
    return c.status();
  }
  last_connect_error_ = Status::Ok();
  conn_ = std::move(c).value();
  return conn_.get();
}

Status PostgresKeyStore::WithConnection(const std::function<Status(PgConnection&)>& body) {
  std::unique_lock<std::timed_mutex> lock(conn_mu_, std::defer_lock);
  if (!lock.try_lock_for(std::chrono::milliseconds(options_.timeouts.statement_ms))) {
    Status busy = Status::Unavailable("key store: PostgreSQL is not answering (connection busy past the timeout)");
    health_.NoteFailure(busy);
    return busy;
  }
  const bool reused = conn_ && !conn_->broken();
  Result<PgConnection*> c = ConnectionLocked();
  Status s = c.ok() ? body(**c) : c.status();
  // A kept connection may have died since its last use (server restarted): one retry on a
  // fresh one, so the first request after a recovery does not fail.
  if (reused && s.code() == StatusCode::kUnavailable && conn_ && conn_->broken()) {
    conn_.reset();
    c = ConnectionLocked();
    s = c.ok() ? body(**c) : c.status();
  }
  if (s.code() == StatusCode::kUnavailable) {
    if (conn_ && conn_->broken()) conn_.reset();
    health_.NoteFailure(s);
  } else {
    health_.NoteSuccess();
  }
  return s;
}

Result<PgResult> PostgresKeyStore::Read(const std::string& sql, const std::vector<PgParam>& params) {
  PgResult out;
  DG_RETURN_IF_ERROR(WithConnection([&](PgConnection& c) {
    DG_ASSIGN_OR_RETURN(out, c.Query(sql, params));
    return Status::Ok();
  }));
  return out;
}

Status PostgresKeyStore::Transaction(const std::string& notify_payload,
                                     const std::function<Status(PgConnection&)>& body) {
  Status s = WithConnection([&](PgConnection& c) {
    DG_RETURN_IF_ERROR(c.Script("BEGIN"));
    Status inner = body(c);
    if (inner.ok())
      inner = c.Query("SELECT pg_notify($1, $2)", {PgParam::Text(kPgChannel), PgParam::Text(notify_payload)}).status();
    if (inner.ok()) return c.Script("COMMIT");
    if (!c.broken()) (void)c.Script("ROLLBACK");
    return inner;
  });
  // Our own cache learns at once; other processes through the notice.
  if (s.ok()) OnNotice(notify_payload);
  return s;
}

Status PostgresKeyStore::Insert(const KeyRecord& record) {
  return Transaction("key:" + record.id, [&](PgConnection& c) { return InsertOn(c, record); });
}

std::optional<KeyRecord> PostgresKeyStore::FreshCached(const std::string& id, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(id);
  if (it == cache_.end() || !listening_ || it->second.epoch != epoch_ ||
      now - it->second.fetched > std::chrono::seconds(options_.recheck_seconds))
    return std::nullopt;
  it->second.confirmed = now;  // the listener is up: no change has been missed until now
  return it->second.record ? it->second.record : std::optional<KeyRecord>(KeyRecord{});
}

void PostgresKeyStore::StoreCached(const std::string& id, std::optional<KeyRecord> record, uint64_t epoch,
                                   uint64_t invalidations_before) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  const auto now = Clock::now();
  // A notice that came in while we read may concern this id: keep the record for the stale
  // window but make the next lookup ask again.
  const uint64_t e = invalidations_ == invalidations_before ? epoch : 0;
  cache_[id] = Cached{std::move(record), now, now, e};
}

Result<std::optional<KeyRecord>> PostgresKeyStore::FindById(const std::string& id) {
  const auto now = Clock::now();
  if (std::optional<KeyRecord> hit = FreshCached(id, now)) {
    if (hit->id.empty()) return std::optional<KeyRecord>();  // cached absence
    return hit;
  }
  // The listener is down (server unreachable or hung): a key confirmed within the stale
  // window is answered at once instead of waiting out a timeout per request; the listener's
  // reconnect (every 500 ms) brings lookups back to the server.
  if (listener_ && !listening_) {
    Result<std::optional<KeyRecord>> stale = StaleOrUnavailable(id, Status::Unavailable("stale"));
    if (stale.ok()) return stale;
  }
  const uint64_t epoch = epoch_, invalidations = invalidations_;
  Result<PgResult> r = Read(std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = $1", {PgParam::Text(id)});
  if (!r.ok()) {
    if (r.status().code() == StatusCode::kUnavailable) return StaleOrUnavailable(id, r.status());
    return r.status();
  }
  std::optional<KeyRecord> found;
  if (r->rows() > 0) found = ReadRow(*r, 0);
  StoreCached(id, found, epoch, invalidations);
  return found;
}

Result<std::optional<KeyRecord>> PostgresKeyStore::StaleOrUnavailable(const std::string& id, const Status& why) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  auto it = cache_.find(id);
  // Only a key known to exist: an unknown id (maybe a key created during the outage) is 503.
  if (it != cache_.end() && it->second.record &&
      Clock::now() - it->second.confirmed < std::chrono::seconds(options_.stale_key_seconds)) {
    health_.NoteDegradedCall();
    return it->second.record;
  }
  return why;
}

void PostgresKeyStore::Invalidate(const std::string& id) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  invalidations_.fetch_add(1);
  if (id.empty()) cache_.clear();
  else cache_.erase(id);
}

void PostgresKeyStore::OnNotice(const std::string& payload) {
  if (payload.rfind("key:", 0) == 0) {
    Invalidate(payload.substr(4));
  } else if (payload == "purge") {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(cache_mu_);
      wake = purge_waker_;
    }
    if (wake) wake();
  } else {
    Invalidate("");  // "all" (erasure) and anything unknown: drop everything
  }
}

void PostgresKeyStore::OnListenerState(const Status& state) {
  if (state.ok()) {
    // Entries read before this point may have missed notices while the listener was down.
    epoch_.fetch_add(1);
    listening_ = true;
    health_.NoteSuccess();
    OnNotice("purge");  // purges queued meanwhile
    return;
  }
  listening_ = false;
  health_.NoteFailure(state);
}

void PostgresKeyStore::SetPurgeWaker(std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(cache_mu_);
  purge_waker_ = std::move(wake);
}

auth::KeyStoreHealth PostgresKeyStore::Health() const {
  auth::KeyStoreHealth h;
  h.backend = "postgres";
  h.reachable = health_.up();
  h.listening = listening_;
  h.outages = health_.outages();
  h.stale_answers = health_.degraded_calls();
  h.last_error = health_.last_error();
  return h;
}

Result<std::vector<KeyRecord>> PostgresKeyStore::List() {
  DG_ASSIGN_OR_RETURN(PgResult r, Read(std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY created_at DESC, id", {}));
  return ReadRows(r);
}

Result<std::vector<KeyRecord>> PostgresKeyStore::ListExpiring(int64_t now, int64_t window_s) {
  DG_ASSIGN_OR_RETURN(PgResult r, Read(std::string("SELECT ") + kColumns +
                                           " FROM api_keys WHERE revoked_at = 0 AND expires_at > $1 AND expires_at <= $2"
                                           " ORDER BY expires_at, id",
                                       {PgParam::Int(now), PgParam::Int(now + window_s)}));
  return ReadRows(r);
}

Status PostgresKeyStore::Revoke(const std::string& id, int64_t now) {
  return Transaction("key:" + id, [&](PgConnection& c) -> Status {
    DG_ASSIGN_OR_RETURN(PgResult r, c.Query("UPDATE api_keys SET revoked_at = CASE WHEN revoked_at = 0 THEN $1 ELSE "
                                            "revoked_at END WHERE id = $2",
                                            {PgParam::Int(now), PgParam::Text(id)}));
    if (r.affected() == 0) return Status::NotFound("no key with id " + id);
    return Status::Ok();
  });
}

Status PostgresKeyStore::Supersede(const std::string& old_id, const KeyRecord& replacement, int64_t old_valid_until) {
  return Transaction("key:" + old_id, [&](PgConnection& c) -> Status {
    // The row lock of this UPDATE makes a second rotation of the same key wait, then find it
    // superseded: two rotations cannot interleave.
    DG_ASSIGN_OR_RETURN(PgResult r, c.Query("UPDATE api_keys SET superseded_by = $1, expires_at = LEAST(expires_at, $2)"
                                            " WHERE id = $3 AND superseded_by = '' AND revoked_at = 0",
                                            {PgParam::Text(replacement.id), PgParam::Int(old_valid_until),
                                             PgParam::Text(old_id)}));
    if (r.affected() == 0)
      return Status::NotFound("no active key with id " + old_id + " (unknown, revoked or already rotated)");
    return InsertOn(c, replacement);
  });
}

Status PostgresKeyStore::SetTotp(const std::string& id, const std::string& sealed_secret) {
  return Transaction("key:" + id, [&](PgConnection& c) -> Status {
    DG_ASSIGN_OR_RETURN(PgResult r, c.Query("UPDATE api_keys SET totp_sealed = $1, totp_last_step = 0 WHERE id = $2",
                                            {PgParam::Bytes(sealed_secret), PgParam::Text(id)}));
    if (r.affected() == 0) return Status::NotFound("no key with id " + id);
    return Status::Ok();
  });
}

Result<bool> PostgresKeyStore::ConsumeTotpStep(const std::string& id, int64_t step) {
  // One conditional UPDATE: of two hosts presenting the same code, the row lock lets one win.
  // No notice: the step gates nothing through the caches (every check comes here).
  DG_ASSIGN_OR_RETURN(PgResult r, Read("UPDATE api_keys SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                                       {PgParam::Int(step), PgParam::Text(id)}));
  if (r.affected() == 0) return false;
  OnNotice("key:" + id);  // our own cached copy shows the new step
  return true;
}

Result<std::string> PostgresKeyStore::SubjectKey(const std::string& subject, const std::string& candidate, int64_t now) {
  // One statement: insert unless present, then read whichever row won.
  DG_ASSIGN_OR_RETURN(PgResult r, Read("WITH ins AS (INSERT INTO subject_keys (subject, key, created_at)"
                                       " VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING RETURNING key)"
                                       " SELECT key FROM ins UNION ALL SELECT key FROM subject_keys WHERE subject = $1"
                                       " LIMIT 1",
                                       {PgParam::Text(subject), PgParam::Bytes(candidate), PgParam::Int(now)}));
  if (r.rows() == 0) return Status::IoError("key store: read pseudonym key: no row");
  return r.GetBytes(0, 0);
}

Result<bool> PostgresKeyStore::HasSubjectKey(const std::string& subject) {
  DG_ASSIGN_OR_RETURN(PgResult r, Read("SELECT 1 FROM subject_keys WHERE subject = $1", {PgParam::Text(subject)}));
  return r.rows() > 0;
}

Result<auth::SubjectErasure> PostgresKeyStore::EraseSubject(const std::string& subject, int64_t now) {
  auth::SubjectErasure out;
  DG_RETURN_IF_ERROR(Transaction("all", [&](PgConnection& c) -> Status {
    DG_ASSIGN_OR_RETURN(PgResult keys, c.Query("DELETE FROM api_keys WHERE subject = $1 OR id = $1", {PgParam::Text(subject)}));
    out.keys_deleted = static_cast<int>(keys.affected());
    DG_ASSIGN_OR_RETURN(PgResult pk, c.Query("DELETE FROM subject_keys WHERE subject = $1", {PgParam::Text(subject)}));
    out.pseudonym_key_deleted = pk.affected() > 0;
    DG_ASSIGN_OR_RETURN(out.purge_seq, InsertPurgeOn(c, subject, now));
    // The purge too: followers on other hosts should not wait for their poll.
    return c.Query("SELECT pg_notify($1, 'purge')", {PgParam::Text(kPgChannel)}).status();
  }));
  return out;
}

Result<int64_t> PostgresKeyStore::RecordCachePurge(const std::string& subject, int64_t now) {
  int64_t seq = 0;
  DG_RETURN_IF_ERROR(Transaction("purge", [&](PgConnection& c) -> Status {
    DG_ASSIGN_OR_RETURN(seq, InsertPurgeOn(c, subject, now));
    return Status::Ok();
  }));
  return seq;
}

Result<std::vector<auth::CachePurge>> PostgresKeyStore::ListCachePurgesSince(int64_t seq) {
  DG_ASSIGN_OR_RETURN(PgResult r, Read("SELECT seq, subject, created_at FROM cache_purges WHERE seq > $1 ORDER BY seq",
                                       {PgParam::Int(seq)}));
  std::vector<auth::CachePurge> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.GetInt(i, 0), r.Get(i, 1), r.GetInt(i, 2)});
  return out;
}

Result<int64_t> PostgresKeyStore::LastCachePurgeSeq() {
  DG_ASSIGN_OR_RETURN(PgResult r, Read("SELECT COALESCE(MAX(seq), 0) FROM cache_purges", {}));
  return r.GetInt(0, 0);
}

Result<std::vector<auth::SubjectKeyRecord>> PostgresKeyStore::ListSubjectKeys() {
  DG_ASSIGN_OR_RETURN(PgResult r, Read("SELECT subject, key, created_at FROM subject_keys ORDER BY subject", {}));
  std::vector<auth::SubjectKeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.Get(i, 0), r.GetBytes(i, 1), r.GetInt(i, 2)});
  return out;
}

}  // namespace deepgate::fcgi::store
