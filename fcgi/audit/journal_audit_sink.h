// JournalAuditSink: the worker's audit trail — one journald entry per record (through a
// JournalWriter), plus an optional masked key=value line on stderr for a terminal. Records
// are masked once, before either is written. Failed sends are counted, never retried
// inline (the request must not wait on the journal). Thread-safety: Record is called from
// every acceptor thread at once; counters are atomics, stderr lines are written whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>

#include "fcgi/audit/audit_record.h"
#include "fcgi/audit/journal_writer.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/base/stages.h"

namespace deepgate::fcgi::audit {

class JournalAuditSink final : public AuditSink {
 public:
  // `journal` may be null (stderr only: no journald and audit not required).
  JournalAuditSink(std::unique_ptr<JournalWriter> journal, bool stderr_lines, std::FILE* err = stderr)
      : journal_(std::move(journal)), stderr_lines_(stderr_lines), err_(err) {}

  void Record(const AuditRecord& record) override;
  // From now on SUBJECT is written as its pseudonym (subject_pseudonyms.h). Call before the
  // acceptor threads start; `pseudonyms` must outlive the sink's use.
  void SetPseudonyms(SubjectPseudonyms* pseudonyms) { pseudonyms_ = pseudonyms; }

  uint64_t entries() const { return entries_.load(); }
  uint64_t send_errors() const { return send_errors_.load(); }
  bool has_journal() const { return journal_ != nullptr; }

 private:
  std::unique_ptr<JournalWriter> journal_;
  const bool stderr_lines_;
  std::FILE* const err_;
  SubjectPseudonyms* pseudonyms_ = nullptr;  // null: subjects written as they are
  std::mutex err_mu_;  // one line at a time
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> send_errors_{0};
  std::atomic<bool> error_reported_{false};
};

}  // namespace deepgate::fcgi::audit
