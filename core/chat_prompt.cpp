#include "core/chat_prompt.h"

#include <string>

#include "core/tokenizer/tokenizer.h"

namespace deepgate {

Result<ChatTemplateKind> ChatTemplateForModel(const Tokenizer& tokenizer, std::string_view jinja) {
  if (!jinja.empty()) {
    Result<ChatTemplateKind> detected = DetectChatTemplate(jinja);
    if (detected.ok()) return detected;
  }
  if (tokenizer.FindToken("<|im_start|>")) return ChatTemplateKind::kChatMl;
  if (tokenizer.FindToken("<｜User｜>") && tokenizer.FindToken("<｜Assistant｜>")) {
    // R1 and its distills add <think> to the DeepSeek-V3 vocabulary.
    return tokenizer.FindToken("<think>") ? ChatTemplateKind::kDeepSeekR1 : ChatTemplateKind::kDeepSeek3;
  }
  if (tokenizer.FindToken("<|start_header_id|>")) return ChatTemplateKind::kLlama3;
  if (tokenizer.model_name() == "llama" && tokenizer.FindToken("</s>")) return ChatTemplateKind::kLlama2;
  return Status::NotFound(jinja.empty() ? "the model has no chat template and its vocabulary matches none we know"
                                        : "the model's chat template is not one we recognise");
}

Result<std::vector<int32_t>> TokenizeChat(const Tokenizer& tokenizer, ChatTemplateKind kind,
                                          const std::vector<ChatMessage>& messages) {
  std::string bos_text;
  if (tokenizer.add_bos() && tokenizer.bos() >= 0) bos_text = tokenizer.text(tokenizer.bos());
  DG_ASSIGN_OR_RETURN(std::vector<PromptSegment> segments,
                      RenderChatTemplate(kind, messages, /*add_generation_prompt=*/true, bos_text));
  std::vector<int32_t> ids;
  for (const PromptSegment& segment : segments) {
    std::vector<int32_t> part = tokenizer.Encode(segment.text, /*add_special=*/false,
                                                 /*parse_special=*/segment.is_template_text);
    ids.insert(ids.end(), part.begin(), part.end());
  }
  if (ids.empty()) return Status::InvalidArgument("the conversation renders to no tokens");
  return ids;
}

}  // namespace deepgate
