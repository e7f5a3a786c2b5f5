// Request parsing, body limits, request ids, JSON bodies, error bodies and the response writer.
#include <gtest/gtest.h>
#include <json/json.h>

#include <sstream>

#include "fcgi/http/api_error.h"
#include "fcgi/http/json.h"
#include "fcgi/http/request.h"
#include "fcgi/http/response_writer.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi {
namespace {

using testing::FakeSink;
using testing::FakeSource;

TEST(FcgiRequest, ReadsMethodPathQueryHeadersAndBody) {
  FakeSource src(testing::Params{{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/v1/chat/completions"},
                  {"REQUEST_URI", "/v1/chat/completions?x=1"}, {"QUERY_STRING", "x=1"},
                  {"CONTENT_LENGTH", "2"}, {"CONTENT_TYPE", "application/json"},
                  {"HTTP_AUTHORIZATION", "Bearer k"}, {"REMOTE_ADDR", "10.0.0.7"}},
                 "{}");
  Request r;
  ApiError e;
  ASSERT_TRUE(BuildRequest(src, 1024, &r, &e));
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/chat/completions");
  EXPECT_EQ(r.query, "x=1");
  EXPECT_EQ(r.Header("authorization"), "Bearer k");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.remote_addr, "10.0.0.7");
}

TEST(FcgiRequest, PathFallsBackToRequestUriWithoutQuery) {
  FakeSource src(testing::Params{{"REQUEST_URI", "/v1/models?a=b"}});
  Request r;
  ApiError e;
  ASSERT_TRUE(BuildRequest(src, 1024, &r, &e));
  EXPECT_EQ(r.path, "/v1/models");
}

TEST(FcgiRequest, BodyOverLimitIs413WithoutReadingIt) {
  FakeSource src(testing::Params{{"REQUEST_METHOD", "POST"}, {"CONTENT_LENGTH", "2048"}}, std::string(2048, 'x'));
  Request r;
  ApiError e;
  ASSERT_FALSE(BuildRequest(src, 1024, &r, &e));
  EXPECT_EQ(e.http_status, 413);
  EXPECT_EQ(e.message, "Request body is 2048 bytes; the limit is 1024 bytes");
  EXPECT_EQ(src.bytes_read(), 0u);
}

TEST(FcgiRequest, BodyAtLimitIsAccepted) {
  FakeSource src(testing::Params{{"CONTENT_LENGTH", "1024"}}, std::string(1024, 'x'));
  Request r;
  ApiError e;
  EXPECT_TRUE(BuildRequest(src, 1024, &r, &e));
}

TEST(FcgiRequest, BadContentLengthIs400) {
  for (const char* len : {"-1", "abc", "12x", "99999999999999999999999"}) {
    FakeSource src(testing::Params{{"CONTENT_LENGTH", len}});
    Request r;
    ApiError e;
    ASSERT_FALSE(BuildRequest(src, 1024, &r, &e)) << len;
    EXPECT_EQ(e.http_status, 400) << len;
  }
}

TEST(FcgiRequest, ShortBodyIs400) {
  FakeSource src(testing::Params{{"CONTENT_LENGTH", "10"}}, "abc");
  Request r;
  ApiError e;
  ASSERT_FALSE(BuildRequest(src, 1024, &r, &e));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.message, "Request body ended after 3 of 10 bytes");
}

TEST(FcgiRequest, RequestIdPrefersNginxThenClientThenGenerated) {
  Request r1, r2, r3;
  ApiError e;
  FakeSource both(testing::Params{{"REQUEST_ID", "nginx1"}, {"HTTP_X_REQUEST_ID", "client1"}});
  ASSERT_TRUE(BuildRequest(both, 1, &r1, &e));
  EXPECT_EQ(r1.request_id, "nginx1");
  FakeSource client(testing::Params{{"HTTP_X_REQUEST_ID", "client-2.a_b"}});
  ASSERT_TRUE(BuildRequest(client, 1, &r2, &e));
  EXPECT_EQ(r2.request_id, "client-2.a_b");
  FakeSource hostile(testing::Params{{"HTTP_X_REQUEST_ID", "x\r\nSet-Cookie: a=b"}});
  ASSERT_TRUE(BuildRequest(hostile, 1, &r3, &e));
  EXPECT_EQ(r3.request_id.size(), 32u);
  EXPECT_TRUE(IsAcceptableRequestId(r3.request_id));
}

TEST(FcgiRequest, RequestIdIsKeptWhenParsingFails) {
  FakeSource src(testing::Params{{"REQUEST_ID", "abc123"}, {"CONTENT_LENGTH", "99999"}});
  Request r;
  ApiError e;
  ASSERT_FALSE(BuildRequest(src, 10, &r, &e));
  EXPECT_EQ(r.request_id, "abc123");
}

TEST(FcgiJson, ParsesObject) {
  Result<Json::Value> v = ParseJsonObject(R"({"model":"m","n":2})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["model"].asString(), "m");
}

TEST(FcgiJson, RejectsWithPreciseMessages) {
  struct Case { std::string body; std::string message_start; };
  for (const Case& c : std::vector<Case>{
           {"", "Request body is empty"},
           {"{", "Request body is not valid JSON: Line 1, Column 2"},
           {"[1,2]", "Request body must be a JSON object"},
           {"\"s\"", "Request body must be a JSON object"},
           {"{\"a\":\"\xff\"}", "Request body is not valid UTF-8 (first bad byte at offset 6)"},
           {R"({"a":1,"a":2})", "Request body is not valid JSON"},
           {R"({"a":1} {})", "Request body is not valid JSON"},
           {R"({'a':1})", "Request body is not valid JSON"},
           {R"({"a":NaN})", "Request body is not valid JSON"},
       }) {
    Result<Json::Value> v = ParseJsonObject(c.body);
    ASSERT_FALSE(v.ok()) << c.body;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message().rfind(c.message_start, 0), 0u) << v.status().message();
  }
}

