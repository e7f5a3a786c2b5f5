// Roles, the bearer extraction and the authoriser; secrets-file permission rules; the "auth"
// config object's bounds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth_test_util.h"
#include "fcgi/auth/auth_config.h"
#include "fcgi/auth/auth_stages.h"
#include "fcgi/auth/duration.h"
#include "fcgi/auth/secrets.h"
#include "fcgi/config.h"

namespace deepgate::fcgi::auth {
namespace {

struct RbacCase {
  const char* role;
  const char* route;
  bool allowed;
};

TEST(RbacTest, DefaultRoleTable) {
  RoleTable roles(DefaultRoles());
  const RbacCase cases[] = {
      {"admin", "admin.keys.create", true},  {"admin", "chat.completions", true},
      {"developer", "chat.completions", true}, {"developer", "completions", true},
      {"developer", "models.list", true},    {"developer", "models.get", true},
      {"developer", "admin.keys.list", false}, {"developer", "metrics", false},
      {"monitor", "metrics", true},          {"monitor", "health", true},
      {"monitor", "chat.completions", false}, {"monitor", "models.list", false},
      {"nobody", "health", false},
  };
  for (const auto& c : cases) EXPECT_EQ(roles.Allows(c.role, c.route), c.allowed) << c.role << " " << c.route;
}

TEST(RbacTest, AuthoriserAnswersPermissionDenied) {
  RoleTable roles(DefaultRoles());
  RoleAuthoriser authoriser(roles, true);
  Principal dev;
  dev.authenticated = true;
  dev.role = "developer";
  Route admin{"GET", "/admin/keys", "admin.keys.list", false, nullptr};
  Route chat{"POST", "/v1/chat/completions", "chat.completions", false, nullptr};
  std::optional<Refusal> s = authoriser.Authorise(dev, admin, Request{});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->reason, RefusalReason::kRoleNotPermitted);
  EXPECT_EQ(s->status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ApiError::FromRefusal(*s, 1).code, "permission_denied");
  EXPECT_FALSE(authoriser.Authorise(dev, chat, Request{}));
  std::optional<Refusal> anonymous = authoriser.Authorise(Principal{}, chat, Request{});  // required: refused
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->reason, RefusalReason::kCredentialsRequired);
  RoleAuthoriser open(roles, false);
  EXPECT_FALSE(open.Authorise(Principal{}, chat, Request{}));
  EXPECT_TRUE(open.Authorise(Principal{}, admin, Request{}));  // never the admin API
}

TEST(RbacTest, ModelAllowList) {
  Principal p;
  EXPECT_FALSE(CheckModelAllowed(p, "any"));  // empty list: every model
  p.allowed_models = {"m1"};
  EXPECT_FALSE(CheckModelAllowed(p, "m1"));
  auto denied = CheckModelAllowed(p, "m2");
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->reason, RefusalReason::kModelNotAllowed);
  const ApiError e = ApiError::FromRefusal(*denied, 1);
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.code, "model_not_allowed");
  EXPECT_EQ(e.param, "model");
}

TEST(BearerTest, Extraction) {
  Request r;
  std::string token;
  EXPECT_EQ(ExtractBearer(r, &token), AuthFailure::kMissingCredentials);
  r.headers["authorization"] = "Basic dXNlcjpwYXNz";
  EXPECT_EQ(ExtractBearer(r, &token), AuthFailure::kMalformedHeader);
  r.headers["authorization"] = "Bearer ";
  EXPECT_EQ(ExtractBearer(r, &token), AuthFailure::kMalformedHeader);
  r.headers["authorization"] = "bearer  abc ";
  EXPECT_EQ(ExtractBearer(r, &token), AuthFailure::kNone);
  EXPECT_EQ(token, "abc");
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("secrets"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content, mode_t mode) {
    const std::string p = dir_ + "/" + name;
    std::ofstream(p) << content;
    chmod(p.c_str(), mode);
    return p;
  }
  std::string dir_;
};

TEST_F(SecretsTest, ReadsOwnerOnlyAndGroupReadable) {
  const std::string secret(64, 'a');
  EXPECT_EQ(*LoadSecret("x", Write("a", secret + "\n", 0600)), secret);
  EXPECT_TRUE(LoadSecret("x", Write("b", secret, 0640)).ok());
}

TEST_F(SecretsTest, RefusesWorldReadableWithoutShowingTheSecret) {
  auto r = LoadSecret("x", Write("a", "TOPSECRET-" + std::string(40, 'z'), 0644));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0644"), std::string::npos);
  EXPECT_EQ(r.status().message().find("TOPSECRET"), std::string::npos);
}

TEST_F(SecretsTest, RefusesGroupWritable) { EXPECT_FALSE(LoadSecret("x", Write("a", std::string(64, 'a'), 0660)).ok()); }

TEST_F(SecretsTest, RefusesShortSecrets) { EXPECT_FALSE(LoadSecret("x", Write("a", "short", 0600)).ok()); }

TEST_F(SecretsTest, SystemdCredentialWins) {
  Write("pepper", std::string(40, 'c'), 0600);
  setenv("CREDENTIALS_DIRECTORY", dir_.c_str(), 1);
  auto r = LoadSecret("pepper", "/nonexistent");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, std::string(40, 'c'));
}

TEST(AuthConfigTest, DefaultsAndBounds) {
  auto c = ParseConfig(R"({"model_path": "/m"})", "t");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->auth.required);
  EXPECT_EQ(c->auth.jwt_ttl_s, 3600);
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m", "auth": {"jwt_ttl_s": 7200}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m", "auth": {"leeway_s": 61}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m", "auth": {"typo": 1}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m", "auth": {"idp": {"issuer": "i", "audience": "a",
      "jwks_file": "f", "algorithms": ["HS256"]}}})", "t").ok());
  auto idp = ParseConfig(R"({"model_path": "/m", "auth": {"idp": {"issuer": "i", "audience": "a", "jwks_file": "f",
      "role_map": {"g": "developer"}}}})", "t");
  ASSERT_TRUE(idp.ok()) << idp.status().message();
  EXPECT_EQ(idp->auth.idp->algorithms.size(), 2u);
}

TEST(DurationTest, Units) {
  EXPECT_EQ(*ParseDuration("90d"), 90 * 86400);
  EXPECT_EQ(*ParseDuration("12h"), 12 * 3600);
  EXPECT_EQ(*ParseDuration("45"), 45);
  EXPECT_FALSE(ParseDuration("7w"));
  EXPECT_FALSE(ParseDuration("-1d"));
  EXPECT_FALSE(ParseDuration(""));
}

}  // namespace
}  // namespace deepgate::fcgi::auth
