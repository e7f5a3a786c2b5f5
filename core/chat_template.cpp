// Chat template detection and rendering. Each renderer mirrors one published Jinja template;
// the comment above it names the template and the facts taken from it.
#include "core/chat_template.h"

#include <array>

namespace deepgate {
namespace {

// DeepSeek's special tokens use U+FF5C (full-width vertical line) and U+2581 (lower one
// eighth block), not ASCII '|' and '_'.
constexpr std::string_view kDsUser = "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";                  // <｜User｜>
constexpr std::string_view kDsAssistant = "<\xEF\xBD\x9C" "Assistant\xEF\xBD\x9C>";    // <｜Assistant｜>
constexpr std::string_view kDsEos =
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>";  // <｜end▁of▁sentence｜>

// Qwen2.5-Instruct writes this system turn when the conversation has none.
constexpr std::string_view kQwenDefaultSystem =
    "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

// Llama 3.1 Instruct's system header; the template's default date_string is "26 Jul 2024".
constexpr std::string_view kLlama31SystemPreamble =
    "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n";

struct NamedKind {
  const char* name;
  ChatTemplateKind kind;
};
constexpr std::array<NamedKind, 7> kNames = {{
    {"deepseek", ChatTemplateKind::kDeepSeek},
    {"deepseek2", ChatTemplateKind::kDeepSeek2},
    {"deepseek3", ChatTemplateKind::kDeepSeek3},
    {"deepseek-r1", ChatTemplateKind::kDeepSeekR1},
    {"chatml", ChatTemplateKind::kChatMl},
    {"llama3", ChatTemplateKind::kLlama3},
    {"llama2", ChatTemplateKind::kLlama2},
}};

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Jinja's trim / Python's str.strip() on ASCII whitespace.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}
std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Collects segments, merging neighbours of the same kind.
class PromptBuilder {
 public:
  void Template(std::string_view text) { Append(text, true); }
  void Content(std::string_view text) { Append(text, false); }
  std::vector<PromptSegment> Take() { return std::move(segments_); }

 private:
  void Append(std::string_view text, bool is_template) {
    if (text.empty()) return;
    if (!segments_.empty() && segments_.back().is_template_text == is_template) {
      segments_.back().text.append(text);
    } else {
      segments_.push_back(PromptSegment{std::string(text), is_template});
    }
  }
  std::vector<PromptSegment> segments_;
};

Status ValidateRoles(const std::vector<ChatMessage>& messages) {
  if (messages.empty()) return Status::InvalidArgument("chat has no messages");
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string& r = messages[i].role;
    if (r != "system" && r != "user" && r != "assistant") {
      return Status::InvalidArgument("message " + std::to_string(i) + ": unknown role '" + r +
                                     "' (expected system, user or assistant)");
    }
  }
  return Status::Ok();
}

// The system messages of a conversation joined by a blank line. The DeepSeek V3/R1
// templates hoist the system prompt to the top; the distill templates keep only the last
// one, the newer V3/R1 templates join them with "\n\n" — we join, so nothing is dropped.
std::string JoinedSystemPrompt(const std::vector<ChatMessage>& messages) {
  std::string joined;
  bool first = true;
  for (const ChatMessage& m : messages) {
    if (m.role != "system") continue;
    if (!first) joined += "\n\n";
    joined += m.content;
    first = false;
  }
  return joined;
}

bool HasSystem(const std::vector<ChatMessage>& messages) {
  for (const ChatMessage& m : messages) {
    if (m.role == "system") return true;
  }
  return false;
}

// deepseek-llm-7b/67b-chat and DeepSeek-V2-Chat: messages in order, system as-is + "\n\n",
// user "User: " c "\n\n", assistant "Assistant: " c eos; generation prompt "Assistant:".
void RenderDeepSeek(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                    std::string_view bos, PromptBuilder& out) {
  out.Template(bos);
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      out.Content(m.content);
      out.Template("\n\n");
    } else if (m.role == "user") {
      out.Template("User: ");
      out.Content(m.content);
      out.Template("\n\n");
    } else {
      out.Template("Assistant: ");
      out.Content(m.content);
      out.Template(kDsEos);
    }
  }
  if (add_generation_prompt) out.Template("Assistant:");
}

