// The generation flow (fcgi/api/generation_flow.h) through the pipeline on a real model (the
// demo model of tiny_model.h) and a real engine: whole answers and SSE streams of both
// endpoints, n > 1, logprobs, usage, and the key's model allow-list.
#include <gtest/gtest.h>
#include <json/json.h>

#include <sstream>

#include "core/model/model.h"
#include "core/reasoning.h"
#include "fcgi/api/engine_routes.h"
#include "fcgi/server/model_service.h"
#include "fcgi/server/pipeline.h"
#include "fcgi_fakes.h"
#include "tiny_model.h"

namespace deepgate::fcgi {
namespace {

using testing::FakeSink;
using testing::FakeSource;

Json::Value ParseJson(const std::string& text) {
  Json::Value v;
  std::istringstream in(text);
  in >> v;
  return v;
}

// The "data: …" payloads of an SSE body, in order.
std::vector<std::string> Events(const std::string& body) {
  std::vector<std::string> out;
  for (size_t p = 0; (p = body.find("data: ", p)) != std::string::npos;) {
    const size_t end = body.find("\n\n", p);
    out.push_back(body.substr(p + 6, end - p - 6));
    p = end;
  }
  return out;
}

// A key limited to one model ("x-allowed" header names it; none: every model).
class AllowListAuthenticator final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request& r, Principal* p) override {
    p->subject = "k1";
    p->key_id = "k1";
    p->authenticated = true;
    if (!r.Header("x-allowed").empty()) p->allowed_models = {r.Header("x-allowed")};
    return std::nullopt;
  }
};

class RecordingAudit final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

class GenerationFlowTest : public ::testing::Test {
 protected:
  static WorkerConfig Config() {
    WorkerConfig c;
    c.model_path = deepgate::testing::DemoModelPath();  // has a chat template
    c.model_id = "tiny";
    c.ctx_size = 256;
    c.threads = 2;
    return c;
  }

  void SetUp() override {
    ASSERT_FALSE(config_.model_path.empty()) << "could not write the built-in demo model";
    models_ = std::make_unique<ModelService>(config_, [](const WorkerConfig& c) -> Result<LoadedModel> {
      ModelOptions options;
      options.n_threads = c.threads;
      DG_ASSIGN_OR_RETURN(std::unique_ptr<Model> m, Model::Load(c.model_path, options));
      return LoadedModel{std::shared_ptr<Model>(std::move(m)), std::nullopt};
    });
    models_->StartLoading(nullptr);
    models_->WaitLoaded();
    ASSERT_EQ(models_->state(), ModelState::kReady) << models_->load_error().ToString();
    AddEngineRoutes(router_, *models_, share_);
    PipelineStages stages;
    stages.authenticator = std::make_unique<AllowListAuthenticator>();
    auto audit = std::make_unique<RecordingAudit>();
    audit_ = audit.get();
    stages.audit = std::move(audit);
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
  }

  FakeSink Post(const std::string& path, const std::string& body, const std::string& allowed = "") {
    FakeSource src({{"REQUEST_METHOD", "POST"},
                    {"DOCUMENT_URI", path},
                    {"CONTENT_LENGTH", std::to_string(body.size())},
                    {"HTTP_X_ALLOWED", allowed}},
                   body);
    FakeSink sink;
    pipeline_->Serve(src, sink, config_, cancel_);
    return sink;
  }

  WorkerConfig config_ = Config();
  std::unique_ptr<ModelService> models_;
  policy::EngineShare share_;  // the worker's one share, as BuildServer injects it
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  RecordingAudit* audit_ = nullptr;
  std::atomic<bool> cancel_{false};
};

constexpr const char* kChat = R"("model": "tiny", "messages": [{"role": "user", "content": "Hello there"}])";

TEST_F(GenerationFlowTest, ChatWholeAnswerHasNChoicesWithLogprobsAndUsage) {
  FakeSink s = Post("/v1/chat/completions",
                    std::string("{") + kChat + R"(, "n": 2, "max_tokens": 5, "seed": 7, "logprobs": true})");
  ASSERT_EQ(s.data.rfind("Status: 200", 0), 0u) << s.data;
  const Json::Value v = ParseJson(s.Body());
  EXPECT_EQ(v["object"].asString(), "chat.completion");
  ASSERT_EQ(v["choices"].size(), 2u);
  int64_t tokens = 0;
  for (Json::ArrayIndex i = 0; i < 2; ++i) {
    const Json::Value& c = v["choices"][i];
    EXPECT_EQ(c["index"].asInt(), static_cast<int>(i));
    EXPECT_EQ(c["message"]["role"].asString(), "assistant");
    EXPECT_FALSE(c["finish_reason"].asString().empty());
    EXPECT_GE(c["logprobs"]["content"].size(), 1u);  // one entry per generated token
    tokens += c["logprobs"]["content"].size();
  }
  EXPECT_EQ(v["usage"]["completion_tokens"].asInt64(), tokens);
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].model, "tiny");
  EXPECT_EQ(audit_->records[0].completion_tokens, tokens);
  EXPECT_EQ(audit_->records[0].prompt_tokens, v["usage"]["prompt_tokens"].asInt64());
}

