#include "fcgi/api/cached_generation.h"

#include <cctype>

#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {
namespace {

constexpr const char* kCacheHeader = "x-deepgate-cache";

// Records a handler's answer; complete() says whether it may be stored.
class AnswerRecorder final : public ResponseTap {
 public:
  explicit AnswerRecorder(int64_t max_bytes) : max_bytes_(max_bytes) {}

  void OnBody(int status, std::string_view content_type, std::string_view body) override {
    whole_ = status == 200 && content_type == "application/json";
    response_.body.assign(body);
  }
  void OnEvent(std::string_view data) override {
    if (done_ || failed_) return;
    if (data == "[DONE]") {
      done_ = true;
    } else if (data.substr(0, 9) == "{\"error\":") {
      failed_ = true;  // a failure mid-stream: never replay it
    }
    bytes_ += static_cast<int64_t>(data.size());
    if (bytes_ > max_bytes_) failed_ = true;  // could never be stored; stop copying
    if (!failed_) response_.events.emplace_back(data);
  }

  bool complete(const ResponseWriter& out) const {
    if (out.client_gone() || out.status() != 200) return false;
    return whole_ || (done_ && !failed_);
  }
  cache::CachedResponse Take(bool stream) {
    response_.stream = stream;
    if (stream) response_.body.clear();
    else response_.events.clear();
    return std::move(response_);
  }

 private:
  const int64_t max_bytes_;
  cache::CachedResponse response_;
  bool whole_ = false, done_ = false, failed_ = false;
  int64_t bytes_ = 0;
};

// Puts this request's response id where the stored answer had its own. The id only ever
// appears as the structural member "id":"…" (quotes inside content are escaped), so a plain
// replace cannot touch generated text.
std::string WithResponseId(const std::string& text, const std::string& from, const std::string& to) {
  const std::string needle = "\"id\":\"" + from + "\"";
  const std::string replacement = "\"id\":\"" + to + "\"";
  std::string out;
  size_t pos = 0;
  for (size_t at; (at = text.find(needle, pos)) != std::string::npos; pos = at + needle.size()) {
    out.append(text, pos, at - pos);
    out += replacement;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

void Replay(const cache::CachedResponse& hit, const std::string& response_id, ResponseWriter& out) {
  if (!hit.stream) {
    out.SendBody(200, "application/json", WithResponseId(hit.body, hit.response_id, response_id));
    return;
  }
  if (!out.StartStream()) return;
  for (const std::string& event : hit.events)
    if (!out.WriteEvent(WithResponseId(event, hit.response_id, response_id))) return;
}

// Request `Cache-Control: no-cache` or `no-store`: the client wants a fresh generation (and
// none of its answer kept), e.g. to check the engine's own determinism.
bool ClientRefusesCache(const std::string& cache_control) {
  std::string v;
  for (char c : cache_control) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v.find("no-cache") != std::string::npos || v.find("no-store") != std::string::npos;
}

}  // namespace

void ServeCached(cache::ResponseCache& cache, cache::CacheScope scope, const std::string& prefix, RequestContext& ctx,
                 ResponseWriter& out, const Json::Value& body, const std::function<void()>& generate) {
  std::optional<std::string> key = cache::CacheKeyFor(ctx.route.name, body, ctx.principal.subject, scope);
  if (!key || ClientRefusesCache(ctx.request.Header("cache-control"))) {
    cache.NoteBypass();
    out.AddHeader(kCacheHeader, "bypass");
    return generate();
  }
  const std::string response_id = prefix + out.request_id();
  if (std::shared_ptr<const cache::CachedResponse> hit = cache.Lookup(*key)) {
    ctx.usage.model = hit->model;
    ctx.usage.prompt_tokens = hit->prompt_tokens;
    ctx.usage.completion_tokens = hit->completion_tokens;
    out.AddHeader(kCacheHeader, "hit");
    Replay(*hit, response_id, out);
    return;
  }
  out.AddHeader(kCacheHeader, "miss");
  AnswerRecorder recorder(cache.max_bytes());
  {
    // Detached also when generation throws: the pipeline may still write a 500 through `out`.
    struct TapGuard {
      ResponseWriter& out;
      ~TapGuard() { out.SetTap(nullptr); }
    } guard{out};
    out.SetTap(&recorder);
    generate();
  }
  if (!recorder.complete(out) || ctx.refusal) return;
  const Json::Value& stream = body.get("stream", Json::Value());
  cache::CachedResponse answer = recorder.Take(stream.isBool() && stream.asBool());
  answer.response_id = response_id;
  answer.model = ctx.usage.model;
  answer.prompt_tokens = ctx.usage.prompt_tokens;
  answer.completion_tokens = ctx.usage.completion_tokens;
  // Tagged with the data subject (the key's owner, else its id): what erasure purges by.
  cache.Store(*key, AuditSubject(ctx.principal), std::move(answer));
}

}  // namespace deepgate::fcgi
