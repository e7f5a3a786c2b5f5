// GeoIpDatabase: a MaxMind DB (GeoIP2/GeoLite2 Country or City, or our own test files) opened
// with libmaxminddb and closed by the destructor. Lookups answer an ISO 3166-1 alpha-2 code.
// Thread-safety: lookups on one open database may run concurrently (libmaxminddb reads a
// read-only mapping); reopening is done by opening a new object (PolicyAdmission swaps it).
#pragma once

#include <maxminddb.h>

#include <memory>
#include <string>

#include "core/status.h"

namespace deepgate::fcgi::policy {

class GeoIpDatabase {
 public:
  [[nodiscard]] static Result<std::unique_ptr<GeoIpDatabase>> Open(const std::string& path);
  ~GeoIpDatabase();
  GeoIpDatabase(const GeoIpDatabase&) = delete;
  GeoIpDatabase& operator=(const GeoIpDatabase&) = delete;

  // "GB" for 81.2.69.160; "" when the address is not in the database, has no country, or is
  // not an IP address. The country of the network itself, else of its registration.
  std::string CountryOf(const std::string& ip) const;
  const std::string& path() const { return path_; }

 private:
  GeoIpDatabase() = default;
  MMDB_s mmdb_{};
  bool open_ = false;  // MMDB_close only after a successful MMDB_open
  std::string path_;
};

}  // namespace deepgate::fcgi::policy