TEST_F(GenerationFlowTest, ChatStreamOpensWithRolesEndsEachChoiceAndMatchesTheWholeAnswer) {
  const std::string request = std::string("{") + kChat + R"(, "n": 2, "max_tokens": 6, "temperature": 0)";
  const Json::Value whole = ParseJson(Post("/v1/chat/completions", request + "}").Body());
  FakeSink s = Post("/v1/chat/completions", request + R"(, "stream": true, "stream_options": {"include_usage": true}})");
  ASSERT_EQ(s.data.rfind("Status: 200", 0), 0u) << s.data;
  const std::vector<std::string> events = Events(s.Body());
  ASSERT_GE(events.size(), 5u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text[2];
  int finishes[2] = {0, 0};
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    const Json::Value chunk = ParseJson(events[e]);
    EXPECT_EQ(chunk["object"].asString(), "chat.completion.chunk");
    if (e < 2) {
      EXPECT_EQ(chunk["choices"][0]["delta"]["role"].asString(), "assistant") << "role chunks first";
    }
    if (chunk["choices"].empty()) {  // the usage chunk, last before [DONE]
      EXPECT_EQ(e + 2, events.size());
      EXPECT_EQ(chunk["usage"]["completion_tokens"].asInt64(), whole["usage"]["completion_tokens"].asInt64());
      continue;
    }
    const Json::Value& c = chunk["choices"][0];
    const int i = c["index"].asInt();
    text[i] += c["delta"].get("content", "").asString();
    if (c["finish_reason"].isString()) ++finishes[i];
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(finishes[i], 1) << "choice " << i;
    EXPECT_EQ(text[i], whole["choices"][i]["message"]["content"].asString()) << "choice " << i;
  }
}

TEST_F(GenerationFlowTest, CompletionsIndexChoicesPromptTimesNAndStreamFinishesInTheLastChunk) {
  const std::string request = R"({"model": "tiny", "prompt": ["one", "two"], "n": 2, "max_tokens": 3, "temperature": 0)";
  const Json::Value whole = ParseJson(Post("/v1/completions", request + R"(, "logprobs": 1})").Body());
  ASSERT_EQ(whole["choices"].size(), 4u) << whole;
  for (Json::ArrayIndex i = 0; i < 4; ++i) {
    EXPECT_EQ(whole["choices"][i]["index"].asInt(), static_cast<int>(i));
    EXPECT_FALSE(whole["choices"][i]["logprobs"]["tokens"].empty());
  }
  EXPECT_EQ(whole["choices"][0]["text"], whole["choices"][1]["text"]) << "greedy: one prompt, one text";
  const std::vector<std::string> events = Events(Post("/v1/completions", request + R"(, "stream": true})").Body());
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text[4];
  int finishes = 0;
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    const Json::Value chunk = ParseJson(events[e]);
    const Json::Value& c = chunk["choices"][0];
    const int i = c["index"].asInt();
    ASSERT_TRUE(i >= 0 && i < 4) << events[e];
    text[i] += c["text"].asString();
    finishes += c["finish_reason"].isString();
  }
  EXPECT_EQ(finishes, 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(text[i], whole["choices"][i]["text"].asString());
}

TEST_F(GenerationFlowTest, AKeysModelAllowListIsCheckedOnceAndAudited) {
  FakeSink s = Post("/v1/chat/completions", std::string("{") + kChat + "}", "other-model");
  EXPECT_EQ(s.data.rfind("Status: 403", 0), 0u) << s.data;
  const Json::Value v = ParseJson(s.Body());
  EXPECT_EQ(v["error"]["code"].asString(), "model_not_allowed");
  EXPECT_EQ(v["error"]["param"].asString(), "model");
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].event, AuditEvent::kForbidden);
  EXPECT_EQ(audit_->records[0].reason, "model_not_allowed");
  EXPECT_EQ(Post("/v1/chat/completions", std::string("{") + kChat + R"(, "max_tokens": 1})", "tiny")
                .data.rfind("Status: 200", 0),
            0u);
}

TEST_F(GenerationFlowTest, BadBodiesAre400BeforeAnyModelWork) {
  EXPECT_EQ(Post("/v1/chat/completions", "{\"model\":").data.rfind("Status: 400", 0), 0u);
  EXPECT_EQ(Post("/v1/completions", R"({"model": "tiny"})").data.rfind("Status: 400", 0), 0u);
  EXPECT_EQ(Post("/v1/chat/completions", R"({"model": "nope", "messages": [{"role": "user", "content": "x"}]})")
                .data.rfind("Status: 404", 0),
            0u);
}

