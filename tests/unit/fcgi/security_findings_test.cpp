// Issue 16, finding 7 (the smaller ones), one behaviour per test: GeoIP allow-lists deny
// unplaceable addresses by default, the key store must be 0600, journald MESSAGE/PATH carry
// no raw newline, a rotation overlap cannot overflow.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "auth_test_util.h"
#include "fcgi/audit/audit_format.h"
#include "fcgi/auth/key_issuer.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/config.h"

namespace deepgate::fcgi {
namespace {

TEST(GeoIpDefaults, AnAllowListDeniesUnplaceableAddressesUnlessConfigured) {
  auto allow = ParseConfig(R"({"model_path": "/m", "geoip": {"database": "/g.mmdb", "allow_countries": ["DE"]}})", "t");
  ASSERT_TRUE(allow.ok()) << allow.status().ToString();
  EXPECT_FALSE(allow->geoip.allow_unknown);
  auto explicit_allow = ParseConfig(
      R"({"model_path": "/m", "geoip": {"database": "/g.mmdb", "allow_countries": ["DE"], "unknown_country": "allow"}})", "t");
  ASSERT_TRUE(explicit_allow.ok());
  EXPECT_TRUE(explicit_allow->geoip.allow_unknown);
  auto deny = ParseConfig(R"({"model_path": "/m", "geoip": {"database": "/g.mmdb", "deny_countries": ["KP"]}})", "t");
  ASSERT_TRUE(deny.ok());
  EXPECT_TRUE(deny->geoip.allow_unknown);
}

TEST(KeyStoreFile, GroupReadableStoreIsRefused) {
  const std::string dir = auth::testing::TempDir("ks-mode");
  const std::string path = dir + "/keys.db";
  ASSERT_TRUE(auth::SqliteKeyStore::Open(path).ok());
  ::chmod(path.c_str(), 0640);
  auto opened = auth::SqliteKeyStore::Open(path);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("chmod 0600"), std::string::npos);
  ::chmod(path.c_str(), 0600);
  std::filesystem::create_symlink(path, dir + "/link.db");
  EXPECT_FALSE(auth::SqliteKeyStore::Open(dir + "/link.db").ok());  // never through a symlink
  std::filesystem::remove_all(dir);
}

TEST(JournalFields, MessageAndPathCarryNoRawNewline) {
  AuditRecord r;
  r.request_id = "rid";
  r.method = "GET";
  r.path = "/v1/x\nDEEPGATE_EVENT=forged\r";
  r.status = 404;
  for (const std::string& f : audit::JournalFields(r)) {
    if (f.rfind("MESSAGE=", 0) == 0 || f.rfind("PATH=", 0) == 0) {
      EXPECT_EQ(f.find('\n'), std::string::npos) << f;
      EXPECT_EQ(f.find('\r'), std::string::npos) << f;
    }
    if (f.rfind("PATH=", 0) == 0) {
      EXPECT_EQ(f, "PATH=/v1/x\\nDEEPGATE_EVENT=forged\\r");
    }
  }
}

TEST(KeyRotation, AnOverlapThatWouldOverflowIsRefused) {
  const std::string dir = auth::testing::TempDir("rot");
  auto store = auth::SqliteKeyStore::Open(dir + "/keys.db");
  ASSERT_TRUE(store.ok());
  auth::Secrets secrets{std::string(32, 'm'), std::string(32, 'p'), std::string(32, 'j')};
  auth::KeySpec spec;
  spec.name = "n";
  spec.role = "developer";
  auto k = auth::CreateKey(**store, secrets, spec, 1000);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  auto r = auth::RotateKey(**store, secrets, k->record.id, INT64_MAX - 10, 2000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(auth::RotateKey(**store, secrets, k->record.id, 7 * 86400, 2000).ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deepgate::fcgi