TEST(FcgiJson, DeepNestingIsAnErrorNotACrash) {
  std::string deep = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  Result<Json::Value> v = ParseJsonObject(deep);
  EXPECT_FALSE(v.ok());
}

TEST(FcgiJson, Utf8Validation) {
  EXPECT_EQ(FindInvalidUtf8("plain"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("h\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"), std::string_view::npos);
  EXPECT_EQ(FindInvalidUtf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(FindInvalidUtf8("ab\xed\xa0\x80"), 2u);    // surrogate
  EXPECT_EQ(FindInvalidUtf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(FindInvalidUtf8("a\xe4\xb8"), 1u);         // truncated
}

TEST(FcgiApiError, BodyHasOpenAiShapeWithNulls) {
  Json::Value v;
  std::istringstream in(ApiError::NotFound("No such thing").Body());
  in >> v;
  ASSERT_TRUE(v["error"].isObject());
  EXPECT_EQ(v["error"]["message"].asString(), "No such thing");
  EXPECT_EQ(v["error"]["type"].asString(), "not_found_error");
  EXPECT_TRUE(v["error"]["param"].isNull());
  EXPECT_EQ(v["error"]["code"].asString(), "not_found");
  EXPECT_EQ(v.getMemberNames().size(), 1u);
  EXPECT_EQ(v["error"].getMemberNames().size(), 4u);
}

TEST(FcgiApiError, StatusCodesMapOntoHttp) {
  EXPECT_EQ(ApiError::FromStatus(Status::InvalidArgument("x")).http_status, 400);
  EXPECT_EQ(ApiError::FromStatus(Status::Unauthenticated("x")).http_status, 401);
  EXPECT_EQ(ApiError::FromStatus(Status::PermissionDenied("x")).http_status, 403);
  EXPECT_EQ(ApiError::FromStatus(Status::NotFound("x")).http_status, 404);
  EXPECT_EQ(ApiError::FromStatus(Status::ResourceExhausted("x")).http_status, 429);
  EXPECT_EQ(ApiError::FromStatus(Status::Unavailable("x"), 7).retry_after_s, 7);
  ApiError internal = ApiError::FromStatus(Status::IoError("/secret/path: EIO"));
  EXPECT_EQ(internal.http_status, 500);
  EXPECT_EQ(internal.message.find("secret"), std::string::npos);
}

TEST(FcgiResponseWriter, JsonResponseHasStatusTypeLengthAndRequestId) {
  FakeSink sink;
  ResponseWriter out(sink, "rid42");
  Json::Value v(Json::objectValue);
  v["ok"] = true;
  ASSERT_TRUE(out.SendJson(200, v));
  EXPECT_EQ(sink.Head(),
            "Status: 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: rid42\r\nContent-Length: 11\r\n");
  EXPECT_EQ(sink.Body(), R"({"ok":true})");
  EXPECT_FALSE(out.SendJson(200, v)) << "a second response must be refused";
}

TEST(FcgiResponseWriter, ErrorCarriesRetryAfterAndExtraHeaders) {
  FakeSink sink;
  ResponseWriter out(sink, "r");
  out.SendError(ApiError::Unavailable("busy", "overloaded", 3));
  EXPECT_NE(sink.Head().find("Status: 503 Service Unavailable\r\n"), std::string::npos);
  EXPECT_NE(sink.Head().find("Retry-After: 3\r\n"), std::string::npos);
  FakeSink sink2;
  ResponseWriter out2(sink2, "r");
  out2.SendError(ApiError::MethodNotAllowed("PUT", "/v1/models", "GET"));
  EXPECT_NE(sink2.Head().find("Allow: GET\r\n"), std::string::npos);
}

TEST(FcgiResponseWriter, HeaderInjectionIsStripped) {
  FakeSink sink;
  ResponseWriter out(sink, "r");
  out.AddHeader("X-A", "v\r\nSet-Cookie: x=y");
  out.SendBody(200, "text/plain", "");
  EXPECT_NE(sink.Head().find("X-A: vSet-Cookie: x=y\r\n"), std::string::npos);
}

TEST(FcgiResponseWriter, StreamWritesSseEventsFlushedEach) {
  FakeSink sink;
  ResponseWriter out(sink, "r");
  ASSERT_TRUE(out.StartStream());
  EXPECT_NE(sink.Head().find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(sink.Head().find("X-Accel-Buffering: no\r\n"), std::string::npos);
  const int flushes = sink.flushes;
  ASSERT_TRUE(out.WriteEvent(R"({"i":0})"));
  EXPECT_EQ(sink.flushes, flushes + 1);
  ASSERT_TRUE(out.WriteEvent("a\nb"));
  ASSERT_TRUE(out.FinishStream());
  EXPECT_EQ(sink.Body(), "data: {\"i\":0}\n\ndata: a\ndata: b\n\ndata: [DONE]\n\n");
}

TEST(FcgiResponseWriter, ClientGoneIsReportedAndSticky) {
  FakeSink sink;
  ResponseWriter out(sink, "r");
  ASSERT_TRUE(out.StartStream());
  sink.FailFromNowOn();
  EXPECT_FALSE(out.WriteEvent("x"));
  EXPECT_TRUE(out.client_gone());
  EXPECT_FALSE(out.WriteEvent("y"));
}

}  // namespace
}  // namespace deepgate::fcgi
