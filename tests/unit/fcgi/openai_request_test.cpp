// OpenAI request parsing: defaults, every accepted form, and a precise 400 (message + param)
// for each kind of bad value.
#include "fcgi/api/openai_request.h"

#include <gtest/gtest.h>

#include <json/reader.h>

namespace deepgate::api {
namespace {

Json::Value Parse(const std::string& text) {
  Json::Value v;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  EXPECT_TRUE(reader->parse(text.data(), text.data() + text.size(), &v, &errors)) << errors;
  return v;
}

RequestError ChatError(const std::string& body) {
  ChatCompletionRequest r;
  RequestError e;
  EXPECT_FALSE(ParseChatCompletionRequest(Parse(body), &r, &e)) << body;
  return e;
}

TEST(OpenAiRequestTest, ChatDefaults) {
  ChatCompletionRequest r;
  RequestError e;
  ASSERT_TRUE(ParseChatCompletionRequest(Parse(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"), &r, &e))
      << e.message;
  EXPECT_EQ(r.model, "m");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].content, "hi");
  EXPECT_FLOAT_EQ(r.params.sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r.params.sampling.top_p, 1.0f);
  EXPECT_EQ(r.params.max_tokens, -1);
  EXPECT_EQ(r.params.n, 1);
  EXPECT_FALSE(r.params.stream);
}

TEST(OpenAiRequestTest, ChatAllFields) {
  ChatCompletionRequest r;
  RequestError e;
  ASSERT_TRUE(ParseChatCompletionRequest(Parse(R"({"model":"m",
      "messages":[{"role":"developer","content":"be brief"},
                  {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                  {"role":"assistant","content":null}],
      "temperature":0.5,"top_p":0.9,"max_completion_tokens":7,"stop":["x","y"],"seed":-3,
      "presence_penalty":1,"frequency_penalty":-1,"logit_bias":{"42":-100,"7":5.5},"logprobs":true,
      "top_logprobs":3,"n":2,"stream":true,"stream_options":{"include_usage":true},"user":"u1",
      "response_format":{"type":"text"},"some_vendor_extension":{"x":1}})"),
                                         &r, &e))
      << e.message;
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "ab");
  EXPECT_EQ(r.messages[2].content, "");
  EXPECT_FLOAT_EQ(r.params.sampling.temperature, 0.5f);
  EXPECT_EQ(r.params.max_tokens, 7);
  EXPECT_EQ(r.params.stop, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(r.params.sampling.seed, static_cast<uint64_t>(-3));
  EXPECT_EQ(r.params.sampling.logit_bias.size(), 2u);
  EXPECT_TRUE(r.params.logprobs);
  EXPECT_EQ(r.params.sampling.top_logprobs, 3);
  EXPECT_EQ(r.params.n, 2);
  EXPECT_TRUE(r.params.stream);
  EXPECT_TRUE(r.params.include_usage);
  EXPECT_EQ(r.params.user, "u1");
}

TEST(OpenAiRequestTest, TopPZeroMeansGreedy) {
  ChatCompletionRequest r;
  RequestError e;
  ASSERT_TRUE(ParseChatCompletionRequest(Parse(R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_p":0})"), &r, &e));
  EXPECT_EQ(r.params.sampling.temperature, 0.0f);
}

TEST(OpenAiRequestTest, ChatErrorsNameTheParameter) {
  struct Case {
    const char* body;
    const char* param;
  };
  const Case cases[] = {
      {R"({"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"model":5,"messages":[{"role":"user","content":"x"}]})", "model"},
      {R"({"model":"m"})", "messages"},
      {R"({"model":"m","messages":[]})", "messages"},
      {R"({"model":"m","messages":"hi"})", "messages"},
      {R"({"model":"m","messages":[5]})", "messages[0]"},
      {R"({"model":"m","messages":[{"role":"tool","content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"content":"x"}]})", "messages[0].role"},
      {R"({"model":"m","messages":[{"role":"user","content":5}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]})", "messages[0].content"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":2.5})", "temperature"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})", "temperature"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_p":1.5})", "top_p"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":-1})", "max_tokens"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1.5})", "max_tokens"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":true})", "max_tokens"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":0})", "n"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":1000})", "n"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":5})", "stop"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b","c","d","e"]})", "stop"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"abc":1}})", "logit_bias"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"1":1000}})", "logit_bias"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"presence_penalty":3})", "presence_penalty"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"top_logprobs":3})", "top_logprobs"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":21})", "top_logprobs"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})", "stream"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}})", "stream_options"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]})", "tools"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}})", "response_format"},
      {R"({"model":"m","messages":[{"role":"user","content":"x"}],"seed":"1"})", "seed"},
  };
  for (const Case& c : cases) {
    RequestError e = ChatError(c.body);
    EXPECT_EQ(e.param, c.param) << c.body << " -> " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(OpenAiRequestTest, NonObjectBody) {
  ChatCompletionRequest r;
  RequestError e;
  EXPECT_FALSE(ParseChatCompletionRequest(Parse("[1,2]"), &r, &e));
  EXPECT_NE(e.message.find("JSON object"), std::string::npos);
}

TEST(OpenAiRequestTest, InvalidUtf8IsRejected) {
  Json::Value body(Json::objectValue);
  body["model"] = "m";
  Json::Value m(Json::objectValue);
  m["role"] = "user";
  m["content"] = std::string("bad \xC3\x28 text");
  body["messages"].append(m);
  ChatCompletionRequest r;
  RequestError e;
  EXPECT_FALSE(ParseChatCompletionRequest(body, &r, &e));
  EXPECT_EQ(e.param, "messages[0].content");
}

TEST(OpenAiRequestTest, CompletionsPromptForms) {
  CompletionRequest one, many;
  RequestError e;
  ASSERT_TRUE(ParseCompletionRequest(Parse(R"({"model":"m","prompt":"hello"})"), &one, &e)) << e.message;
  EXPECT_EQ(one.prompts, std::vector<std::string>{"hello"});
  EXPECT_EQ(one.params.max_tokens, 16);
  ASSERT_TRUE(ParseCompletionRequest(Parse(R"({"model":"m","prompt":["a","b"],"logprobs":2})"), &many, &e)) << e.message;
  EXPECT_EQ(many.prompts.size(), 2u);
  EXPECT_TRUE(many.params.logprobs);
  EXPECT_EQ(many.params.sampling.top_logprobs, 2);
}

TEST(OpenAiRequestTest, CompletionsErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"model":"m"})", "prompt"},
      {R"({"model":"m","prompt":[]})", "prompt"},
      {R"({"model":"m","prompt":[1,2]})", "prompt"},
      {R"({"model":"m","prompt":"x","logprobs":6})", "logprobs"},
      {R"({"model":"m","prompt":"x","echo":true})", "echo"},
      {R"({"model":"m","prompt":"x","best_of":3})", "best_of"},
  };
  for (const auto& [body, param] : cases) {
    CompletionRequest r;
    RequestError e;
    EXPECT_FALSE(ParseCompletionRequest(Parse(body), &r, &e)) << body;
    EXPECT_EQ(e.param, param) << body << " -> " << e.message;
  }
}

}  // namespace
}  // namespace deepgate::api
