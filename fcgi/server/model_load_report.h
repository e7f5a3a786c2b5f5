// ModelLoadReport: what the worker does once ModelService's background load ends.
//   loaded   — log, audit model_loaded, READY=1 to systemd;
//   rejected — the file does not match its manifest (a Refusal): log, audit model_rejected,
//              READY=1 with a STATUS saying nothing is served (so systemd does not restart it
//              in a loop; /ready answers 503 until an operator fixes the file and restarts);
//   failed   — log, mark the worker failed and SIGTERM itself, so the signal thread runs the
//              one shutdown path and the worker exits 1.
// Thread-safety: OnDone runs once, on the loader thread.
#pragma once

#include <atomic>
#include <chrono>

#include "fcgi/base/stages.h"
#include "fcgi/config.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/systemd_notifier.h"

namespace deepgate::fcgi {

class ModelLoadReport {
 public:
  ModelLoadReport(const WorkerConfig& config, const ModelService& models, AuditSink& audit, SystemdNotifier& notifier)
      : config_(config), models_(models), audit_(audit), notifier_(notifier) {}

  // Call before ModelService::StartLoading: the load time is counted from here.
  void Started();
  void OnDone(const Status& status);
  // True once a load failed (the worker's exit code is then 1).
  bool failed() const { return failed_.load(); }

 private:
  void Loaded(long long ms);
  void Rejected(const Refusal& rejected, const Status& status);

  const WorkerConfig& config_;
  const ModelService& models_;
  AuditSink& audit_;
  SystemdNotifier& notifier_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> failed_{false};
};

}  // namespace deepgate::fcgi
