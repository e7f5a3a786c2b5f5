// `deepgate erase --subject S` and `deepgate cache purge [--subject S]`: data-subject erasure.
// Erasure deletes every API key of S (owner subject or key id), S's pseudonym key — after
// which the SUBJECT pseudonyms already in the journal can no longer be tied to S — and queues
// a purge of S's cached responses, which every worker applies within a second
// (PurgeFollower). The journal entries themselves are not rewritten (journald is append-only);
// they hold only the pseudonym. Both commands are audited.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "fcgi/audit/key_events.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/cli/auth_cli.h"
#include "fcgi/cli/cli_audit.h"

namespace deepgate::cli {
namespace {

void Audit(fcgi::AuditEvent event, const std::string& pseudonym, const std::string& message) {
  fcgi::AuditRecord r;
  r.event = event;
  r.subject = pseudonym;  // already pseudonymous: the CLI sink writes it as it is
  r.message = message;
  AuditCliEvent(std::move(r));
}

int Erase(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--subject"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (!a.positional().empty() || !a.Has("--subject")) return Fail("usage: deepgate erase --subject S [--config FILE]", 2);
  const std::optional<std::string> named = SubjectArg(*a.Get("--subject"));
  if (!named) return 2;
  const std::string subject = *named;
  if (!fcgi::audit::NamesASubject(subject)) return Fail("--subject must name a subject", 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  const int64_t now = ctx->clock->NowUnix();
  // The pseudonym the journal knows S by, computed while its key still exists. A subject
  // without one never had an audit entry: "-" (making a key only to delete it proves nothing).
  Result<bool> known = ctx->store->HasSubjectKey(subject);
  if (!known.ok()) return Fail(known.status().message());
  fcgi::audit::SubjectPseudonyms pseudonyms(*ctx->store, [&] { return now; });
  const std::string pseudonym = *known ? pseudonyms.Pseudonym(subject) : "-";
  Result<fcgi::auth::SubjectErasure> erased = ctx->store->EraseSubject(subject, now);
  if (!erased.ok()) return Fail(erased.status().message());
  Audit(fcgi::AuditEvent::kSubjectErased, pseudonym,
        "subject " + pseudonym + " erased: keys_deleted=" + std::to_string(erased->keys_deleted) +
            " pseudonym_key_deleted=" + (erased->pseudonym_key_deleted ? "yes" : "no") +
            " cache_purge_seq=" + std::to_string(erased->purge_seq));
  std::fprintf(stderr,
               "deepgate: erased subject (pseudonym %s): %d key(s) deleted, %s, cache purge #%lld queued\n",
               pseudonym.c_str(), erased->keys_deleted,
               erased->pseudonym_key_deleted ? "pseudonym key deleted" : "no pseudonym key (no audit entries)",
               static_cast<long long>(erased->purge_seq));
  return 0;
}

int Purge(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--subject"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (!a.positional().empty()) return Fail("usage: deepgate cache purge [--subject S] [--config FILE]", 2);
  std::string subject;
  if (auto s = a.Get("--subject")) {
    std::optional<std::string> named = SubjectArg(*s);
    if (!named) return 2;
    subject = *named;
  }
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  const int64_t now = ctx->clock->NowUnix();
  Result<int64_t> seq = ctx->store->RecordCachePurge(subject, now);
  if (!seq.ok()) return Fail(seq.status().message());
  std::string who = "all";
  if (!subject.empty()) {
    fcgi::audit::SubjectPseudonyms pseudonyms(*ctx->store, [&] { return now; });
    who = pseudonyms.Pseudonym(subject);
  }
  Audit(fcgi::AuditEvent::kCachePurgeRequested, subject.empty() ? "" : who,
        "cache purge #" + std::to_string(*seq) + " queued for " + (subject.empty() ? "all subjects" : "subject " + who));
  std::fprintf(stderr, "deepgate: cache purge #%lld queued for %s; workers apply it within a second\n",
               static_cast<long long>(*seq), subject.empty() ? "all subjects" : who.c_str());
  return 0;
}

const char* kConfigHelp = "  --config FILE   worker config (default /etc/deepgate/deepgate.json)\n";

CommandRegistration erase_cmd(
    {"erase", "erase a data subject: its keys, its audit pseudonym key, its cached responses",
     std::string("usage: deepgate erase --subject S [--config FILE]\n"
                 "  deletes every API key whose owner subject or id is S, S's pseudonym key (old audit\n"
                 "  entries can no longer be linked to S) and queues a purge of S's cached responses\n"
                 "  --subject -   read S from stdin: an argument is visible in ps and in journald's\n"
                 "                _CMDLINE field of this command's own audit entry\n") +
         kConfigHelp,
     Erase});
CommandRegistration purge_cmd({"cache purge", "queue a purge of cached responses (all, or one subject's)",
                               std::string("usage: deepgate cache purge [--subject S] [--config FILE]\n") + kConfigHelp,
                               Purge});

}  // namespace
}  // namespace deepgate::cli
