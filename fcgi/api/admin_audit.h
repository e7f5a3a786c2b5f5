// The read-only audit API over journald (fcgi/audit/journal_reader.h), for the console's
// audit and usage pages:
//   GET /admin/audit?since=&until=&event=&key=&limit=&cursor=   (admin.audit: admin, monitor)
//       entries newest first, only audit fields; `next_cursor` fetches the next (older) page
//   GET /admin/usage?since=&until=&key=                         (admin.usage: admin, monitor)
//       requests, tokens, 429s and errors per hour, by key and by model
//   GET /me/usage?since=&until=                                 (me.usage: developer)
//       the same for the caller's own key only: self-service, nothing of other keys
// since/until: unix seconds or RFC 3339 UTC ("2026-12-01T08:00:00Z"), [since, until).
// Which role may call which route is the role table's job (route names above); the handler
// for me.usage scopes by the caller's key whatever the query says.
// Thread-safety: handlers run concurrently; every journal read opens its own handle.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include <json/value.h>

#include "core/status.h"
#include "fcgi/audit/journal_reader.h"
#include "fcgi/auth/clock.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

inline constexpr int kAuditPageDefault = 100;
inline constexpr int kAuditPageMax = 500;
// Usage reads every matching entry of its window: bound the window and the scan.
inline constexpr int64_t kUsageDefaultWindowS = 24 * 3600;
inline constexpr int64_t kUsageMaxWindowS = 93 * 24 * 3600;
inline constexpr int64_t kUsageMaxEntries = 1000000;

struct AuditQuery {
  audit::AuditFilter filter;
  int limit = kAuditPageDefault;
  std::string cursor;
};

// Parses /admin/audit's query string. InvalidArgument (→ 400, param named) for an unknown
// or repeated parameter, a bad time, since ≥ until, a malformed event name, key id or cursor,
// or a limit outside 1..kAuditPageMax.
[[nodiscard]] Result<AuditQuery> ParseAuditQuery(const std::string& query);

// Parses a usage query: since/until default to the last kUsageDefaultWindowS before `now_s`;
// `key` only where `allow_key` (the admin route). The window may not exceed kUsageMaxWindowS.
[[nodiscard]] Result<audit::AuditFilter> ParseUsageQuery(const std::string& query, int64_t now_s, bool allow_key);

// Per-hour usage counters, keyed by (hour start, key id, model). Requests counts every
// request a key made, refused ones included; errors are answers ≥ 400 other than 429.
class UsageTally {
 public:
  void Add(const audit::AuditEntry& entry);
  // {"object":"usage","since":S,"until":U,"truncated":B,"data":[{"hour","key_id","model",
  //  "requests","prompt_tokens","completion_tokens","rate_limited","errors"}, ...]} oldest first.
  Json::Value ToJson(const audit::AuditFilter& window, bool truncated) const;

 private:
  struct Counts {
    int64_t requests = 0, prompt_tokens = 0, completion_tokens = 0, rate_limited = 0, errors = 0;
  };
  std::map<std::tuple<int64_t, std::string, std::string>, Counts> buckets_;
};

// Registers the three routes above over `journal`.
void AddAdminAuditRoutes(Router& router, audit::AuditJournal& journal, const auth::WallClock& clock);

}  // namespace deepgate::fcgi
