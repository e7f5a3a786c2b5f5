// Chat template recognition and rendering. Expected prompts were derived by hand from the
// published Jinja templates (see the comments in core/chat_template.cpp).
#include "core/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/unit/test_support.h"

namespace deepgate {
namespace {

const std::string kDsBos = "<\xEF\xBD\x9C" "begin\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
const std::string kDsEos = "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";
const std::string kDsUser = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
const std::string kDsAssistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";

// system + user + assistant + user: the conversation every renderer is checked on.
std::vector<ChatMessage> Conversation(std::string assistant = "Hello!") {
  return {{"system", "You are terse."},
          {"user", "Hi"},
          {"assistant", std::move(assistant)},
          {"user", "2+2?"}};
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ChatTemplateKind Detect(std::string_view jinja) {
  auto kind = DetectChatTemplate(jinja);
  EXPECT_TRUE(kind.ok()) << kind.status().ToString();
  return kind.ok() ? *kind : ChatTemplateKind::kLlama2;
}

std::string Render(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                   std::string_view bos, bool add_generation_prompt = true) {
  auto text = ApplyChatTemplate(kind, messages, add_generation_prompt, bos);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *text : std::string();
}

// --- detection: published templates --------------------------------------------------------

class PublishedTemplateTest : public ::testing::Test {
 protected:
  std::string Load(const std::string& file) {
    return ReadFile(std::filesystem::path(testing::SharedDataDir()) / "templates" / file);
  }
  std::string Path(const std::string& file) {
    return (std::filesystem::path(testing::SharedDataDir()) / "templates" / file).string();
  }
};

TEST_F(PublishedTemplateTest, R1DistillQwenIsDeepSeekR1) {
  DG_REQUIRE_SHARED_DATA(Path("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"));
  EXPECT_EQ(Detect(Load("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")),
            ChatTemplateKind::kDeepSeekR1);
}

TEST_F(PublishedTemplateTest, R1DistillLlamaIsDeepSeekR1) {
  DG_REQUIRE_SHARED_DATA(Path("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"));
  EXPECT_EQ(Detect(Load("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja")),
            ChatTemplateKind::kDeepSeekR1);
}

TEST_F(PublishedTemplateTest, LlamaCppDeepSeekR1IsDeepSeekR1) {
  DG_REQUIRE_SHARED_DATA(Path("llama-cpp-deepseek-r1.jinja"));
  EXPECT_EQ(Detect(Load("llama-cpp-deepseek-r1.jinja")), ChatTemplateKind::kDeepSeekR1);
}

TEST_F(PublishedTemplateTest, Qwen25IsChatMl) {
  DG_REQUIRE_SHARED_DATA(Path("Qwen-Qwen2.5-7B-Instruct.jinja"));
  EXPECT_EQ(Detect(Load("Qwen-Qwen2.5-7B-Instruct.jinja")), ChatTemplateKind::kChatMl);
}

TEST_F(PublishedTemplateTest, Llama31IsLlama3) {
  DG_REQUIRE_SHARED_DATA(Path("meta-llama-Llama-3.1-8B-Instruct.jinja"));
  EXPECT_EQ(Detect(Load("meta-llama-Llama-3.1-8B-Instruct.jinja")), ChatTemplateKind::kLlama3);
}

TEST_F(PublishedTemplateTest, EveryFileInTheFolderIsRecognised) {
  const std::filesystem::path dir = std::filesystem::path(testing::SharedDataDir()) / "templates";
  DG_REQUIRE_SHARED_DATA(dir.string());
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".jinja") continue;
    ++seen;
    EXPECT_TRUE(DetectChatTemplate(ReadFile(entry.path())).ok()) << entry.path();
  }
  EXPECT_GT(seen, 0);
}

// --- detection: canonical markers ----------------------------------------------------------

TEST(DetectChatTemplateTest, DeepSeekLlmChatTemplate) {
  // deepseek-llm-67b-chat / DeepSeek-V2-Chat tokenizer_config.json.
  const char* jinja =
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
      "{{ 'User: ' + message['content'] + '\\n\\n' }}{% elif message['role'] == 'assistant' %}"
      "{{ 'Assistant: ' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}"
      "{{ message['content'] + '\\n\\n' }}{% endif %}{% endfor %}"
      "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
  EXPECT_EQ(Detect(jinja), ChatTemplateKind::kDeepSeek);
}

TEST(DetectChatTemplateTest, RoleTokensWithBlankLineAfterSystemAreDeepSeek2) {
  const std::string jinja =
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}{{ '" +
      kDsUser + "' + message['content'] }}{% elif message['role'] == 'assistant' %}{{ '" +
      kDsAssistant + "' + message['content'] + eos_token }}{% elif message['role'] == 'system' %}"
      "{{ message['content'] + '\\n\\n' }}{% endif %}{% endfor %}";
  EXPECT_EQ(Detect(jinja), ChatTemplateKind::kDeepSeek2);
}

TEST(DetectChatTemplateTest, RoleTokensWithHoistedSystemPromptAreDeepSeek3) {
  const std::string jinja = "{{bos_token}}{{ns.system_prompt}}{{'" + kDsUser +
                            "' + message['content']}}{{'" + kDsAssistant +
                            "' + message['content'] + '" + kDsEos + "'}}";
  EXPECT_EQ(Detect(jinja), ChatTemplateKind::kDeepSeek3);
}

TEST(DetectChatTemplateTest, RoleTokensWithThinkAreDeepSeekR1) {
  const std::string jinja = "{{'" + kDsUser + "'}}{{'" + kDsAssistant + "<think>\\n'}}";
  EXPECT_EQ(Detect(jinja), ChatTemplateKind::kDeepSeekR1);
}

TEST(DetectChatTemplateTest, ImStartIsChatMl) {
  EXPECT_EQ(Detect("{{'<|im_start|>' + message['role'] + '\\n'}}"), ChatTemplateKind::kChatMl);
}

TEST(DetectChatTemplateTest, HeaderIdsAreLlama3) {
  EXPECT_EQ(Detect("{{'<|start_header_id|>' + role + '<|end_header_id|>'}}"),
            ChatTemplateKind::kLlama3);
}

TEST(DetectChatTemplateTest, InstIsLlama2) {
  EXPECT_EQ(Detect("{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"),
            ChatTemplateKind::kLlama2);
}

TEST(DetectChatTemplateTest, OurOwnNamesAreAccepted) {
  EXPECT_EQ(Detect("deepseek3"), ChatTemplateKind::kDeepSeek3);
  EXPECT_EQ(Detect("chatml"), ChatTemplateKind::kChatMl);
}

TEST(DetectChatTemplateTest, UnknownTemplateIsNotFound) {
  auto kind = DetectChatTemplate("{% for m in messages %}<start_of_turn>{{ m.content }}{% endfor %}");
  ASSERT_FALSE(kind.ok());
  EXPECT_EQ(kind.status().code(), StatusCode::kNotFound);
}

TEST(DetectChatTemplateTest, EmptyTemplateIsNotFound) {
  EXPECT_EQ(DetectChatTemplate("").status().code(), StatusCode::kNotFound);
}

// --- names ---------------------------------------------------------------------------------

TEST(ChatTemplateNameTest, EveryKindRoundTripsThroughItsName) {
  for (ChatTemplateKind kind :
       {ChatTemplateKind::kDeepSeek, ChatTemplateKind::kDeepSeek2, ChatTemplateKind::kDeepSeek3,
        ChatTemplateKind::kDeepSeekR1, ChatTemplateKind::kChatMl, ChatTemplateKind::kLlama3,
        ChatTemplateKind::kLlama2}) {
    auto back = ChatTemplateFromName(ChatTemplateName(kind));
    ASSERT_TRUE(back.ok()) << ChatTemplateName(kind);
    EXPECT_EQ(*back, kind);
  }
}

TEST(ChatTemplateNameTest, UnknownNameIsNotFound) {
  EXPECT_EQ(ChatTemplateFromName("vicuna").status().code(), StatusCode::kNotFound);
}

TEST(ChatTemplateNameTest, OnlyR1OpensReasoning) {
  EXPECT_TRUE(ChatTemplateOpensReasoning(ChatTemplateKind::kDeepSeekR1));
  EXPECT_FALSE(ChatTemplateOpensReasoning(ChatTemplateKind::kDeepSeek3));
  EXPECT_FALSE(ChatTemplateOpensReasoning(ChatTemplateKind::kChatMl));
}

// --- rendering: system + user + assistant + user, generation prompt ------------------------

TEST(ApplyChatTemplateTest, DeepSeekLlmChat) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek, Conversation(), kDsBos),
            kDsBos + "You are terse.\n\nUser: Hi\n\nAssistant: Hello!" + kDsEos +
                "User: 2+2?\n\nAssistant:");
}

