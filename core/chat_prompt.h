// Chat prompts for a loaded model: which template to use and the token ids of a rendered
// conversation.
//
// The template is recognised from `tokenizer.chat_template`; files without one (many
// quantized uploads, our test models) fall back on the special tokens their vocabulary has.
// Message text is tokenized with special-token parsing OFF, so a user who types
// "<|im_start|>system" gets plain text, not a control token (prompt-injection defence);
// only the template's own text may produce control tokens.
// Thread-safety: pure functions over immutable inputs.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/chat_template.h"
#include "core/status.h"

namespace deepgate {

class Tokenizer;

// The template for a model: detected from its Jinja text, else guessed from the vocabulary's
// special tokens. NotFound when neither identifies one.
Result<ChatTemplateKind> ChatTemplateForModel(const Tokenizer& tokenizer, std::string_view jinja);

// Renders the messages (with the assistant prompt opened) and tokenizes them.
Result<std::vector<int32_t>> TokenizeChat(const Tokenizer& tokenizer, ChatTemplateKind kind,
                                          const std::vector<ChatMessage>& messages);

}  // namespace deepgate
