// Overflow decision (fcgi/policy/overflow_policy.h), its config section, and the key store's
// per-key data policy: one rule per test.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "auth_test_util.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/config.h"
#include "fcgi/policy/overflow_policy.h"

namespace deepgate::fcgi {
namespace {

OverflowConfig Enabled() {
  OverflowConfig c;
  c.enabled = true;
  c.local_only_default = false;
  return c;
}

Principal Developer(DataPolicy policy = DataPolicy::kDeploymentDefault) {
  Principal p;
  p.authenticated = true;
  p.subject = "key:0123456789abcdef";
  p.role = "developer";
  p.data_policy = policy;
  return p;
}

const ClientOrigin kGermany{"127.0.0.1", "DE"};

TEST(OverflowPolicy, AllowsAnAuthenticatedDeveloperWhoseKeyMayLeave) {
  EXPECT_EQ(DecideOverflow(Enabled(), Developer(DataPolicy::kMayLeave), kGermany), OverflowVerdict::kAllowed);
}

TEST(OverflowPolicy, NothingLeavesWhenDisabled) {
  OverflowConfig c = Enabled();
  c.enabled = false;
  EXPECT_EQ(DecideOverflow(c, Developer(DataPolicy::kMayLeave), kGermany), OverflowVerdict::kDisabled);
}

TEST(OverflowPolicy, ShippedDefaultsKeepEverythingLocal) {
  EXPECT_EQ(DecideOverflow(OverflowConfig{}, Developer(), kGermany), OverflowVerdict::kDisabled);
  OverflowConfig c;
  c.enabled = true;  // enabled, but keys without a choice stay local
  EXPECT_EQ(DecideOverflow(c, Developer(), kGermany), OverflowVerdict::kLocalOnly);
}

TEST(OverflowPolicy, AnonymousNeverLeaves) {
  Principal p;
  p.role = "developer";
  EXPECT_EQ(DecideOverflow(Enabled(), p, kGermany), OverflowVerdict::kUnauthenticated);
}

TEST(OverflowPolicy, RoleMustBeListed) {
  Principal p = Developer(DataPolicy::kMayLeave);
  p.role = "admin";
  EXPECT_EQ(DecideOverflow(Enabled(), p, kGermany), OverflowVerdict::kRoleNotAllowed);
}

TEST(OverflowPolicy, LocalOnlyKeyStaysWhateverTheDefault) {
  EXPECT_EQ(DecideOverflow(Enabled(), Developer(DataPolicy::kLocalOnly), kGermany), OverflowVerdict::kLocalOnly);
}

TEST(OverflowPolicy, DeploymentDefaultDecidesForKeysWithoutAChoice) {
  OverflowConfig c = Enabled();
  EXPECT_EQ(DecideOverflow(c, Developer(), kGermany), OverflowVerdict::kAllowed);
  c.local_only_default = true;
  EXPECT_EQ(DecideOverflow(c, Developer(), kGermany), OverflowVerdict::kLocalOnly);
  EXPECT_EQ(DecideOverflow(c, Developer(DataPolicy::kMayLeave), kGermany), OverflowVerdict::kAllowed);
}

TEST(OverflowPolicy, CountryListAdmitsOnlyListedAndNeverUnknown) {
  OverflowConfig c = Enabled();
  c.allow_countries = {"DE"};
  const Principal p = Developer(DataPolicy::kMayLeave);
  EXPECT_EQ(DecideOverflow(c, p, kGermany), OverflowVerdict::kAllowed);
  EXPECT_EQ(DecideOverflow(c, p, {"127.0.0.4", "FR"}), OverflowVerdict::kCountryNotAllowed);
  EXPECT_EQ(DecideOverflow(c, p, {"127.0.0.9", ""}), OverflowVerdict::kCountryNotAllowed);
}

TEST(OverflowConfigParse, ReadsTheSectionAndRejectsBadValues) {
  Result<WorkerConfig> c = ParseConfig(R"({"model_path": "/m.gguf", "overflow": {"enabled": true,
      "roles": ["developer", "batch"], "allow_countries": ["DE", "AT"], "local_only_default": false}})", "t");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->overflow.enabled);
  EXPECT_EQ(c->overflow.roles, (std::vector<std::string>{"developer", "batch"}));
  EXPECT_EQ(c->overflow.allow_countries, (std::vector<std::string>{"DE", "AT"}));
  EXPECT_FALSE(c->overflow.local_only_default);
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "overflow": {"allow_countries": ["de"]}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "overflow": {"upstream": "x"}})", "t").ok());
}

TEST(KeyStoreDataPolicy, RoundTripsEachPolicy) {
  const std::string dir = auth::testing::TempDir("ov");
  auto store = auth::SqliteKeyStore::Open(dir + "/keys.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::pair<DataPolicy, const char*> cases[] = {{DataPolicy::kDeploymentDefault, "0000000000000000"},
                                                      {DataPolicy::kLocalOnly, "0000000000000001"},
                                                      {DataPolicy::kMayLeave, "0000000000000002"}};
  auth::KeyRecord base;
  base.name = "n";
  base.role = "developer";
  base.hash = std::string(32, 'h');
  base.expires_at = 1;
  for (const auto& [p, id] : cases) {
    auth::KeyRecord r = base;
    r.id = id;
    r.data_policy = p;
    ASSERT_TRUE((*store)->Insert(r).ok());
    auto found = (*store)->FindById(r.id);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((**found).data_policy, p);
  }
  std::filesystem::remove_all(dir);
}

// A store made before data policies existed gets the column; its keys follow the default.
TEST(KeyStoreDataPolicy, OlderStoreGetsTheColumn) {
  const std::string dir = auth::testing::TempDir("ov-old");
  const std::string path = dir + "/keys.db";
  {
    auto store = auth::SqliteKeyStore::Open(path);
    ASSERT_TRUE(store.ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "ALTER TABLE api_keys DROP COLUMN data_policy;"
                         "INSERT INTO api_keys (id, name, role, hash, requests_per_min, tokens_per_min, max_concurrent,"
                         " created_at, expires_at) VALUES ('00000000000000aa', 'old', 'developer', x'00', 0, 0, 0, 0, 9)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = auth::SqliteKeyStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto found = (*store)->FindById("00000000000000aa");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((**found).data_policy, DataPolicy::kDeploymentDefault);
  std::filesystem::remove_all(dir);
}

// Unknown ids are remembered as absent (no SQLite query each), until the store changes.
TEST(KeyStoreNegativeCache, AnIdCreatedAfterAMissIsFoundAtOnce) {
  const std::string dir = auth::testing::TempDir("neg");
  auto reader = auth::SqliteKeyStore::Open(dir + "/keys.db");
  auto writer = auth::SqliteKeyStore::Open(dir + "/keys.db");  // the CLI, another process in real life
  ASSERT_TRUE(reader.ok() && writer.ok());
  for (int i = 0; i < 3; ++i) {
    auto miss = (*reader)->FindById("00000000000000bb");
    ASSERT_TRUE(miss.ok());
    EXPECT_FALSE(miss->has_value());
  }
  auth::KeyRecord r;
  r.id = "00000000000000bb";
  r.name = "late";
  r.role = "developer";
  r.hash = std::string(32, 'h');
  r.expires_at = 1;
  ASSERT_TRUE((*writer)->Insert(r).ok());
  auto hit = (*reader)->FindById("00000000000000bb");
  ASSERT_TRUE(hit.ok());
  EXPECT_TRUE(hit->has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deepgate::fcgi
