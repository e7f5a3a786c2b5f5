// libpq is called only here (and from the listener through this class).
#include "fcgi/store/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace deepgate::fcgi::store {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// The DSN's keywords and values, with ours added: connect_timeout (libpq's own guard, whole
// seconds, at least 2), the server-side statement_timeout and an application_name.
struct ConnectParams {
  std::vector<std::string> keys, values;
  std::string password;
};

Result<ConnectParams> ParseDsn(const std::string& dsn, const PgTimeouts& t) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(dsn.c_str(), &err));
  if (!opts) {
    PQfreemem(err);  // its text quotes the DSN, password included: not shown
    return Status::InvalidArgument("key store: the PostgreSQL DSN is malformed (expected \"host=... dbname=... "
                                   "user=... password=...\" or a postgresql:// URI)");
  }
  ConnectParams p;
  std::string options;
  for (PQconninfoOption* o = opts.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string k = o->keyword;
    if (k == "connect_timeout" || k == "options") {
      if (k == "options") options = o->val;
      continue;
    }
    if (k == "password") p.password = o->val;
    p.keys.push_back(k);
    p.values.push_back(o->val);
  }
  p.keys.push_back("connect_timeout");
  p.values.push_back(std::to_string(std::max(2, (t.connect_ms + 999) / 1000)));
  p.keys.push_back("options");
  p.values.push_back(options + (options.empty() ? "" : " ") + "-c statement_timeout=" + std::to_string(t.statement_ms));
  p.keys.push_back("application_name");
  p.values.push_back("deepgate");
  return p;
}

}  // namespace

std::string ScrubSecret(std::string message, const std::string& secret) {
  if (secret.empty()) return message;
  for (size_t pos = message.find(secret); pos != std::string::npos; pos = message.find(secret, pos + 3))
    message.replace(pos, secret.size(), "***");
  return message;
}

std::string PgResult::Get(int row, int col) const {
  if (!r_ || PQgetisnull(r_.get(), row, col)) return "";
  return std::string(PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col)));
}

int64_t PgResult::GetInt(int row, int col) const { return std::strtoll(Get(row, col).c_str(), nullptr, 10); }

std::string PgResult::GetBytes(int row, int col) const {
  const std::string text = Get(row, col);
  size_t n = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(text.c_str()), &n);
  if (raw == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(raw), n);
  PQfreemem(raw);
  return out;
}

