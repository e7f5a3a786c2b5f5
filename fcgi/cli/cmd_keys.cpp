// `deepgate keys create|list|revoke|rotate`: manage API keys in the key store the worker reads
// (SQLite, WAL: safe while workers run). A new key is printed once, on stdout alone, so
// scripts can capture it; everything else goes to stderr.
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include "fcgi/api/admin_keys.h"
#include "fcgi/audit/key_events.h"
#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/auth/client_cert.h"
#include "fcgi/auth/duration.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/cli/auth_cli.h"
#include "fcgi/cli/cli_audit.h"
#include "fcgi/http/json.h"

namespace deepgate::cli {
namespace {

using fcgi::auth::AuthContext;

std::optional<int64_t> DurationFlag(const Args& a, const std::string& name, int64_t def) {
  auto v = a.Get(name);
  if (!v) return def;
  return fcgi::auth::ParseDuration(*v);
}

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

void PrintIssued(const fcgi::auth::IssuedKey& k) {
  std::fprintf(stderr, "deepgate: key %s (name '%s', role %s) expires %s; it is shown once — store it now\n",
               k.record.id.c_str(), k.record.name.c_str(), k.record.role.c_str(),
               FormatUnixTime(k.record.expires_at).c_str());
  std::printf("%s\n", k.plaintext.c_str());
}

int Create(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--name", "--role", "--expires", "--rpm", "--tpm", "--concurrent", "--models", "--subject", "--bind-cert"},
         {"--local-only", "--allow-overflow"});
  if (!a.ok()) return Fail(a.error(), 2);
  if (!a.Has("--name") || !a.Has("--role")) return Fail("keys create needs --name and --role", 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  fcgi::auth::KeySpec spec;
  spec.name = *a.Get("--name");
  spec.role = *a.Get("--role");
  if (!ctx->roles.Exists(spec.role)) return Fail("unknown role '" + spec.role + "' (see auth.roles in the config)", 2);
  spec.requests_per_min = a.GetInt("--rpm", ctx->config.default_requests_per_min, 0, 1000000);
  spec.tokens_per_min = a.GetInt("--tpm", 0, 0, 1000000000);
  spec.max_concurrent = a.GetInt("--concurrent", 0, 0, 100000);
  if (!a.ok()) return Fail(a.error(), 2);
  auto lifetime = DurationFlag(a, "--expires", int64_t{ctx->config.key_lifetime_days} * 86400);
  if (!lifetime) return Fail("--expires must be a duration such as 90d", 2);
  spec.lifetime_s = *lifetime;
  if (auto m = a.Get("--models")) spec.models = SplitCommas(*m);
  if (a.Has("--local-only") && a.Has("--allow-overflow")) return Fail("give --local-only or --allow-overflow, not both", 2);
  if (a.Has("--local-only")) spec.data_policy = fcgi::DataPolicy::kLocalOnly;
  if (a.Has("--allow-overflow")) spec.data_policy = fcgi::DataPolicy::kMayLeave;
  if (auto c = a.Get("--bind-cert")) {
    std::optional<std::string> fp = fcgi::auth::ParseCertFingerprint(*c);
    if (!fp) return Fail("--bind-cert must be a SHA-256 fingerprint (openssl x509 -noout -fingerprint -sha256)", 2);
    spec.cert_sha256 = *fp;
  }
  if (auto s = a.Get("--subject")) {
    std::optional<std::string> subject = SubjectArg(*s);
    if (!subject) return 2;
    spec.subject = *subject;
  }
  auto issued = fcgi::auth::CreateKey(*ctx->store, ctx->secrets, spec, ctx->clock->NowUnix());
  if (!issued.ok()) return Fail(issued.status().message());
  AuditKeyEvent(fcgi::AuditEvent::kKeyCreated, issued->record);
  // Make the owner's pseudonym key now, so a worker never does that fsync'd write on a
  // request's path (IdP subjects still get theirs on first use).
  fcgi::audit::SubjectPseudonyms pseudonyms(*ctx->store, [&] { return ctx->clock->NowUnix(); });
  (void)pseudonyms.Pseudonym(issued->record.subject.empty() ? issued->record.id : issued->record.subject);
  PrintIssued(*issued);
  return 0;
}

int List(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--expiring"}, {"--json"});
  if (!a.ok()) return Fail(a.error(), 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  const int64_t now = ctx->clock->NowUnix();
  Result<std::vector<fcgi::auth::KeyRecord>> keys = Status::Internal("unset");
  if (auto w = a.Get("--expiring")) {
    auto window = fcgi::auth::ParseDuration(*w);
    if (!window) return Fail("--expiring must be a duration such as 14d", 2);
    keys = ctx->store->ListExpiring(now, *window);
  } else {
    keys = ctx->store->List();
  }
  if (!keys.ok()) return Fail(keys.status().message());
  if (a.Has("--json")) {
    Json::Value data(Json::arrayValue);
    for (const auto& k : *keys) data.append(fcgi::KeyRecordJson(k, now));
    std::printf("%s\n", fcgi::WriteJson(data).c_str());
    return 0;
  }
  std::printf("%-16s  %-20s  %-10s  %-8s  %-17s  %6s  %s\n", "ID", "NAME", "ROLE", "STATE", "EXPIRES", "RPM", "MODELS");
  for (const auto& k : *keys) {
    std::string models;
    for (const auto& m : k.models) models += (models.empty() ? "" : ",") + m;
    std::printf("%-16s  %-20.20s  %-10.10s  %-8s  %-17s  %6lld  %s\n", k.id.c_str(), k.name.c_str(), k.role.c_str(),
                fcgi::KeyState(k, now), FormatUnixTime(k.expires_at).c_str(),
                static_cast<long long>(k.requests_per_min), models.empty() ? "*" : models.c_str());
  }
  return 0;
}

int Revoke(const std::vector<std::string>& argv) {
  Args a(argv, {"--config"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (a.positional().size() != 1) return Fail("usage: deepgate keys revoke ID", 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  if (Status s = ctx->store->Revoke(a.positional()[0], ctx->clock->NowUnix()); !s.ok()) return Fail(s.message());
  if (auto r = ctx->store->FindById(a.positional()[0]); r.ok() && r->has_value())
    AuditKeyEvent(fcgi::AuditEvent::kKeyRevoked, **r);
  std::fprintf(stderr, "deepgate: key %s revoked\n", a.positional()[0].c_str());
  return 0;
}

int Rotate(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--overlap"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  if (a.positional().size() != 1) return Fail("usage: deepgate keys rotate ID [--overlap 7d]", 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  auto overlap = DurationFlag(a, "--overlap", int64_t{ctx->config.rotation_overlap_days} * 86400);
  if (!overlap) return Fail("--overlap must be a duration such as 7d", 2);
  auto issued = fcgi::auth::RotateKey(*ctx->store, ctx->secrets, a.positional()[0], *overlap, ctx->clock->NowUnix());
  if (!issued.ok()) return Fail(issued.status().message());
  AuditKeyEvent(fcgi::AuditEvent::kKeyRotated, issued->record);
  std::fprintf(stderr, "deepgate: key %s stays valid until %s\n", a.positional()[0].c_str(),
               FormatUnixTime(ctx->clock->NowUnix() + *overlap).c_str());
  PrintIssued(*issued);
  return 0;
}

const char* kConfigHelp = "  --config FILE   worker config (default /etc/deepgate/deepgate.json)\n";

CommandRegistration create_cmd({"keys create", "create an API key (printed once)",
                                std::string("usage: deepgate keys create --name N --role R [--expires 90d] [--rpm 120]"
                                            " [--tpm N] [--concurrent N] [--models a,b] [--subject OWNER] [--local-only | --allow-overflow] [--bind-cert SHA256:...]"
                                            " [--config FILE]\n"
                                            "  --subject OWNER  the person or system the key belongs to: audit entries carry\n"
                                            "                   its pseudonym and `deepgate erase --subject` removes its keys;\n"
                                            "                   `--subject -` reads it from stdin (kept out of ps and journald's _CMDLINE)\n"
                                            "  --local-only     its requests are never sent to the overflow upstream\n"
                                            "  --allow-overflow they may be, when this host is full (config \"overflow\");\n"
                                            "                   neither: overflow.local_only_default decides\n"
                                            "  --bind-cert FP   only usable over the client certificate with this SHA-256\n"
                                            "                   fingerprint, verified by nginx (mTLS; README, Client certificates)\n") + kConfigHelp,
                                Create});
CommandRegistration list_cmd({"keys list", "list API keys (no secrets)",
                              std::string("usage: deepgate keys list [--expiring 14d] [--json] [--config FILE]\n") + kConfigHelp,
                              List});
CommandRegistration revoke_cmd({"keys revoke", "revoke an API key",
                                std::string("usage: deepgate keys revoke ID [--config FILE]\n") + kConfigHelp, Revoke});
CommandRegistration rotate_cmd({"keys rotate", "replace an API key; the old one stays valid for --overlap",
                                std::string("usage: deepgate keys rotate ID [--overlap 7d] [--config FILE]\n") + kConfigHelp,
                                Rotate});

}  // namespace
}  // namespace deepgate::cli
