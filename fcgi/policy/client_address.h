// Client address: who is really calling. nginx hands us REMOTE_ADDR; only when that peer is
// one of our own trusted proxies (a load balancer in front of nginx) is X-Forwarded-For
// believed, and then only up to the first hop we do not trust: the right-most untrusted
// address. Anything left of it was written by the client and can be forged.
// Thread-safety: pure functions over immutable values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace deepgate::fcgi::policy {

// An IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", or one address). IPv4 is held as
// IPv4-mapped IPv6 so one comparison serves both.
class IpNetwork {
 public:
  [[nodiscard]] static Result<IpNetwork> Parse(const std::string& text);
  bool Contains(const std::string& address) const;

 private:
  std::array<uint8_t, 16> base_{};
  int prefix_bits_ = 128;
};

// Parses a textual address into 16 bytes (IPv4 mapped); false if it is not an address.
bool ParseIpAddress(const std::string& text, std::array<uint8_t, 16>* out);

std::string ResolveClientAddress(const std::string& remote_addr, const std::string& x_forwarded_for,
                                 const std::vector<IpNetwork>& trusted_proxies);

}  // namespace deepgate::fcgi::policy
