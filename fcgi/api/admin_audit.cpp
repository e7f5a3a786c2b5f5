#include "fcgi/api/admin_audit.h"

#include <cstdio>
#include <ctime>
#include <optional>

#include "fcgi/api/oauth_token.h"  // ParseFormBody: a query string is form-encoded too
#include "fcgi/auth/api_key.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

constexpr int64_t kUsPerS = 1000000;

// Unix seconds ("1764662400") or RFC 3339 UTC ("2026-12-02T08:00:00Z") → unix seconds.
bool ParseTime(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.find_first_not_of("0123456789") == std::string::npos) {
    if (s.size() > 12) return false;  // beyond year 33658: not a time anyone means
    *out = std::stoll(s);
    return true;
  }
  std::tm tm{};
  char z = 0;
  int n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || z != 'Z' || n != static_cast<int>(s.size()))
    return false;
  if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  *out = static_cast<int64_t>(timegm(&tm));
  return true;
}

Status BadParam(const std::string& name, const std::string& why) {
  return Status::InvalidArgument("'" + name + "' " + why);
}

// The parameters of a query string; InvalidArgument for a bad escape, a repeated or an
// unknown name.
Result<std::map<std::string, std::string>> QueryParams(const std::string& query,
                                                       std::initializer_list<const char*> known) {
  std::map<std::string, std::string> p;
  if (!ParseFormBody(query, &p)) return Status::InvalidArgument("The query string is malformed or repeats a parameter");
  for (const auto& [name, value] : p) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) return Status::InvalidArgument("Unknown parameter '" + name.substr(0, 64) + "'");
  }
  return p;
}

// One time parameter (seconds), if present.
Status ReadTime(std::map<std::string, std::string>& p, const char* name, std::optional<int64_t>* out) {
  if (!p.count(name)) return Status::Ok();
  int64_t s = 0;
  if (!ParseTime(p[name], &s)) return BadParam(name, "must be unix seconds or a time such as 2026-12-01T08:00:00Z");
  *out = s;
  return Status::Ok();
}

// since/until (seconds) into the filter (µs): `default_span_s` > 0 fills in a missing
// since/until from the other one (until defaults to `now_s`); they must be in order.
Status ReadWindow(std::map<std::string, std::string>& p, int64_t now_s, int64_t default_span_s,
                  audit::AuditFilter* f) {
  std::optional<int64_t> since, until;
  DG_RETURN_IF_ERROR(ReadTime(p, "since", &since));
  DG_RETURN_IF_ERROR(ReadTime(p, "until", &until));
  if (default_span_s > 0) {
    if (!until) until = now_s + 1;  // + 1: this second's entries are inside [since, until)
    if (!since) since = *until - default_span_s;
  }
  if (since) f->since_us = *since * kUsPerS;
  if (until) f->until_us = *until * kUsPerS;
  if (f->since_us >= f->until_us) return BadParam("since", "must be before 'until'");
  return Status::Ok();
}

Status ReadKey(std::map<std::string, std::string>& p, audit::AuditFilter* f) {
  if (!p.count("key")) return Status::Ok();
  if (!auth::IsValidKeyId(p["key"])) return BadParam("key", "must be a key id (16 hex digits)");
  f->key_id = p["key"];
  return Status::Ok();
}