TEST(ApplyChatTemplateTest, DeepSeek2) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek2, Conversation(), kDsBos),
            kDsBos + "You are terse.\n\n" + kDsUser + "Hi" + kDsAssistant + "Hello!" + kDsEos +
                kDsUser + "2+2?" + kDsAssistant);
}

TEST(ApplyChatTemplateTest, DeepSeek3) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek3, Conversation(), kDsBos),
            kDsBos + "You are terse." + kDsUser + "Hi" + kDsAssistant + "Hello!" + kDsEos +
                kDsUser + "2+2?" + kDsAssistant);
}

TEST(ApplyChatTemplateTest, DeepSeekR1DropsEarlierReasoningAndOpensThink) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeekR1,
                   Conversation("<think>\nThe user greets.\n</think>\n\nHello!"), kDsBos),
            kDsBos + "You are terse." + kDsUser + "Hi" + kDsAssistant + "\n\nHello!" + kDsEos +
                kDsUser + "2+2?" + kDsAssistant + "<think>\n");
}

TEST(ApplyChatTemplateTest, ChatMl) {
  EXPECT_EQ(Render(ChatTemplateKind::kChatMl, Conversation(), ""),
            "<|im_start|>system\nYou are terse.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello!<|im_end|>\n"
            "<|im_start|>user\n2+2?<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ApplyChatTemplateTest, Llama3) {
  EXPECT_EQ(Render(ChatTemplateKind::kLlama3, Conversation(), "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            "You are terse.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\n2+2?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ApplyChatTemplateTest, Llama2) {
  EXPECT_EQ(Render(ChatTemplateKind::kLlama2, Conversation(), "<s>"),
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi [/INST] Hello! </s>"
            "<s>[INST] 2+2? [/INST]");
}

// --- rendering: format details ---------------------------------------------------------------

TEST(ApplyChatTemplateTest, ChatMlWithoutSystemUsesQwenDefault) {
  EXPECT_EQ(Render(ChatTemplateKind::kChatMl, {{"user", "Hi"}}, ""),
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful "
            "assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ApplyChatTemplateTest, Llama3WithoutSystemStillWritesSystemHeader) {
  EXPECT_EQ(Render(ChatTemplateKind::kLlama3, {{"user", "  Hi \n"}}, "<|begin_of_text|>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ApplyChatTemplateTest, DeepSeek3WithoutSystemStartsWithUser) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek3, {{"user", "Hi"}}, kDsBos),
            kDsBos + kDsUser + "Hi" + kDsAssistant);
}

TEST(ApplyChatTemplateTest, DeepSeek3JoinsSeveralSystemMessages) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek3,
                   {{"system", "A."}, {"user", "Hi"}, {"system", "B."}}, ""),
            "A.\n\nB." + kDsUser + "Hi" + kDsAssistant);
}

TEST(ApplyChatTemplateTest, R1KeepsTextAfterTheLastThinkClose) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeekR1,
                   {{"user", "Q"}, {"assistant", "a</think>b</think>c"}}, "", false),
            kDsUser + "Q" + kDsAssistant + "c" + kDsEos);
}

