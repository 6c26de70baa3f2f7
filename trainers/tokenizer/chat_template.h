// Chat templates (tokenizer_config.json's / GGUF's `chat_template`, Jinja text) for the formats we
// reproduce exactly, recognised from the template text rather than run through a Jinja engine:
//
//   ChatML   "<|im_start|>{role}\n{content}<|im_end|>\n" per message, "<|im_start|>assistant\n" as the
//            generation prompt. Templates that insert a default system message when the conversation
//            has none (SmolLM2, Qwen2.5) keep doing so: the default is read from the template's string
//            literal '<|im_start|>system\n...<|im_end|>\n'.
//
// Any other template is an InputError naming it when a chat prompt is asked for, never a guess.
#pragma once

#include <string>
#include <string_view>

namespace tokenizer {

struct ChatFormat {
  enum class Kind { kNone, kChatMl };
  Kind kind = Kind::kNone;
  bool has_default_system = false;
  std::string default_system;  // used when has_default_system and no system message is given
};

// Recognises `jinja` (empty: no template). Never throws: an unrecognised template is kind kNone with
// the text kept by the caller for the error message.
ChatFormat RecogniseChatTemplate(std::string_view jinja);

// The prompt for one user turn, ready for the model to answer (add_generation_prompt=true), exactly as
// transformers' apply_chat_template renders it. Throws util::InputError (field "chat_template") when
// `format` is kNone; `source` names where the template came from.
std::string RenderChat(const ChatFormat& format, std::string_view user, const std::string& source);

}  // namespace tokenizer
