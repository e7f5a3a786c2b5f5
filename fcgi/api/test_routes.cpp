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

namespace {

// One chat.completion.chunk event with `delta` (and a finish reason when given).
std::string EchoChunk(const Json::Value& delta, const char* finish) {
  Json::Value c(Json::objectValue);
  c["id"] = "chatcmpl-echo";
  c["object"] = "chat.completion.chunk";
  c["model"] = "echo";
  Json::Value choice(Json::objectValue);
  choice["index"] = 0;
  choice["delta"] = delta;
  choice["finish_reason"] = finish ? Json::Value(finish) : Json::Value(Json::nullValue);
  c["choices"].append(choice);
  return WriteJson(c);
}

// Streams the last message's text back as an R1-style answer: reasoning first, then the text
// in 8-byte pieces. Lets a test put chosen text (markup included) where model output goes.
void ServeChatEcho(RequestContext& ctx, ResponseWriter& out) {
  Result<Json::Value> body = ParseJsonObject(ctx.request.body);
  if (!body.ok() || !(*body)["messages"].isArray() || (*body)["messages"].empty() ||
      !(*body)["messages"][(*body)["messages"].size() - 1]["content"].isString())
    return (void)out.SendError(ApiError::BadRequest("'messages' must end with a text message", "messages"));
  const std::string text = (*body)["messages"][(*body)["messages"].size() - 1]["content"].asString();
  if (!out.StartStream()) return;
  Json::Value delta(Json::objectValue);
  delta["role"] = "assistant";
  delta["reasoning_content"] = "Echoing: " + text;
  if (!out.WriteEvent(EchoChunk(delta, nullptr))) return;
  for (size_t i = 0; i < text.size(); i += 8) {
    Json::Value piece(Json::objectValue);
    piece["content"] = text.substr(i, 8);
    if (!out.WriteEvent(EchoChunk(piece, nullptr))) return;
  }
  if (!out.WriteEvent(EchoChunk(Json::Value(Json::objectValue), "stop"))) return;
  out.FinishStream();
}

}  // namespace

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
  router.Add({"POST", "/_test/chat/echo", "test.chat_echo", false, ServeChatEcho});
}

}  // namespace deepgate::fcgi
