#include "fcgi/server/model_load_report.h"

#include <unistd.h>

#include <csignal>

#include "fcgi/audit/audit_record.h"
#include "fcgi/server/worker_log.h"

namespace deepgate::fcgi {

using Clock = std::chrono::steady_clock;

void ModelLoadReport::Started() {
  start_ = Clock::now();
  notifier_.Status("loading model " + config_.model_path);
}

void ModelLoadReport::OnDone(const Status& s) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_).count();
  if (s.ok()) return Loaded(ms);
  if (std::optional<Refusal> rejected = models_.rejection()) return Rejected(*rejected, s);
  WorkerLog("model load failed: " + s.ToString());
  failed_ = true;
  ::kill(::getpid(), SIGTERM);  // the signal thread runs the one shutdown path
}

void ModelLoadReport::Loaded(long long ms) {
  std::string what = "model '" + EffectiveModelId(config_) + "'";
  if (auto m = models_.model()) what += " (" + m->info().arch + ", " + std::to_string(m->info().n_params) + " params)";
  else what += " (no engine: generation answers 503)";
  WorkerLog(what + " ready in " + std::to_string(ms) + " ms");
  AuditRecord r;
  r.event = AuditEvent::kModelLoaded;
  r.message = what + " loaded";
  audit_.Record(r);
  notifier_.Ready();
}

void ModelLoadReport::Rejected(const Refusal& rejected, const Status& s) {
  const std::string why = AuditReason(rejected) + ": " + s.message();
  WorkerLog("model rejected: " + why);
  AuditRecord r;
  r.event = AuditEvent::kModelRejected;
  r.reason = AuditReason(rejected);
  r.model = EffectiveModelId(config_);
  r.message = "model '" + EffectiveModelId(config_) + "' rejected: " + why;
  audit_.Record(r);
  notifier_.Status("model rejected (sha256 mismatch); not serving");
  notifier_.Ready();
}

}  // namespace deepgate::fcgi
