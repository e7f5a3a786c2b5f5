// Audit records for API key lifecycle events — key_created, key_revoked, key_rotated and the
// daily key_expiring warning — shared by the admin API, the `deepgate keys` CLI and the
// worker's expiry check, so all three write the same fields (never the key or its hash).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "fcgi/audit/journal_audit_sink.h"
#include "fcgi/auth/key_store.h"

namespace deepgate::fcgi::audit {

// `actor` is who did it: the admin's subject, "cli:<user>", or "deepgate" for the worker.
AuditRecord KeyEventRecord(AuditEvent event, const auth::KeyRecord& key, const std::string& actor);

// The CLI's sink: journald when it listens (entries only, no stderr lines); otherwise a
// stderr-only sink, and `*journal` false so the caller can warn that nothing was journaled.
std::unique_ptr<JournalAuditSink> OpenCliAuditSink(bool* journal);

// Writes one key_expiring warning per key per day while the key is inside the warning
// window. The worker calls Check periodically (its signal loop wakes every minute).
// Thread-safety: one caller (the worker's main thread).
class KeyExpiryWarner {
 public:
  KeyExpiryWarner(auth::KeyStore& store, AuditSink& sink, int64_t window_s)
      : store_(store), sink_(sink), window_s_(window_s) {}
  // Returns how many warnings it wrote.
  int Check(int64_t now);

 private:
  auth::KeyStore& store_;
  AuditSink& sink_;
  const int64_t window_s_;
  std::map<std::string, int64_t> last_warned_;  // key id → unix s
};

}  // namespace deepgate::fcgi::audit
