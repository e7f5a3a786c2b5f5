// PgListener: the worker's one LISTEN connection to the PostgreSQL key store, on its own
// thread. Every payload NOTIFY'd on kPgChannel is handed to `on_payload`; `on_state` is told
// when the listener is up (LISTEN registered: from now on no change can be missed) and when
// it is down (connection lost, server silent: changes may be missed, so the key store must
// stop trusting its cache). While up it pings the server every second, so a hung server is
// noticed within ~1 s + the statement timeout; while down it reconnects every 500 ms.
// Started by the constructor, stopped and joined by the destructor.
// Thread-safety: the callbacks run on the listener's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "fcgi/store/pg_connection.h"

namespace deepgate::fcgi::store {

class PgListener {
 public:
  using PayloadFn = std::function<void(const std::string&)>;
  using StateFn = std::function<void(const Status&)>;  // Ok = up, otherwise why it is down
  PgListener(std::string dsn, PgTimeouts timeouts, PayloadFn on_payload, StateFn on_state);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void Run();
  // Listens on one connection until it fails or Stop; returns why it ended.
  Status Session();
  bool SleepUnlessStopped(int ms);

  const std::string dsn_;
  const PgTimeouts timeouts_;
  const PayloadFn on_payload_;
  const StateFn on_state_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace deepgate::fcgi::store
