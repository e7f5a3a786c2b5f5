#include "fcgi/store/pg_listener.h"

#include <chrono>

#include "fcgi/store/pg_schema.h"

namespace deepgate::fcgi::store {
namespace {
constexpr int kPollMs = 100;        // notice Stop this fast
constexpr int kPingEveryMs = 1000;  // a silent server is found out this fast (+ statement timeout)
constexpr int kRetryMs = 500;       // reconnect attempts while down
}  // namespace

PgListener::PgListener(std::string dsn, PgTimeouts timeouts, PayloadFn on_payload, StateFn on_state)
    : dsn_(std::move(dsn)), timeouts_(timeouts), on_payload_(std::move(on_payload)), on_state_(std::move(on_state)) {
  thread_ = std::thread([this] { Run(); });
}

PgListener::~PgListener() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool PgListener::SleepUnlessStopped(int ms) {
  std::unique_lock<std::mutex> lock(mu_);
  wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_.load(); });
  return !stop_;
}

void PgListener::Run() {
  while (!stop_) {
    Status ended = Session();
    if (stop_) break;
    on_state_(ended.ok() ? Status::Unavailable("key store: PostgreSQL listener stopped") : ended);
    if (!SleepUnlessStopped(kRetryMs)) break;
  }
}

Status PgListener::Session() {
  DG_ASSIGN_OR_RETURN(std::unique_ptr<PgConnection> conn, PgConnection::Connect(dsn_, timeouts_));
  DG_RETURN_IF_ERROR(conn->Script(std::string("LISTEN ") + kPgChannel));
  on_state_(Status::Ok());
  auto last_ping = std::chrono::steady_clock::now();
  while (!stop_) {
    DG_ASSIGN_OR_RETURN(std::vector<std::string> payloads, conn->WaitNotifications(kPollMs));
    for (const std::string& p : payloads) on_payload_(p);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ping >= std::chrono::milliseconds(kPingEveryMs)) {
      DG_RETURN_IF_ERROR(conn->Query("SELECT 1").status());
      last_ping = now;
    }
  }
  return Status::Ok();
}

}  // namespace deepgate::fcgi::store
