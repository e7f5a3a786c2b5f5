#include "fcgi/audit/key_events.h"

#include <cstdio>

namespace deepgate::fcgi::audit {

AuditRecord KeyEventRecord(AuditEvent event, const auth::KeyRecord& key, const std::string& actor) {
  AuditRecord r;
  r.event = event;
  r.subject = actor;
  r.key_id = key.id;
  r.role = key.role;
  r.outcome = "ok";
  // REASON stays a closed vocabulary; the particulars go into MESSAGE. Who acted is SUBJECT
  // alone, which the worker's sink pseudonymises: MESSAGE never names the actor (an owner
  // subject may be a person's name).
  std::string m = std::string(AuditEventName(event)) + " key " + key.id + " name=" + key.name +
                  " role=" + key.role + " expires_at=" + std::to_string(key.expires_at) + " by=SUBJECT";
  if (!key.rotated_from.empty()) m += " rotated_from=" + key.rotated_from;
  r.message = m;
  return r;
}

std::unique_ptr<JournalAuditSink> OpenCliAuditSink(bool* journal) {
  *journal = JournalSocketPresent();
  if (*journal) return std::make_unique<JournalAuditSink>(std::make_unique<SdJournalWriter>(), false);
  return std::make_unique<JournalAuditSink>(nullptr, true);
}

int KeyExpiryWarner::Check(int64_t now) {
  Result<std::vector<auth::KeyRecord>> keys = store_.ListExpiring(now, window_s_);
  if (!keys.ok()) {
    std::fprintf(stderr, "deepgate-fcgi: key expiry check failed: %s\n", keys.status().message().c_str());
    return 0;
  }
  int written = 0;
  for (const auth::KeyRecord& k : *keys) {
    auto it = last_warned_.find(k.id);
    if (it != last_warned_.end() && now - it->second < 86400) continue;
    AuditRecord r = KeyEventRecord(AuditEvent::kKeyExpiring, k, "deepgate");
    r.message += " expires_in_h=" + std::to_string((k.expires_at - now) / 3600);
    sink_.Record(r);
    last_warned_[k.id] = now;
    ++written;
  }
  return written;
}

}  // namespace deepgate::fcgi::audit
