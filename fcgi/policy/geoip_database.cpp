#include "fcgi/policy/geoip_database.h"

namespace deepgate::fcgi::policy {

Result<std::unique_ptr<GeoIpDatabase>> GeoIpDatabase::Open(const std::string& path) {
  std::unique_ptr<GeoIpDatabase> db(new GeoIpDatabase());
  const int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db->mmdb_);
  // MMDB_open frees what it allocated on failure, so ~GeoIpDatabase closes only an open one.
  // (This used to release() the unique_ptr instead, which leaked the object itself.)
  if (rc != MMDB_SUCCESS) return Status::IoError("cannot open GeoIP database " + path + ": " + MMDB_strerror(rc));
  db->open_ = true;
  db->path_ = path;
  return db;
}

GeoIpDatabase::~GeoIpDatabase() {
  if (open_) MMDB_close(&mmdb_);
}

std::string GeoIpDatabase::CountryOf(const std::string& ip) const {
  int gai_error = 0, mmdb_error = 0;
  MMDB_lookup_result_s result =
      MMDB_lookup_string(const_cast<MMDB_s*>(&mmdb_), ip.c_str(), &gai_error, &mmdb_error);
  if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !result.found_entry) return "";
  for (const char* top : {"country", "registered_country"}) {
    MMDB_entry_data_s data{};
    if (MMDB_get_value(&result.entry, &data, top, "iso_code", nullptr) == MMDB_SUCCESS && data.has_data &&
        data.type == MMDB_DATA_TYPE_UTF8_STRING)
      return std::string(data.utf8_string, data.data_size);
  }
  return "";
}

}  // namespace deepgate::fcgi::policy
