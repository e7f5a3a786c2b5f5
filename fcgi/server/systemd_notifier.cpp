#include "fcgi/server/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdint>

namespace deepgate::fcgi {

SystemdNotifier::~SystemdNotifier() { StopWatchdog(); }

void SystemdNotifier::Ready() { sd_notify(0, "READY=1\nSTATUS=serving"); }
void SystemdNotifier::Reloading() { sd_notify(0, "RELOADING=1"); }
void SystemdNotifier::Stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }
void SystemdNotifier::Status(const std::string& text) { sd_notify(0, ("STATUS=" + text).c_str()); }

void SystemdNotifier::StartWatchdog() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0 || watchdog_.joinable()) return;
  watchdog_ = std::thread([this, interval = std::chrono::microseconds(usec / 2)] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      sd_notify(0, "WATCHDOG=1");
      stop_cv_.wait_for(lock, interval, [this] { return stop_; });
    }
  });
}

void SystemdNotifier::StopWatchdog() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
}

}  // namespace deepgate::fcgi
