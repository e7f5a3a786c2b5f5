#include "fcgi/server/acceptor_pool.h"

#include <sys/socket.h>

#include <csignal>
#include <cstdio>

namespace deepgate::fcgi {
namespace {
void WakeHandler(int) {}  // exists only so blocking syscalls return EINTR
}  // namespace

void AcceptorPool::InstallWakeHandler() {
  struct sigaction sa {};
  sa.sa_handler = WakeHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: accept()/read() must fail with EINTR
  sigaction(SIGUSR2, &sa, nullptr);
}

AcceptorPool::AcceptorPool(int listen_fd, bool own_socket, int n_threads, ServeFn serve, RefuseFn refuse)
    : listen_fd_(listen_fd), own_socket_(own_socket), serve_(std::move(serve)), refuse_(std::move(refuse)) {
  for (int i = 0; i < n_threads; ++i) slots_.push_back(std::make_unique<Slot>());
}

AcceptorPool::~AcceptorPool() {
  StopAccepting();
  Join(std::chrono::steady_clock::time_point::max());
}

void AcceptorPool::Start() {
  for (auto& slot : slots_) {
    FCGX_InitRequest(&slot->request, listen_fd_, FCGI_FAIL_ACCEPT_ON_INTR);
    threads_.emplace_back([this, s = slot.get()] { Run(*s); });
  }
}

void AcceptorPool::Run(Slot& slot) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot.thread = pthread_self();
    slot.started = true;
  }
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      slot.busy = false;
    }
    const int rc = FCGX_Accept_r(&slot.request);
    bool refuse = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (rc >= 0) {
        slot.busy = true;
        refuse = stopping_;
        ++in_flight_;
      } else if (stopping_) {
        break;
      }
    }
    if (rc < 0) {
      // Not stopping: a transient accept failure (EMFILE, ECONNABORTED, a stray EINTR).
      std::fprintf(stderr, "deepgate-fcgi: FCGX_Accept_r failed (%d); retrying\n", rc);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (refuse) refuse_(slot.request);
    else serve_(slot.request, cancel_);
    FCGX_Finish_r(&slot.request);
    {
      std::lock_guard<std::mutex> lock(mu_);
      --in_flight_;
    }
    changed_.notify_all();
  }
  FCGX_Free(&slot.request, 1);  // closes a kept-alive connection: nginx sees it go
  {
    std::lock_guard<std::mutex> lock(mu_);
    slot.exited = true;
  }
  changed_.notify_all();
}

void AcceptorPool::InterruptIdleLocked() {
  for (auto& slot : slots_)
    if (slot->started && !slot->busy && !slot->exited) pthread_kill(slot->thread, SIGUSR2);
}

void AcceptorPool::StopAccepting() {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  stopping_ = true;
  // Our own socket: new connections are refused at once (nginx answers 502 promptly).
  if (own_socket_) ::shutdown(listen_fd_, SHUT_RDWR);
  InterruptIdleLocked();
}

bool AcceptorPool::WaitForInFlight(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_until(lock, deadline, [this] { return in_flight_ == 0; });
}

bool AcceptorPool::Join(std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto all_exited = [this] {
      for (auto& s : slots_)
        if (!s->exited && s->started) return false;
      return true;
    };
    // A signal can land just before a thread enters accept(); repeat until every idle thread is out.
    while (!all_exited()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      InterruptIdleLocked();
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  return true;
}

int AcceptorPool::in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

}  // namespace deepgate::fcgi
