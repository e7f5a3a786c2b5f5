// `deepgate token issue --key KEY`: the access token /v1/oauth/token would issue for KEY,
// printed on stdout. The key is read from --key or, with --key -, from stdin (keeps it out of
// the process list).
#include <cstdio>
#include <iostream>

#include "fcgi/auth/access_token.h"
#include "fcgi/auth/api_key.h"
#include "fcgi/cli/auth_cli.h"

namespace deepgate::cli {
namespace {

int Issue(const std::vector<std::string>& argv) {
  Args a(argv, {"--config", "--key"}, {});
  if (!a.ok()) return Fail(a.error(), 2);
  std::string key = a.GetOr("--key", "");
  if (key == "-") std::getline(std::cin, key);
  if (key.empty()) return Fail("token issue needs --key KEY (or --key - to read it from stdin)", 2);
  auto ctx = OpenCliAuth(a);
  if (!ctx) return 1;
  const int64_t now = ctx->clock->NowUnix();
  if (!fcgi::auth::LooksLikeApiKey(key)) return Fail("--key must be an API key (dg_...)", 2);
  fcgi::auth::Verdict v = ctx->verifier->Verify(key, now);
  if (!v.ok()) return Fail(std::string("the key is not valid (") + fcgi::auth::AuthFailureName(v.failure) + ")");
  auto token = fcgi::auth::IssueAccessToken(v.principal, ctx->TokenParams(), now);
  if (!token.ok()) return Fail(token.status().message());
  std::fprintf(stderr, "deepgate: token for key %s, valid %lld s\n", v.principal.key_id.c_str(),
               static_cast<long long>(token->expires_in));
  std::printf("%s\n", token->jwt.c_str());
  return 0;
}

CommandRegistration issue_cmd({"token issue", "issue an access token (JWT) for an API key",
                               "usage: deepgate token issue --key KEY|- [--config FILE]\n", Issue});

}  // namespace
}  // namespace deepgate::cli