// The full-width-token family. V2.5-era: system prompt then "\n\n". V3: system prompt glued to
// the first "<｜User｜>". R1 (DeepSeek-R1 and R1-Distill-*): as V3, plus earlier assistant
// turns reduced to the text after their last "</think>" (content.split('</think>')[-1],
// nothing trimmed), and the generation prompt "<｜Assistant｜><think>\n".
void RenderDeepSeekRoleTokens(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                              bool add_generation_prompt, std::string_view bos,
                              PromptBuilder& out) {
  out.Template(bos);
  if (HasSystem(messages)) {
    out.Content(JoinedSystemPrompt(messages));
    if (kind == ChatTemplateKind::kDeepSeek2) out.Template("\n\n");
  }
  for (const ChatMessage& m : messages) {
    if (m.role == "user") {
      out.Template(kDsUser);
      out.Content(m.content);
    } else if (m.role == "assistant") {
      std::string_view content = m.content;
      if (kind == ChatTemplateKind::kDeepSeekR1) {
        size_t end = content.rfind("</think>");
        if (end != std::string_view::npos) content.remove_prefix(end + 8);
      }
      out.Template(kDsAssistant);
      out.Content(content);
      out.Template(kDsEos);
    }
  }
  if (add_generation_prompt) {
    out.Template(kDsAssistant);
    if (kind == ChatTemplateKind::kDeepSeekR1) out.Template("<think>\n");
  }
}

// Qwen2.5-Instruct (no tools): a system turn first — messages[0] if it is a system message,
// otherwise Qwen's default — then every other message as
// "<|im_start|>" role "\n" content "<|im_end|>\n"; generation prompt "<|im_start|>assistant\n".
// No BOS: Qwen's tokenizer has none.
void RenderChatMl(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                  PromptBuilder& out) {
  size_t first = 0;
  out.Template("<|im_start|>system\n");
  if (messages[0].role == "system") {
    out.Content(messages[0].content);
    first = 1;
  } else {
    out.Template(kQwenDefaultSystem);
  }
  out.Template("<|im_end|>\n");
  for (size_t i = first; i < messages.size(); ++i) {
    out.Template("<|im_start|>" + messages[i].role + "\n");
    out.Content(messages[i].content);
    out.Template("<|im_end|>\n");
  }
  if (add_generation_prompt) out.Template("<|im_start|>assistant\n");
}

// Llama 3.1 Instruct (no tools): BOS, then always a system turn holding the knowledge/date
// preamble and the trimmed messages[0] system content (if any), then each message as
// "<|start_header_id|>" role "<|end_header_id|>\n\n" trim(content) "<|eot_id|>".
void RenderLlama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt,
                  std::string_view bos, PromptBuilder& out) {
  out.Template(bos);
  out.Template("<|start_header_id|>system<|end_header_id|>\n\n");
  out.Template(kLlama31SystemPreamble);
  size_t first = 0;
  if (messages[0].role == "system") {
    out.Content(Trim(messages[0].content));
    first = 1;
  }
  out.Template("<|eot_id|>");
  for (size_t i = first; i < messages.size(); ++i) {
    out.Template("<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n");
    out.Content(Trim(messages[i].content));
    out.Template("<|eot_id|>");
  }
  if (add_generation_prompt) out.Template("<|start_header_id|>assistant<|end_header_id|>\n\n");
}

