// GeoIP lookups (MaxMind's test databases and a loopback database written at test time),
// the country policy table, and client-address resolution through trusted proxies.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "fcgi/policy/client_address.h"
#include "fcgi/policy/country_policy.h"
#include "fcgi/policy/geoip_database.h"

namespace deepgate::fcgi::policy {
namespace {

namespace fs = std::filesystem;

std::string SharedMmdb(const std::string& name) {
  const char* root = std::getenv("DEEPGATE_SHARED_DATA");
  const fs::path p = fs::path(root ? root : DEEPGATE_TEST_SOURCE_DIR "/../shared/data") / "mmdb" / name;
  return fs::exists(p) ? p.string() : "";
}

// tests/integration/make_loopback_mmdb.pl's database, written once per test binary run.
std::string LoopbackMmdb() {
  static const std::string path = [] {
    const fs::path out = fs::temp_directory_path() / ("deepgate-loopback-" + std::to_string(::getpid()) + ".mmdb");
    const std::string cmd = std::string("perl ") + DEEPGATE_TEST_SOURCE_DIR +
                            "/tests/integration/make_loopback_mmdb.pl " + out.string() + " 2>/dev/null";
    return std::system(cmd.c_str()) == 0 ? out.string() : std::string();
  }();
  return path;
}

TEST(GeoIpDatabase, MaxMindTestDatabaseCountries) {
  const std::string path = SharedMmdb("GeoIP2-Country-Test.mmdb");
  if (path.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: GeoIP2-Country-Test.mmdb not found under $DEEPGATE_SHARED_DATA/mmdb";
  auto db = GeoIpDatabase::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->CountryOf("81.2.69.160"), "GB");
  EXPECT_EQ((*db)->CountryOf("89.160.20.112"), "SE");
  EXPECT_EQ((*db)->CountryOf("216.160.83.56"), "US");
  EXPECT_EQ((*db)->CountryOf("67.43.156.0"), "BT");
  EXPECT_EQ((*db)->CountryOf("2001:218::1"), "JP");
  EXPECT_EQ((*db)->CountryOf("127.0.0.1"), "");
}

TEST(GeoIpDatabase, CityDatabaseAnswersCountryToo) {
  const std::string path = SharedMmdb("GeoIP2-City-Test.mmdb");
  if (path.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: GeoIP2-City-Test.mmdb not found";
  auto db = GeoIpDatabase::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->CountryOf("81.2.69.160"), "GB");
}

TEST(GeoIpDatabase, GarbageAddressIsUnknown) {
  const std::string path = SharedMmdb("GeoIP2-Country-Test.mmdb");
  if (path.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: GeoIP2-Country-Test.mmdb not found";
  auto db = GeoIpDatabase::Open(path);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->CountryOf("not-an-ip"), "");
  EXPECT_EQ((*db)->CountryOf(""), "");
}

TEST(GeoIpDatabase, MissingFileIsAnError) {
  auto db = GeoIpDatabase::Open("/nonexistent/geo.mmdb");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("/nonexistent/geo.mmdb"), std::string::npos);
}

TEST(GeoIpDatabase, NotAnMmdbIsAnError) {
  EXPECT_FALSE(GeoIpDatabase::Open(DEEPGATE_TEST_SOURCE_DIR "/CMakeLists.txt").ok());
}

TEST(GeoIpDatabase, LoopbackDatabaseFromThePerlWriter) {
  const std::string path = LoopbackMmdb();
  if (path.empty()) GTEST_SKIP() << "SKIPPED LOUDLY: libmaxmind-db-writer-perl missing (scripts/install-deps.sh)";
  auto db = GeoIpDatabase::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->CountryOf("127.0.0.1"), "DE");
  EXPECT_EQ((*db)->CountryOf("127.0.0.3"), "KP");
  EXPECT_EQ((*db)->CountryOf("127.0.0.4"), "FR");  // registered_country only
  EXPECT_EQ((*db)->CountryOf("127.0.0.2"), "");
}

// --- country policy table ---

struct PolicyCase {
  const char* name;
  CountryRules rules;
  const char* country;
  bool allowed;
  const char* reason;
};

