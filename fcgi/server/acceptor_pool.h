// AcceptorPool: N threads, each looping FCGX_Accept_r → serve → FCGX_Finish_r on one shared
// listening socket, and the machinery to stop them gracefully.
//
// No accept mutex: with `fastcgi_keep_conn on` nginx keeps idle FastCGI connections open,
// and libfcgi's FCGX_Accept_r then blocks *reading the next request on that connection*.
// A thread holding the usual global accept mutex while doing so stalls every other thread
// (seconds of latency). Without it each thread blocks independently (the kernel hands each
// new connection to one accept()), so there must be more threads than nginx keeps
// connections (`keepalive` in the upstream block).
//
// Stopping: StopAccepting() marks the pool stopping, shuts down our own listening socket and
// interrupts idle threads (blocked in accept() or reading a kept connection) with SIGUSR2,
// whose handler does nothing but make the syscall fail with EINTR (FCGI_FAIL_ACCEPT_ON_INTR).
// A systemd-passed socket is never shut down: systemd keeps it for the next instance.
// Busy threads finish their request (WaitForInFlight), then CancelInFlight() asks them to stop.
// Thread-safety: all public methods may be called from any one controlling thread.
#pragma once

#include <fcgiapp.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace deepgate::fcgi {

class AcceptorPool {
 public:
  using ServeFn = std::function<void(FCGX_Request& request, const std::atomic<bool>& cancel)>;
  using RefuseFn = std::function<void(FCGX_Request& request)>;  // answers 503 while stopping

  // Call once per process before any AcceptorPool starts: installs the SIGUSR2 no-op handler.
  static void InstallWakeHandler();

  AcceptorPool(int listen_fd, bool own_socket, int n_threads, ServeFn serve, RefuseFn refuse);
  ~AcceptorPool();  // StopAccepting + Join
  AcceptorPool(const AcceptorPool&) = delete;
  AcceptorPool& operator=(const AcceptorPool&) = delete;

  void Start();
  void StopAccepting();
  // True when no request is in flight before the deadline.
  bool WaitForInFlight(std::chrono::steady_clock::time_point deadline);
  void CancelInFlight() { cancel_.store(true); }
  // Joins threads, re-interrupting idle ones until they exit; false if the deadline passed.
  bool Join(std::chrono::steady_clock::time_point deadline);
  int in_flight() const;

 private:
  struct Slot {
    FCGX_Request request{};
    pthread_t thread{};
    bool started = false;  // GUARDED_BY(mu_)
    bool busy = false;     // GUARDED_BY(mu_): serving a request, never interrupted
    bool exited = false;   // GUARDED_BY(mu_)
  };
  void Run(Slot& slot);
  void InterruptIdleLocked();

  const int listen_fd_;
  const bool own_socket_;
  const ServeFn serve_;
  const RefuseFn refuse_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> threads_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  int in_flight_ = 0;      // GUARDED_BY(mu_)
  std::atomic<bool> cancel_{false};
};

}  // namespace deepgate::fcgi
