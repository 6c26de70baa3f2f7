#include "trainers/tokenizer/chat_template.h"

#include "harness/util/error.h"

namespace tokenizer {
namespace {

// The text between "<|im_start|>system" + newline and "<|im_end|>" inside one quoted Jinja string
// literal ('...' without a quote in between); newlines may be written raw or as the escape "\n".
bool FindDefaultSystem(std::string_view jinja, std::string* out) {
  static constexpr std::string_view kOpen = "'<|im_start|>system";
  for (size_t at = jinja.find(kOpen); at != std::string_view::npos; at = jinja.find(kOpen, at + 1)) {
    size_t body = at + kOpen.size();
    if (jinja.compare(body, 1, "\n") == 0) {
      body += 1;
    } else if (jinja.compare(body, 2, "\\n") == 0) {
      body += 2;
    } else {
      continue;
    }
    const size_t end = jinja.find("<|im_end|>", body);
    if (end == std::string_view::npos) continue;
    const std::string_view literal = jinja.substr(body, end - body);
    if (literal.find('\'') != std::string_view::npos || literal.find("{{") != std::string_view::npos) continue;
    out->clear();
    for (size_t i = 0; i < literal.size(); ++i) {
      if (literal[i] == '\\' && i + 1 < literal.size() && literal[i + 1] == 'n') {
        *out += '\n';
        ++i;
      } else {
        *out += literal[i];
      }
    }
    return true;
  }
  return false;
}

}  // namespace

ChatFormat RecogniseChatTemplate(std::string_view jinja) {
  ChatFormat format;
  if (jinja.find("<|im_start|>") == std::string_view::npos || jinja.find("<|im_end|>") == std::string_view::npos) {
    return format;
  }
  format.kind = ChatFormat::Kind::kChatMl;
  format.has_default_system = FindDefaultSystem(jinja, &format.default_system);
  return format;
}

std::string RenderChat(const ChatFormat& format, std::string_view user, const std::string& source) {
  if (format.kind == ChatFormat::Kind::kNone) {
    throw util::InputError(util::Location{source, 0, "chat_template"},
                           "no chat template this harness reproduces (supported: ChatML); run without --chat");
  }
  std::string out;
  if (format.has_default_system) out += "<|im_start|>system\n" + format.default_system + "<|im_end|>\n";
  out += "<|im_start|>user\n";
  out += user;
  out += "<|im_end|>\n<|im_start|>assistant\n";
  return out;
}

}  // namespace tokenizer
