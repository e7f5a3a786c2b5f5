// PgConnection: one libpq connection with a deadline on everything. Connecting uses
// PQconnectStartParams/PQconnectPoll and queries PQsendQueryParams on a non-blocking socket,
// each waited for with poll() until the deadline: a server that stops answering costs the
// caller at most the timeout, never a hang (the connection is then dropped, not reused).
// The server also gets statement_timeout, so it stops work nobody waits for.
//
// The DSN (libpq's "key=value ..." or "postgresql://" form) is parsed here with
// PQconninfoParse; a malformed DSN is reported without echoing it (it holds the password),
// and every libpq message is scrubbed of the password before it reaches a Status.
// Thread-safety: none; one thread at a time (PostgresKeyStore guards it with a mutex).
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace deepgate::fcgi::store {

struct PgTimeouts {
  int connect_ms = 3000;    // TCP/unix connect, TLS, authentication
  int statement_ms = 2000;  // each query, client-side deadline and server statement_timeout
};

// A query parameter: text, or bytes sent in binary (BYTEA columns).
struct PgParam {
  std::string value;
  bool binary = false;
  static PgParam Text(std::string v) { return {std::move(v), false}; }
  static PgParam Int(int64_t v) { return {std::to_string(v), false}; }
  static PgParam Bytes(std::string v) { return {std::move(v), true}; }
};

// The rows of one query, text format. Get(r, c) is "" for NULL.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* r) : r_(r) {}
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }
  std::string Get(int row, int col) const;
  int64_t GetInt(int row, int col) const;
  // A "\x..." hex BYTEA column as its bytes.
  std::string GetBytes(int row, int col) const;
  // Rows a command changed (UPDATE/DELETE/INSERT).
  int64_t affected() const;

 private:
  struct Deleter {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, Deleter> r_;
};

class PgConnection {
 public:
  // Unavailable when the server cannot be reached in time or refuses us (bad password);
  // InvalidArgument for a malformed DSN.
  [[nodiscard]] static Result<std::unique_ptr<PgConnection>> Connect(const std::string& dsn, const PgTimeouts& t);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement with $1.. parameters. Connection trouble, timeouts and a server shutting
  // down are Unavailable (and leave broken() true); a failed statement is IoError with its
  // SQLSTATE in last_sqlstate() ("23505": unique violation).
  [[nodiscard]] Result<PgResult> Query(const std::string& sql, const std::vector<PgParam>& params = {});
  // Several statements without parameters (schema scripts).
  [[nodiscard]] Status Script(const std::string& sql);
  // Waits up to timeout_ms for notifications; returns their payloads (possibly none).
  // Unavailable when the connection is lost.
  [[nodiscard]] Result<std::vector<std::string>> WaitNotifications(int timeout_ms);

  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  // The SQLSTATE of the last failed statement ("" for none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }

 private:
  PgConnection(PGconn* c, std::string password, PgTimeouts t)
      : conn_(c), password_(std::move(password)), timeouts_(t) {}
  Status Fail(const std::string& what, const char* libpq_message);
  Status WaitSocket(bool for_write, int64_t deadline_ms);
  Result<PgResult> Collect(int64_t deadline_ms);
  Status Flush(int64_t deadline_ms);

  PGconn* conn_;
  std::string password_;  // only to scrub it out of messages
  PgTimeouts timeouts_;
  bool broken_ = false;
  std::string last_sqlstate_;
};

// "password authentication failed ..." with every occurrence of `secret` replaced by "***".
std::string ScrubSecret(std::string message, const std::string& secret);

}  // namespace deepgate::fcgi::store
