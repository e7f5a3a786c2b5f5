#include "fcgi/policy/client_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace deepgate::fcgi::policy {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

bool Trusted(const std::string& address, const std::vector<IpNetwork>& proxies) {
  return std::any_of(proxies.begin(), proxies.end(), [&](const IpNetwork& n) { return n.Contains(address); });
}

}  // namespace

bool ParseIpAddress(const std::string& text, std::array<uint8_t, 16>* out) {
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    out->fill(0);
    (*out)[10] = (*out)[11] = 0xff;
    std::memcpy(out->data() + 12, &v4, 4);
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(out->data(), &v6, 16);
    return true;
  }
  return false;
}

Result<IpNetwork> IpNetwork::Parse(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string addr = text.substr(0, slash);
  IpNetwork n;
  if (!ParseIpAddress(addr, &n.base_)) return Status::InvalidArgument("not an IP network: '" + text + "'");
  const bool v4 = addr.find(':') == std::string::npos;
  const int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string::npos) {
    const std::string b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3 || b.find_first_not_of("0123456789") != std::string::npos || std::stoi(b) > max_bits)
      return Status::InvalidArgument("bad prefix length in '" + text + "'");
    bits = std::stoi(b);
  }
  n.prefix_bits_ = v4 ? bits + 96 : bits;
  return n;
}

bool IpNetwork::Contains(const std::string& address) const {
  std::array<uint8_t, 16> a{};
  if (!ParseIpAddress(address, &a)) return false;
  int bits = prefix_bits_;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((a[i] & mask) != (base_[i] & mask)) return false;
  }
  return true;
}

std::string ResolveClientAddress(const std::string& remote_addr, const std::string& x_forwarded_for,
                                 const std::vector<IpNetwork>& trusted_proxies) {
  if (x_forwarded_for.empty() || !Trusted(remote_addr, trusted_proxies)) return remote_addr;
  // Walk right to left: each trusted hop vouches for the one before it.
  std::vector<std::string> hops;
  size_t start = 0;
  while (start <= x_forwarded_for.size()) {
    const size_t comma = x_forwarded_for.find(',', start);
    hops.push_back(Trim(x_forwarded_for.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  std::string client = remote_addr;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::array<uint8_t, 16> ignored{};
    if (!ParseIpAddress(*it, &ignored)) break;  // garbage: stop at the last good hop
    client = *it;
    if (!Trusted(*it, trusted_proxies)) break;
  }
  return client;
}

}  // namespace deepgate::fcgi::policy