TEST(CountryPolicy, Table) {
  const PolicyCase cases[] = {
      {"no rules allow all", {{}, {}, true}, "KP", true, ""},
      {"deny list blocks listed", {{}, {"KP", "IR"}, true}, "KP", false, "country_denied"},
      {"deny list passes others", {{}, {"KP", "IR"}, true}, "DE", true, ""},
      {"allow list passes listed", {{"DE", "FR"}, {}, true}, "FR", true, ""},
      {"allow list blocks others", {{"DE", "FR"}, {}, true}, "US", false, "country_not_allowed"},
      {"unknown allowed", {{"DE"}, {}, true}, "", true, ""},
      {"unknown denied", {{}, {"KP"}, false}, "", false, "country_unknown"},
  };
  for (const PolicyCase& c : cases) {
    CountryVerdict v = CountryPolicy(c.rules).Check(c.country);
    EXPECT_EQ(v.allowed, c.allowed) << c.name;
    EXPECT_EQ(v.reason, c.reason) << c.name;
  }
}

// --- client address ---

std::vector<IpNetwork> Nets(std::initializer_list<const char*> texts) {
  std::vector<IpNetwork> out;
  for (const char* t : texts) {
    auto n = IpNetwork::Parse(t);
    EXPECT_TRUE(n.ok()) << t;
    if (n.ok()) out.push_back(*n);
  }
  return out;
}

TEST(IpNetwork, ContainsByPrefix) {
  auto n = Nets({"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"});
  EXPECT_TRUE(n[0].Contains("10.200.1.1"));
  EXPECT_FALSE(n[0].Contains("11.0.0.1"));
  EXPECT_TRUE(n[1].Contains("2001:db8:1::5"));
  EXPECT_FALSE(n[1].Contains("2001:db9::1"));
  EXPECT_TRUE(n[2].Contains("192.0.2.7"));
  EXPECT_FALSE(n[2].Contains("192.0.2.8"));
  EXPECT_FALSE(n[0].Contains("garbage"));
}

TEST(IpNetwork, RejectsBadText) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host.example", "10.0.0.0/8x"})
    EXPECT_FALSE(IpNetwork::Parse(bad).ok()) << bad;
}

TEST(ClientAddress, RemoteAddrWhenNoProxyIsTrusted) {
  EXPECT_EQ(ResolveClientAddress("203.0.113.9", "1.2.3.4", {}), "203.0.113.9");
}

TEST(ClientAddress, ForwardedForIgnoredFromUntrustedPeer) {
  EXPECT_EQ(ResolveClientAddress("203.0.113.9", "1.2.3.4", Nets({"10.0.0.0/8"})), "203.0.113.9");
}

TEST(ClientAddress, RightMostUntrustedHopFromTrustedPeer) {
  const auto trusted = Nets({"10.0.0.0/8"});
  // The client forged "6.6.6.6"; 198.51.100.7 is who connected to our first proxy.
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "6.6.6.6, 198.51.100.7, 10.0.0.1", trusted), "198.51.100.7");
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "198.51.100.7", trusted), "198.51.100.7");
}

TEST(ClientAddress, AllHopsTrustedGivesTheLeftMost) {
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "10.0.0.5,10.0.0.1", Nets({"10.0.0.0/8"})), "10.0.0.5");
}

TEST(ClientAddress, GarbageHopStopsTheWalk) {
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "198.51.100.7, junk, 10.0.0.1", Nets({"10.0.0.0/8"})), "10.0.0.1");
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "junk", Nets({"10.0.0.0/8"})), "10.0.0.2");
}

TEST(ClientAddress, EmptyHeaderKeepsRemoteAddr) {
  EXPECT_EQ(ResolveClientAddress("10.0.0.2", "", Nets({"10.0.0.0/8"})), "10.0.0.2");
}

TEST(ClientAddress, Ipv6Proxies) {
  EXPECT_EQ(ResolveClientAddress("::1", "2001:db8::9", Nets({"::1/128"})), "2001:db8::9");
}

}  // namespace
}  // namespace deepgate::fcgi::policy