int64_t PgResult::affected() const { return r_ ? std::strtoll(PQcmdTuples(r_.get()), nullptr, 10) : 0; }

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& dsn, const PgTimeouts& t) {
  DG_ASSIGN_OR_RETURN(ConnectParams p, ParseDsn(dsn, t));
  std::vector<const char*> keys, values;
  for (size_t i = 0; i < p.keys.size(); ++i) {
    keys.push_back(p.keys[i].c_str());
    values.push_back(p.values[i].c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectStartParams(keys.data(), values.data(), 0);
  if (c == nullptr) return Status::Unavailable("key store: PostgreSQL: out of memory");
  std::unique_ptr<PgConnection> conn(new PgConnection(c, p.password, t));
  if (PQstatus(c) == CONNECTION_BAD) return conn->Fail("cannot connect", PQerrorMessage(c));
  const int64_t deadline = NowMs() + t.connect_ms;
  for (PostgresPollingStatusType st = PGRES_POLLING_WRITING; st != PGRES_POLLING_OK;) {
    if (st == PGRES_POLLING_FAILED) return conn->Fail("cannot connect", PQerrorMessage(c));
    DG_RETURN_IF_ERROR(conn->WaitSocket(st == PGRES_POLLING_WRITING, deadline));
    st = PQconnectPoll(c);
  }
  if (PQsetnonblocking(c, 1) != 0) return conn->Fail("cannot connect", PQerrorMessage(c));
  return conn;
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::Fail(const std::string& what, const char* libpq_message) {
  broken_ = true;
  return Status::Unavailable("key store: PostgreSQL " + what + ": " +
                             ScrubSecret(Trim(libpq_message ? libpq_message : "unknown error"), password_));
}

Status PgConnection::WaitSocket(bool for_write, int64_t deadline_ms) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return Fail("connection lost", PQerrorMessage(conn_));
  pollfd p{fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  for (;;) {
    const int64_t left = deadline_ms - NowMs();
    if (left <= 0) {
      broken_ = true;  // a half-read answer cannot be resumed: drop the connection
      return Status::Unavailable("key store: PostgreSQL did not answer within the timeout");
    }
    const int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return Status::Ok();
    if (rc < 0 && errno != EINTR) return Fail("poll failed", std::strerror(errno));
  }
}

Status PgConnection::Flush(int64_t deadline_ms) {
  for (;;) {
    const int rc = PQflush(conn_);
    if (rc == 0) return Status::Ok();
    if (rc < 0) return Fail("send failed", PQerrorMessage(conn_));
    DG_RETURN_IF_ERROR(WaitSocket(true, deadline_ms));
  }
}

// Reads every result of the query sent; keeps the last one with rows or the first error.
Result<PgResult> PgConnection::Collect(int64_t deadline_ms) {
  DG_RETURN_IF_ERROR(Flush(deadline_ms));
  PgResult out;
  Status error = Status::Ok();
  for (;;) {
    while (PQisBusy(conn_)) {
      DG_RETURN_IF_ERROR(WaitSocket(false, deadline_ms));
      if (PQconsumeInput(conn_) == 0) return Fail("connection lost", PQerrorMessage(conn_));
    }
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) break;
    const ExecStatusType st = PQresultStatus(r);
    if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && error.ok()) {
      const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
      last_sqlstate_ = state ? state : "";
      const std::string msg = ScrubSecret(Trim(PQresultErrorMessage(r)), password_);
      // Class 08 (connection exception), 57 (operator intervention: shutdown, cancel on
      // statement_timeout), 53 (insufficient resources): the server, not the query.
      const std::string cls = last_sqlstate_.substr(0, 2);
      error = cls == "08" || cls == "57" || cls == "53" || last_sqlstate_.empty()
                  ? Status::Unavailable("key store: PostgreSQL: " + msg)
                  : Status::IoError("key store: PostgreSQL: " + msg);
    }
    out = PgResult(r);
  }
  if (PQstatus(conn_) != CONNECTION_OK) return Fail("connection lost", PQerrorMessage(conn_));
  if (!error.ok()) return error;
  last_sqlstate_.clear();
  return out;
}

Result<PgResult> PgConnection::Query(const std::string& sql, const std::vector<PgParam>& params) {
  if (broken()) return Status::Unavailable("key store: PostgreSQL connection lost");
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const PgParam& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  const int64_t deadline = NowMs() + timeouts_.statement_ms;
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                        formats.data(), 0) == 0)
    return Fail("send failed", PQerrorMessage(conn_));
  return Collect(deadline);
}

Status PgConnection::Script(const std::string& sql) {
  if (broken()) return Status::Unavailable("key store: PostgreSQL connection lost");
  const int64_t deadline = NowMs() + timeouts_.statement_ms;
  if (PQsendQuery(conn_, sql.c_str()) == 0) return Fail("send failed", PQerrorMessage(conn_));
  return Collect(deadline).status();
}

Result<std::vector<std::string>> PgConnection::WaitNotifications(int timeout_ms) {
  if (broken()) return Status::Unavailable("key store: PostgreSQL connection lost");
  std::vector<std::string> out;
  auto drain = [&] {
    while (PGnotify* n = PQnotifies(conn_)) {
      out.emplace_back(n->extra ? n->extra : "");
      PQfreemem(n);
    }
  };
  drain();  // a query's answer may have brought some in already
  if (!out.empty()) return out;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  const int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR) return Fail("poll failed", std::strerror(errno));
  if (rc > 0 && PQconsumeInput(conn_) == 0) return Fail("connection lost", PQerrorMessage(conn_));
  drain();
  if (PQstatus(conn_) != CONNECTION_OK) return Fail("connection lost", PQerrorMessage(conn_));
  return out;
}

}  // namespace deepgate::fcgi::store
