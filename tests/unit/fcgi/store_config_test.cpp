// The "store" config section and store URLs.
#include <gtest/gtest.h>
#include <json/reader.h>

#include <memory>

#include "fcgi/config.h"
#include "fcgi/store/open_key_store.h"
#include "fcgi/store/store_config.h"

namespace deepgate::fcgi::store {
namespace {

Json::Value Parse(const std::string& text) {
  Json::CharReaderBuilder b;
  std::unique_ptr<Json::CharReader> r(b.newCharReader());
  Json::Value v;
  std::string errors;
  EXPECT_TRUE(r->parse(text.data(), text.data() + text.size(), &v, &errors)) << errors;
  return v;
}

TEST(StoreConfig, DefaultIsTheSqliteFileOfAuth) {
  const WorkerConfig c;
  EXPECT_EQ(c.store.url, "");
  auto url = ParseStoreUrl(c.store.url, c.auth.key_store);
  ASSERT_TRUE(url.ok());
  EXPECT_FALSE(url->postgres);
  EXPECT_EQ(url->path, "/var/lib/deepgate/keys.db");
}

TEST(StoreConfig, ParsesAndBoundsEveryKey) {
  StoreConfig c;
  ASSERT_TRUE(ParseStoreConfig(Parse(R"({"url": "postgres:/x", "stale_key_seconds": 5, "recheck_seconds": 2,
      "connect_timeout_ms": 500, "statement_timeout_ms": 300, "dsn_file": "/d"})"), &c).ok());
  EXPECT_EQ(c.url, "postgres:/x");
  EXPECT_EQ(c.stale_key_seconds, 5);
  EXPECT_EQ(c.statement_timeout_ms, 300);
  for (const char* bad : {R"({"url": "mysql:x"})", R"({"stale_key_seconds": -1})", R"({"statement_timeout_ms": 0})",
                          R"({"recheck_seconds": "5"})", R"({"nope": 1})", R"([])"})
    EXPECT_FALSE(ParseStoreConfig(Parse(bad), &c).ok()) << bad;
}

TEST(StoreConfig, Urls) {
  EXPECT_TRUE(ParseStoreUrl("postgres:", "/d")->postgres);
  EXPECT_EQ(ParseStoreUrl("postgres:/etc/dsn", "/d")->path, "/etc/dsn");
  EXPECT_EQ(ParseStoreUrl("sqlite:/k.db", "/d")->path, "/k.db");
  EXPECT_FALSE(ParseStoreUrl("sqlite:", "/d").ok());
  EXPECT_FALSE(ParseStoreUrl("/k.db", "/d").ok());
}

TEST(StoreConfig, ShippedExamplesAreValid) {
  auto single = LoadConfig(std::string(DEEPGATE_TEST_SOURCE_DIR) + "/etc/deepgate.json");
  ASSERT_TRUE(single.ok()) << single.status().message();
  EXPECT_EQ(single->store.url, "");
  auto multi = LoadConfig(std::string(DEEPGATE_TEST_SOURCE_DIR) + "/etc/deepgate-multihost.json");
  ASSERT_TRUE(multi.ok()) << multi.status().message();
  EXPECT_EQ(multi->store.url, "postgres:");
  EXPECT_EQ(multi->store.stale_key_seconds, 30);
  // The whole multi-host layout: limits and the cache on Redis too.
  EXPECT_EQ(multi->redis.url, "redis://10.0.0.10:6379");
  EXPECT_TRUE(multi->limits.redis);
  EXPECT_TRUE(multi->limits.fail_closed);
  EXPECT_TRUE(multi->cache.redis);
}

}  // namespace
}  // namespace deepgate::fcgi::store
