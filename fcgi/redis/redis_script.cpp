#include "fcgi/redis/redis_script.h"

#include <openssl/sha.h>

namespace deepgate::fcgi::redis {

RedisScript::RedisScript(std::string name, std::string source) : name_(std::move(name)), source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    sha1_ += kHex[b >> 4];
    sha1_ += kHex[b & 15];
  }
}

}  // namespace deepgate::fcgi::redis
