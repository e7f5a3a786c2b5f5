// `deepgate admin totp enroll|disable --key ID`: a key's TOTP second factor for admin changes
// (fcgi/auth/totp_guard.h). Enrolment prints the otpauth:// URI and its QR code once, on stdout,
// for the key holder's authenticator app; the store keeps the secret sealed under the master
// secret only. Both are audited as key events.
#include <cstdio>
#include <memory>
#include <optional>

#include "fcgi/audit/key_events.h"
#include "fcgi/auth/totp.h"
#include "fcgi/auth/totp_guard.h"
#include "fcgi/cli/auth_cli.h"
#include "fcgi/cli/cli_audit.h"
#include "fcgi/cli/terminal_qr.h"

namespace deepgate::cli {
namespace {

// What both actions start with: the flags checked, the credentials opened, --key found.
// nullopt after printing why; *rc is then the exit code.
struct KeyAction {
  std::unique_ptr<fcgi::auth::AuthContext> ctx;
  fcgi::auth::KeyRecord key;
};
std::optional<KeyAction> OpenKeyAction(const Args& a, const char* usage, int* rc) {
  *rc = 2;
  if (!a.ok()) {
    Fail(a.error(), 2);
    return std::nullopt;
  }
  if (!a.Has("--key")) {
    Fail(usage, 2);
    return std::nullopt;
  }
  *rc = 1;
  KeyAction action;
  action.ctx = OpenCliAuth(a);
  if (!action.ctx) return std::nullopt;
  const std::string id = *a.Get("--key");
  Result<std::optional<fcgi::auth::KeyRecord>> key = action.ctx->store->FindById(id);
  if (!key.ok()) {
    Fail(key.status().message());
    return std::nullopt;
  }
  if (!key->has_value()) {
    Fail("no key with id '" + id.substr(0, 64) + "'");
    return std::nullopt;
  }
  action.key = std::move(**key);
  return action;
}

int Enroll(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--key", "--issuer"}, {"--no-qr"});
  int rc = 0;
  std::optional<KeyAction> act =
      OpenKeyAction(a, "usage: deepgate admin totp enroll --key ID [--issuer NAME] [--no-qr]", &rc);
  if (!act) return rc;
  const fcgi::auth::KeyRecord& key = act->key;
  if (key.revoked_at != 0) return Fail("key " + key.id + " is revoked");
  Result<std::string> secret = fcgi::auth::EnrollTotp(*act->ctx, key.id);
  if (!secret.ok()) return Fail(secret.status().message());
  AuditKeyEvent(fcgi::AuditEvent::kKeyTotpEnrolled, key);
  const std::string uri = fcgi::auth::TotpUri(a.GetOr("--issuer", "deepgate"), key.name + " (" + key.id + ")", *secret);
  std::fprintf(stderr,
               "deepgate: TOTP enrolled for key %s; admin changes by it now need X-Deepgate-OTP. Scan the code (or\n"
               "enter the URI) in an authenticator app now: it is shown once and stored only sealed.\n",
               key.id.c_str());
  if (!a.Has("--no-qr")) {
    if (std::optional<std::string> qr = TerminalQr(uri)) std::printf("%s", qr->c_str());
  }
  std::printf("%s\n", uri.c_str());
  return 0;
}

int Disable(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--key"}, {});
  int rc = 0;
  std::optional<KeyAction> act = OpenKeyAction(a, "usage: deepgate admin totp disable --key ID", &rc);
  if (!act) return rc;
  if (Status s = act->ctx->store->SetTotp(act->key.id, ""); !s.ok()) return Fail(s.message());
  AuditKeyEvent(fcgi::AuditEvent::kKeyTotpDisabled, act->key);
  std::fprintf(stderr, "deepgate: TOTP disabled for key %s\n", act->key.id.c_str());
  return 0;
}

const char* kHelp =
    "  --key ID        the API key (deepgate keys list)\n"
    "  --config FILE   worker config (default /etc/deepgate/deepgate.json)\n";

CommandRegistration enroll_cmd({"admin totp", "TOTP second factor for a key's admin changes (enroll | disable)",
                                std::string("usage: deepgate admin totp enroll --key ID [--issuer NAME] [--no-qr] [--config FILE]\n"
                                            "       deepgate admin totp disable --key ID [--config FILE]\n"
                                            "  enroll   new secret; prints the otpauth:// URI and its QR code once\n"
                                            "  disable  the key's admin changes need no code again (unless\n"
                                            "           auth.totp_required_for_admin)\n") + kHelp,
                                [](const std::vector<std::string>& argv) {
                                  if (argv.empty()) return Fail("usage: deepgate admin totp enroll|disable --key ID", 2);
                                  std::vector<std::string> rest(argv.begin() + 1, argv.end());
                                  if (argv[0] == "enroll") return Enroll(rest);
                                  if (argv[0] == "disable") return Disable(rest);
                                  return Fail("unknown 'admin totp' action '" + argv[0].substr(0, 32) + "' (enroll, disable)", 2);
                                }});

}  // namespace
}  // namespace deepgate::cli