// The engine share is the one BuildServer injects, not a process-wide one: what a subject
// holds in it counts against that subject's next request, and a request's hold ends with it.
TEST_F(GenerationFlowTest, RequestsReserveInTheInjectedEngineShare) {
  config_.engine_reserved_sequences = config_.max_sequences - 1;  // each subject: one sequence
  policy::EngineShare::Ticket held;
  policy::ShareRefusal refusal;
  ASSERT_TRUE(share_.Reserve("k1", 1, 0, {0, 0, 1}, &held, &refusal));
  FakeSink s = Post("/v1/chat/completions", std::string("{") + kChat + R"(, "max_tokens": 1})");
  EXPECT_EQ(s.data.rfind("Status: 503", 0), 0u) << s.data;
  ASSERT_EQ(audit_->records.size(), 1u);
  EXPECT_EQ(audit_->records[0].reason, "engine_share");
  held.Release();
  s = Post("/v1/chat/completions", std::string("{") + kChat + R"(, "max_tokens": 1})");
  EXPECT_EQ(s.data.rfind("Status: 200", 0), 0u) << s.data;
  EXPECT_EQ(share_.sequences_held("k1"), 0);
}

// R1-style models: the flow splits the output at </think> into reasoning_content and content,
// whole and streamed alike. The demo model's R1 vocabulary has </think> as one token; logit
// biases leave it and two letters as the only candidates, so the seeded sample mixes them.
class ReasoningFlowTest : public GenerationFlowTest {
 protected:
  void SetUp() override {
    config_.model_path = deepgate::testing::DemoModelPath("llama");
    GenerationFlowTest::SetUp();
    const Tokenizer& t = models_->model()->tokenizer();
    std::optional<int32_t> close = t.FindToken("</think>"), a = t.FindToken("a"), b = t.FindToken("b");
    ASSERT_TRUE(close && a && b) << "the R1 demo vocabulary lacks </think>, a or b";
    request_ = std::string("{") + kChat + R"(, "max_tokens": 16, "temperature": 1.5, "seed": 3, "logprobs": true,)" +
               R"( "logit_bias": {")" + std::to_string(*close) + R"(": 99.5, ")" + std::to_string(*a) + R"(": 100, ")" +
               std::to_string(*b) + R"(": 100})";
  }
  std::string request_;
};

TEST_F(ReasoningFlowTest, WholeAnswerSplitsAtTheFirstCloseTag) {
  FakeSink s = Post("/v1/chat/completions", request_ + "}");
  ASSERT_EQ(s.data.rfind("Status: 200", 0), 0u) << s.data;
  const Json::Value v = ParseJson(s.Body());
  const Json::Value& message = v["choices"][0]["message"];
  std::string raw;  // what the model generated, token by token
  for (const Json::Value& t : v["choices"][0]["logprobs"]["content"]) raw += t["token"].asString();
  ASSERT_NE(raw.find("</think>"), std::string::npos) << raw;
  // The prompt opened the block, so the text before the first </think> is the reasoning.
  const ReasoningSplit want = SplitReasoning(raw, /*starts_in_reasoning=*/true);
  EXPECT_FALSE(want.reasoning.empty()) << raw;
  EXPECT_FALSE(want.content.empty()) << raw;
  EXPECT_EQ(message["reasoning_content"].asString(), want.reasoning) << raw;
  EXPECT_EQ(message["content"].asString(), want.content) << raw;
  EXPECT_EQ(message["reasoning_content"].asString() + "</think>", raw.substr(0, raw.find("</think>") + 8));
}

TEST_F(ReasoningFlowTest, StreamSendsReasoningDeltasThenContentMatchingTheWholeAnswer) {
  const Json::Value whole = ParseJson(Post("/v1/chat/completions", request_ + "}").Body());
  FakeSink s = Post("/v1/chat/completions", request_ + R"(, "stream": true})");
  ASSERT_EQ(s.data.rfind("Status: 200", 0), 0u) << s.data;
  const std::vector<std::string> events = Events(s.Body());
  ASSERT_GE(events.size(), 3u);
  std::string reasoning, content;
  bool content_seen = false;
  for (size_t e = 0; e + 1 < events.size(); ++e) {
    const Json::Value d = ParseJson(events[e])["choices"][0]["delta"];
    if (d.isMember("reasoning_content")) {
      EXPECT_FALSE(content_seen) << "reasoning after content: " << events[e];
      EXPECT_EQ(d["reasoning_content"].asString().find("think>"), std::string::npos) << "a tag leaked: " << events[e];
      reasoning += d["reasoning_content"].asString();
    }
    if (d.isMember("content")) content += d["content"].asString();
    content_seen = content_seen || !content.empty();
  }
  const Json::Value& message = whole["choices"][0]["message"];
  EXPECT_FALSE(reasoning.empty());
  EXPECT_FALSE(content.empty());
  EXPECT_EQ(reasoning, message["reasoning_content"].asString());
  EXPECT_EQ(content, message["content"].asString());
}

// The ChatML demo model's template opens no reasoning block: everything is content.
TEST_F(GenerationFlowTest, OtherTemplatesHaveNoReasoningContent) {
  const Json::Value v = ParseJson(Post("/v1/chat/completions", std::string("{") + kChat + R"(, "max_tokens": 4})").Body());
  EXPECT_FALSE(v["choices"][0]["message"].isMember("reasoning_content")) << v;
}

}  // namespace
}  // namespace deepgate::fcgi
