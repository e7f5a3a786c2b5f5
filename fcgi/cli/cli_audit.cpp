#include "fcgi/cli/cli_audit.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "fcgi/audit/key_events.h"

namespace deepgate::cli {

std::string Actor() {
  const char* user = std::getenv("SUDO_USER");
  if (user == nullptr) user = std::getenv("USER");
  return "cli:" + (user ? std::string(user) : "uid" + std::to_string(::getuid()));
}

namespace {
void RecordCli(const fcgi::AuditRecord& r) {
  bool journal = false;
  std::unique_ptr<fcgi::audit::JournalAuditSink> sink = fcgi::audit::OpenCliAuditSink(&journal);
  sink->Record(r);
  if (!journal) std::fprintf(stderr, "deepgate: warning: no journald listening; this event went to stderr only\n");
}
}  // namespace

void AuditCliEvent(fcgi::AuditRecord r) {
  r.outcome = "ok";
  r.message += " by=" + Actor();
  RecordCli(r);
}

void AuditKeyEvent(fcgi::AuditEvent event, const fcgi::auth::KeyRecord& key) {
  RecordCli(fcgi::audit::KeyEventRecord(event, key, Actor()));
}

}  // namespace deepgate::cli