bool IsEventName(const std::string& s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

// journald cursors are "s=…;i=…;b=…;m=…;t=…;x=…": printable, no spaces, short.
bool IsCursorText(const std::string& s) {
  if (s.empty() || s.size() > 512) return false;
  for (unsigned char c : s)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

int64_t FieldInt(const audit::AuditEntry& e, const char* name) {
  auto it = e.fields.find(name);
  if (it == e.fields.end() || it->second.empty() || it->second.size() > 18 ||
      it->second.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  return std::stoll(it->second);
}

std::string Field(const audit::AuditEntry& e, const char* name) {
  auto it = e.fields.find(name);
  return it == e.fields.end() ? "" : it->second;
}

Json::Value EntryJson(const audit::AuditEntry& e) {
  Json::Value j(Json::objectValue);
  j["time"] = Json::Int64(e.time_us / kUsPerS);
  j["time_us"] = Json::Int64(e.time_us);
  j["cursor"] = e.cursor;
  Json::Value fields(Json::objectValue);
  for (const auto& [name, value] : e.fields) fields[name] = value;
  j["fields"] = fields;
  return j;
}

ApiError FromJournalStatus(const Status& s) {
  if (s.code() == StatusCode::kInvalidArgument) return ApiError::BadRequest(s.message(), "cursor");
  std::fprintf(stderr, "deepgate-fcgi: audit API: %s\n", s.message().c_str());
  return ApiError::Unavailable("The audit journal cannot be read", "audit_unavailable", 5);
}

void ServeAudit(RequestContext& ctx, ResponseWriter& out, audit::AuditJournal& journal) {
  Result<AuditQuery> q = ParseAuditQuery(ctx.request.query);
  if (!q.ok()) return (void)out.SendError(ApiError::BadRequest(q.status().message()));
  Result<audit::AuditPage> page = journal.Read(q->filter, q->limit, q->cursor);
  if (!page.ok()) return (void)out.SendError(FromJournalStatus(page.status()));
  Json::Value body(Json::objectValue);
  body["object"] = "list";
  body["data"] = Json::Value(Json::arrayValue);
  for (const auto& e : page->entries) body["data"].append(EntryJson(e));
  body["next_cursor"] = page->next_cursor.empty() ? Json::Value(Json::nullValue) : Json::Value(page->next_cursor);
  out.AddHeader("Cache-Control", "no-store");
  out.SendJson(200, body);
}

// self_service (/me/usage): the caller's own key only, and no `key` parameter.
void ServeUsage(RequestContext& ctx, ResponseWriter& out, audit::AuditJournal& journal, const auth::WallClock& clock,
                bool self_service) {
  if (self_service && ctx.principal.key_id.empty())
    return (void)out.SendError(ApiError::Forbidden("Usage is kept per API key; this credential names none"));
  Result<audit::AuditFilter> f = ParseUsageQuery(ctx.request.query, clock.NowUnix(), !self_service);
  if (!f.ok()) return (void)out.SendError(ApiError::BadRequest(f.status().message()));
  if (self_service) f->key_id = ctx.principal.key_id;
  UsageTally tally;
  bool truncated = false;
  Status s = journal.Scan(*f, kUsageMaxEntries, [&](const audit::AuditEntry& e) {
    tally.Add(e);
    return true;
  }, &truncated);
  if (!s.ok()) return (void)out.SendError(FromJournalStatus(s));
  out.AddHeader("Cache-Control", "no-store");
  out.SendJson(200, tally.ToJson(*f, truncated));
}

}  // namespace

Result<AuditQuery> ParseAuditQuery(const std::string& query) {
  DG_ASSIGN_OR_RETURN(auto p, QueryParams(query, {"since", "until", "event", "key", "limit", "cursor"}));
  AuditQuery q;
  DG_RETURN_IF_ERROR(ReadWindow(p, 0, 0, &q.filter));
  DG_RETURN_IF_ERROR(ReadKey(p, &q.filter));
  if (p.count("event")) {
    if (!IsEventName(p["event"])) return BadParam("event", "must be an audit event name such as key_revoked");
    q.filter.event = p["event"];
  }
  if (p.count("limit")) {
    const std::string& l = p["limit"];
    if (l.empty() || l.size() > 4 || l.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(l) < 1 || std::stoi(l) > kAuditPageMax)
      return BadParam("limit", "must be between 1 and " + std::to_string(kAuditPageMax));
    q.limit = std::stoi(l);
  }
  if (p.count("cursor")) {
    if (!IsCursorText(p["cursor"])) return BadParam("cursor", "is not valid");
    q.cursor = p["cursor"];
  }
  return q;
}

Result<audit::AuditFilter> ParseUsageQuery(const std::string& query, int64_t now_s, bool allow_key) {
  std::initializer_list<const char*> known = {"since", "until", "key"};
  std::initializer_list<const char*> own = {"since", "until"};
  DG_ASSIGN_OR_RETURN(auto p, QueryParams(query, allow_key ? known : own));
  audit::AuditFilter f;
  DG_RETURN_IF_ERROR(ReadWindow(p, now_s, kUsageDefaultWindowS, &f));
  if (f.until_us - f.since_us > kUsageMaxWindowS * kUsPerS)
    return BadParam("since", "is too far before 'until' (at most " + std::to_string(kUsageMaxWindowS / 86400) + " days)");
  DG_RETURN_IF_ERROR(ReadKey(p, &f));
  return f;
}

void UsageTally::Add(const audit::AuditEntry& e) {
  const std::string event = Field(e, "DEEPGATE_EVENT");
  const bool rate_limited = event == "rate_limited";
  // Requests and their refusals; key lifecycle and other events are not usage.
  if (event != "request" && !rate_limited && event != "forbidden" && event != "auth_failure") return;
  const std::string key = Field(e, "KEY_ID");
  if (key.empty()) return;  // an anonymous refusal is no key's usage
  const int64_t hour = e.time_us / kUsPerS / 3600 * 3600;
  Counts& c = buckets_[{hour, key, Field(e, "MODEL")}];
  const int64_t status = FieldInt(e, "STATUS");
  c.requests += 1;
  c.prompt_tokens += FieldInt(e, "PROMPT_TOKENS");
  c.completion_tokens += FieldInt(e, "COMPLETION_TOKENS");
  if (rate_limited || status == 429) c.rate_limited += 1;
  else if (status >= 400) c.errors += 1;
}

Json::Value UsageTally::ToJson(const audit::AuditFilter& window, bool truncated) const {
  Json::Value body(Json::objectValue);
  body["object"] = "usage";
  body["since"] = Json::Int64(window.since_us / kUsPerS);
  body["until"] = Json::Int64(window.until_us / kUsPerS);
  body["truncated"] = truncated;
  body["data"] = Json::Value(Json::arrayValue);
  for (const auto& [k, c] : buckets_) {
    Json::Value b(Json::objectValue);
    b["hour"] = Json::Int64(std::get<0>(k));
    b["key_id"] = std::get<1>(k);
    b["model"] = std::get<2>(k);
    b["requests"] = Json::Int64(c.requests);
    b["prompt_tokens"] = Json::Int64(c.prompt_tokens);
    b["completion_tokens"] = Json::Int64(c.completion_tokens);
    b["rate_limited"] = Json::Int64(c.rate_limited);
    b["errors"] = Json::Int64(c.errors);
    body["data"].append(b);
  }
  return body;
}

void AddAdminAuditRoutes(Router& router, audit::AuditJournal& journal, const auth::WallClock& clock) {
  router.Add({"GET", "/admin/audit", "admin.audit", false,
              [&journal](RequestContext& ctx, ResponseWriter& out) { ServeAudit(ctx, out, journal); }});
  router.Add({"GET", "/admin/usage", "admin.usage", false, [&journal, &clock](RequestContext& ctx, ResponseWriter& out) {
                ServeUsage(ctx, out, journal, clock, false);
              }});
  router.Add({"GET", "/me/usage", "me.usage", false, [&journal, &clock](RequestContext& ctx, ResponseWriter& out) {
                ServeUsage(ctx, out, journal, clock, true);
              }});
}

}  // namespace deepgate::fcgi
