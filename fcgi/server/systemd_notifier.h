// SystemdNotifier: sd_notify READY/RELOADING/STOPPING/STATUS and the watchdog ping thread.
// Every call is a no-op when NOTIFY_SOCKET is unset (started by hand, in tests).
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace deepgate::fcgi {

class SystemdNotifier {
 public:
  SystemdNotifier() = default;
  ~SystemdNotifier();  // stops the watchdog thread
  SystemdNotifier(const SystemdNotifier&) = delete;
  SystemdNotifier& operator=(const SystemdNotifier&) = delete;

  void Ready();
  void Reloading();
  void Stopping();
  void Status(const std::string& text);
  // Pings WATCHDOG=1 at half the interval systemd asked for (WATCHDOG_USEC); no-op if unset.
  void StartWatchdog();

 private:
  void StopWatchdog();
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  std::thread watchdog_;
};

}  // namespace deepgate::fcgi