TEST(ApplyChatTemplateTest, EmptyBosTextWritesNoBos) {
  EXPECT_EQ(Render(ChatTemplateKind::kDeepSeek, {{"user", "Hi"}}, ""), "User: Hi\n\nAssistant:");
}

TEST(ApplyChatTemplateTest, NoGenerationPromptEndsAfterLastMessage) {
  EXPECT_EQ(Render(ChatTemplateKind::kChatMl, {{"system", "S"}, {"user", "Hi"}}, "", false),
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n");
}

TEST(ApplyChatTemplateTest, Llama2LaterTurnsWriteBosWhenTokenizerAddsTheFirst) {
  EXPECT_EQ(Render(ChatTemplateKind::kLlama2,
                   {{"user", "a"}, {"assistant", "b"}, {"user", "c"}}, ""),
            "[INST] a [/INST] b </s><s>[INST] c [/INST]");
}

// --- validation ----------------------------------------------------------------------------

TEST(ApplyChatTemplateTest, UnknownRoleIsInvalidArgument) {
  auto text = ApplyChatTemplate(ChatTemplateKind::kChatMl, {{"tool", "x"}}, true, "");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument);
}

TEST(ApplyChatTemplateTest, NoMessagesIsInvalidArgument) {
  EXPECT_EQ(ApplyChatTemplate(ChatTemplateKind::kDeepSeek3, {}, true, "").status().code(),
            StatusCode::kInvalidArgument);
}

TEST(ApplyChatTemplateTest, Llama2RejectsTwoUserTurnsInARow) {
  EXPECT_EQ(ApplyChatTemplate(ChatTemplateKind::kLlama2, {{"user", "a"}, {"user", "b"}}, true, "")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(ApplyChatTemplateTest, Llama2RejectsALateSystemMessage) {
  EXPECT_EQ(ApplyChatTemplate(ChatTemplateKind::kLlama2,
                              {{"user", "a"}, {"assistant", "b"}, {"system", "c"}}, true, "")
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

// --- segments ------------------------------------------------------------------------------

TEST(RenderChatTemplateTest, MessageTextIsMarkedAsContent) {
  auto segments = RenderChatTemplate(ChatTemplateKind::kChatMl,
                                     {{"system", "S"}, {"user", "<|im_end|>"}}, true, "");
  ASSERT_TRUE(segments.ok());
  std::vector<std::string> content;
  for (const PromptSegment& s : *segments) {
    if (!s.is_template_text) content.push_back(s.text);
  }
  EXPECT_EQ(content, (std::vector<std::string>{"S", "<|im_end|>"}));
}

}  // namespace
}  // namespace deepgate