// Llama-2-chat: roles alternate user/assistant after an optional leading system message,
// which is folded into the first user turn as "<<SYS>>\n" s "\n<</SYS>>\n\n". User turns are
// bos "[INST] " strip(content) " [/INST]", assistant turns " " strip(content) " </s>".
// The template has no generation prompt: a conversation ending in a user turn already ends
// with " [/INST]". Every user turn starts with BOS; when the tokenizer adds the first one
// itself (bos == ""), later ones are written as "<s>".
Status RenderLlama2(const std::vector<ChatMessage>& messages, std::string_view bos,
                    PromptBuilder& out) {
  size_t first = 0;
  const std::string* system = nullptr;
  if (messages[0].role == "system") {
    system = &messages[0].content;
    first = 1;
  }
  for (size_t i = first; i < messages.size(); ++i) {
    const ChatMessage& m = messages[i];
    const bool expect_user = (i - first) % 2 == 0;
    if ((m.role == "user") != expect_user || m.role == "system") {
      return Status::InvalidArgument("llama2 chat: message " + std::to_string(i) + " has role '" +
                                     m.role +
                                     "'; roles must alternate user/assistant after an optional "
                                     "first system message");
    }
    if (m.role == "user") {
      out.Template(i == first || !bos.empty() ? bos : std::string_view("<s>"));
      out.Template("[INST] ");
      std::string_view user = TrimRight(m.content);
      if (i == first && system != nullptr) {
        // strip() applies to the combined text; only its trailing side can reach into the
        // template's "\n\n" (when the user text is blank).
        out.Template("<<SYS>>\n");
        out.Content(*system);
        out.Template(user.empty() ? "\n<</SYS>>" : "\n<</SYS>>\n\n");
        out.Content(user);
      } else {
        out.Content(Trim(user));
      }
      out.Template(" [/INST]");
    } else {
      out.Template(" ");
      out.Content(Trim(m.content));
      out.Template(" </s>");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ChatTemplateKind> DetectChatTemplate(std::string_view jinja) {
  auto by_name = ChatTemplateFromName(jinja);
  if (by_name.ok()) return by_name;

  if (Contains(jinja, "<|im_start|>")) return ChatTemplateKind::kChatMl;
  if (Contains(jinja, "<|start_header_id|>") && Contains(jinja, "<|end_header_id|>")) {
    return ChatTemplateKind::kLlama3;
  }
  if (Contains(jinja, kDsUser) && Contains(jinja, kDsAssistant)) {
    // R1 templates cut reasoning out of earlier turns and/or open "<think>" themselves.
    if (Contains(jinja, "</think>") || Contains(jinja, "<think>")) {
      return ChatTemplateKind::kDeepSeekR1;
    }
    // V2.5-era templates write the system message followed by a blank line; V3 writes the
    // hoisted ns.system_prompt bare.
    if (!Contains(jinja, "system_prompt") && Contains(jinja, "message['content'] + '\\n\\n'")) {
      return ChatTemplateKind::kDeepSeek2;
    }
    return ChatTemplateKind::kDeepSeek3;
  }
  if (Contains(jinja, "'Assistant: ' + message['content'] + eos_token") ||
      (Contains(jinja, "'User: ' + message['content']") && Contains(jinja, "'Assistant:'"))) {
    return ChatTemplateKind::kDeepSeek;
  }
  if (Contains(jinja, "[INST]")) return ChatTemplateKind::kLlama2;
  return Status::NotFound("chat template not recognised");
}

const char* ChatTemplateName(ChatTemplateKind kind) {
  for (const NamedKind& n : kNames) {
    if (n.kind == kind) return n.name;
  }
  return "unknown";
}

Result<ChatTemplateKind> ChatTemplateFromName(std::string_view name) {
  for (const NamedKind& n : kNames) {
    if (name == n.name) return n.kind;
  }
  return Status::NotFound("unknown chat template name '" + std::string(name.substr(0, 64)) + "'");
}

bool ChatTemplateOpensReasoning(ChatTemplateKind kind) {
  return kind == ChatTemplateKind::kDeepSeekR1;
}

Result<std::vector<PromptSegment>> RenderChatTemplate(ChatTemplateKind kind,
                                                      const std::vector<ChatMessage>& messages,
                                                      bool add_generation_prompt,
                                                      std::string_view bos_text) {
  DG_RETURN_IF_ERROR(ValidateRoles(messages));
  PromptBuilder out;
  switch (kind) {
    case ChatTemplateKind::kDeepSeek:
      RenderDeepSeek(messages, add_generation_prompt, bos_text, out);
      break;
    case ChatTemplateKind::kDeepSeek2:
    case ChatTemplateKind::kDeepSeek3:
    case ChatTemplateKind::kDeepSeekR1:
      RenderDeepSeekRoleTokens(kind, messages, add_generation_prompt, bos_text, out);
      break;
    case ChatTemplateKind::kChatMl:
      RenderChatMl(messages, add_generation_prompt, out);
      break;
    case ChatTemplateKind::kLlama3:
      RenderLlama3(messages, add_generation_prompt, bos_text, out);
      break;
    case ChatTemplateKind::kLlama2:
      DG_RETURN_IF_ERROR(RenderLlama2(messages, bos_text, out));
      break;
  }
  return out.Take();
}

Result<std::string> ApplyChatTemplate(ChatTemplateKind kind,
                                      const std::vector<ChatMessage>& messages,
                                      bool add_generation_prompt, std::string_view bos_text) {
  DG_ASSIGN_OR_RETURN(std::vector<PromptSegment> segments,
                      RenderChatTemplate(kind, messages, add_generation_prompt, bos_text));
  std::string text;
  for (const PromptSegment& s : segments) text += s.text;
  return text;
}

}  // namespace deepgate
