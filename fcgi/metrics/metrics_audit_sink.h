// MetricsAuditSink: an AuditSink that counts every record into WorkerMetrics, then hands it
// to the real sink. Wrapping the sink (instead of adding a stage) keeps the pipeline
// unchanged and makes the metrics count exactly what the audit trail records.
// Thread-safety: as the wrapped sink; WorkerMetrics is lock-free.
#pragma once

#include <memory>

#include "fcgi/audit/audit_record.h"
#include "fcgi/base/stages.h"
#include "fcgi/metrics/worker_metrics.h"

namespace deepgate::fcgi::metrics {

class MetricsAuditSink final : public AuditSink {
 public:
  MetricsAuditSink(std::unique_ptr<AuditSink> inner, WorkerMetrics& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}
  void Record(const AuditRecord& record) override {
    metrics_.ObserveRequest(record);
    inner_->Record(record);
  }

 private:
  std::unique_ptr<AuditSink> inner_;
  WorkerMetrics& metrics_;
};

}  // namespace deepgate::fcgi::metrics
