// Chat templates: recognise a model's prompt format from its GGUF `tokenizer.chat_template`
// Jinja text, and render OpenAI-style messages into that format ourselves.
//
// This is deliberately not a Jinja engine: a handful of formats cover the DeepSeek family
// (and the llama / qwen2 models it is distilled into), each written out by hand from the
// published template it mirrors. Detection looks for markers only one format writes.
//
// The renderer returns segments: text the template itself writes (role markers, BOS/EOS,
// default system prompt) and text that came from a message. The caller should tokenize
// message text with special-token parsing off, so a user who types "<|im_end|>" cannot forge
// a turn; ApplyChatTemplate() joins the segments for callers that only need the string.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace deepgate {

enum class ChatTemplateKind {
  // DeepSeek LLM 7B/67B chat and DeepSeek-V2(-Lite)-Chat:
  //   BOS [system "\n\n"] "User: " u "\n\n" "Assistant: " a EOS ... "Assistant:"
  kDeepSeek,
  // DeepSeek-V2-Chat-0628 / V2.5 era: full-width role tokens, system followed by "\n\n":
  //   BOS [system "\n\n"] "<｜User｜>" u "<｜Assistant｜>" a EOS ... "<｜Assistant｜>"
  kDeepSeek2,
  // DeepSeek-V3: BOS system "<｜User｜>" u "<｜Assistant｜>" a EOS ... "<｜Assistant｜>"
  kDeepSeek3,
  // DeepSeek-R1 and the R1-Distill models (Qwen and Llama): like kDeepSeek3, but earlier
  // assistant turns keep only the text after their last "</think>", and the generation
  // prompt opens the reasoning block: "<｜Assistant｜><think>\n".
  kDeepSeekR1,
  // ChatML as Qwen2.5-Instruct writes it, with Qwen2.5's default system prompt.
  kChatMl,
  // Llama 3.1 Instruct: system header with the knowledge/date lines, trimmed contents.
  kLlama3,
  // Llama 2 chat: "[INST] <<SYS>>...<</SYS>>\n\n u [/INST] a </s><s>[INST] ..."
  kLlama2,
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// One piece of a rendered prompt.
struct PromptSegment {
  std::string text;
  // true: written by the template (role markers, BOS/EOS, default system prompt), to be
  // tokenized with special tokens recognised. false: message content, to be tokenized as
  // plain text.
  bool is_template_text = true;
};

// Recognises the format of a Jinja chat template (or accepts one of our own names, as
// llama.cpp does). Unknown formats: NotFound.
Result<ChatTemplateKind> DetectChatTemplate(std::string_view jinja);

// Our short names: "deepseek", "deepseek2", "deepseek3", "deepseek-r1", "chatml", "llama3",
// "llama2".
const char* ChatTemplateName(ChatTemplateKind kind);
Result<ChatTemplateKind> ChatTemplateFromName(std::string_view name);

// True when the generation prompt of `kind` leaves the model inside a reasoning block
// (R1: "<think>\n"), so its output must be read with starts_in_reasoning = true.
bool ChatTemplateOpensReasoning(ChatTemplateKind kind);

// Renders the prompt. `bos_text` is the BOS token text where the template writes BOS
// (pass "" when the tokenizer adds BOS itself). Messages are validated: at least one, roles
// system/user/assistant only, and the order the format can express (Llama 2 needs
// user/assistant alternation after an optional leading system message). InvalidArgument
// otherwise.
Result<std::vector<PromptSegment>> RenderChatTemplate(ChatTemplateKind kind,
                                                      const std::vector<ChatMessage>& messages,
                                                      bool add_generation_prompt,
                                                      std::string_view bos_text);

// RenderChatTemplate joined into one string.
Result<std::string> ApplyChatTemplate(ChatTemplateKind kind,
                                      const std::vector<ChatMessage>& messages,
                                      bool add_generation_prompt, std::string_view bos_text);

}  // namespace deepgate
