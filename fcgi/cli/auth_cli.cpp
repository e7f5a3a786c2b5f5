#include "fcgi/cli/auth_cli.h"

#include <ctime>
#include <iostream>

#include "fcgi/cli/state_owner.h"
#include "fcgi/config.h"
#include "fcgi/store/open_key_store.h"

namespace deepgate::cli {

std::unique_ptr<fcgi::auth::AuthContext> OpenCliAuth(const Args& args) {
  static const fcgi::auth::SystemClock clock;
  const std::string path = args.GetOr("--config", kDefaultConfigPath);
  Result<fcgi::WorkerConfig> config = fcgi::LoadConfig(path);
  if (!config.ok()) {
    Fail(config.status().message());
    return nullptr;
  }
  Result<fcgi::store::StoreUrl> url = fcgi::store::ParseStoreUrl(config->store.url, config->auth.key_store);
  if (!url.ok()) {
    Fail(url.status().message());
    return nullptr;
  }
  if (!url->postgres && !BecomeStateOwner(url->path)) return nullptr;
  Result<std::unique_ptr<fcgi::auth::KeyStore>> store = fcgi::store::OpenKeyStore(*url, config->store, {});
  if (!store.ok()) {
    Fail(store.status().message());
    return nullptr;
  }
  Result<std::unique_ptr<fcgi::auth::AuthContext>> auth =
      fcgi::auth::OpenAuth(config->auth, clock, std::move(store).value());
  if (!auth.ok()) {
    Fail(auth.status().message());
    return nullptr;
  }
  return std::move(auth).value();
}

std::string FormatUnixTime(int64_t t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%MZ", &tm);
  return buf;
}

std::optional<std::string> SubjectArg(const std::string& value) {
  if (value != "-") return value;
  std::string line;
  if (!std::getline(std::cin, line)) {
    Fail("--subject -: no subject on stdin");
    return std::nullopt;
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) {
    Fail("--subject -: empty subject on stdin");
    return std::nullopt;
  }
  return line;
}

}  // namespace deepgate::cli
