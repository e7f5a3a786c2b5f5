#include "fcgi/api/test_routes.h"

#include <cstdlib>
#include <thread>

#include "fcgi/http/json.h"
#include "fcgi/server/pipeline.h"

namespace deepgate::fcgi {

long QueryInt(const std::string& query, const std::string& name, long def, long lo, long hi) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    const std::string part = query.substr(pos, end - pos);
    if (part.size() > name.size() && part.compare(0, name.size() + 1, name + "=") == 0) {
      char* stop = nullptr;
      const long v = std::strtol(part.c_str() + name.size() + 1, &stop, 10);
      if (stop && *stop == '\0' && v >= lo && v <= hi) return v;
      return def;
    }
    pos = end + 1;
  }
  return def;
}

void AddTestRoutes(Router& router) {
  router.Add({"GET", "/_test/sleep", "test.sleep", false, [](RequestContext& ctx, ResponseWriter& out) {
                const long ms = QueryInt(ctx.request.query, "ms", 1000, 0, 600000);
                const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
                while (std::chrono::steady_clock::now() < until) {
                  if (ctx.ShouldStop()) {
                    out.SendError(ApiError::Unavailable("The request was cancelled", "cancelled", 1));
                    return;
                  }
                  std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
                Json::Value body(Json::objectValue);
                body["slept_ms"] = Json::Int64(ms);
                out.SendJson(200, body);
              }});
  router.Add({"GET", "/_test/stream", "test.stream", false, [](RequestContext& ctx, ResponseWriter& out) {
                const long n = QueryInt(ctx.request.query, "n", 3, 0, 10000);
                if (!out.StartStream()) return;
                for (long i = 0; i < n; ++i) {
                  if (ctx.ShouldStop()) return;
                  if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                  Json::Value chunk(Json::objectValue);
                  chunk["index"] = Json::Int64(i);
                  if (!out.WriteEvent(WriteJson(chunk))) return;  // client gone: stop generating
                }
                out.FinishStream();
              }});
}

}  // namespace deepgate::fcgi
