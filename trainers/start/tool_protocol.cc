#include "trainers/start/tool_protocol.h"

#include <stdexcept>

namespace trainers::start {

const std::vector<Hint>& MathHints() {
  static const std::vector<Hint> hints = {
      // START v1 §2 (the one hint string the paper's text gives verbatim).
      {"calculation", "Wait, maybe using Python here is a good idea.", ", maybe using Python here is a good idea."},
      {"self-check", "Wait, let me check the calculation with Python.", ", let me check the calculation with Python."},
      {"alternative", "Alternatively, let me compute it step by step with Python.",
       ", let me compute it step by step with Python."},
      {"logic", "Wait, let me verify each step with Python.", ", let me verify each step with Python."},
  };
  return hints;
}

const Hint& DebugHint() {
  static const Hint hint{"debug", "Wait, let me run the solution on the sample tests before answering.",
                         ", let me run the solution on the sample tests before answering."};
  return hint;
}

const Hint& FindHint(const std::string& kind) {
  for (const auto& h : MathHints()) {
    if (h.kind == kind) return h;
  }
  if (kind == DebugHint().kind) return DebugHint();
  throw std::invalid_argument("unknown hint kind '" + kind + "'");
}

std::vector<std::string> HintKinds() {
  std::vector<std::string> kinds;
  for (const auto& h : MathHints()) kinds.push_back(h.kind);
  kinds.push_back(DebugHint().kind);
  kinds.push_back("cycle");
  return kinds;
}

const std::vector<std::string>& ReflectiveWords() {
  static const std::vector<std::string> words = {"Wait", "Alternatively"};
  return words;
}

std::optional<std::string> LastToolCode(const std::string& text) {
  const size_t open = text.rfind(kCodeOpen);
  if (open == std::string::npos) return std::nullopt;
  size_t begin = open + std::string(kCodeOpen).size();
  size_t end = text.find(kCodeClose, begin);
  if (end == std::string::npos) end = text.size();
  if (begin < end && text[begin] == '\n') ++begin;
  if (end > begin && text[end - 1] == '\n') --end;
  return text.substr(begin, end - begin);
}

std::optional<std::string> ClosingToolCode(const std::string& text) {
  const std::string close = kCodeClose;
  if (text.size() < close.size() || text.compare(text.size() - close.size(), close.size(), close) != 0) {
    return std::nullopt;
  }
  const std::string body = text.substr(0, text.size() - close.size());
  const size_t open = body.rfind(kCodeOpen);
  if (open == std::string::npos || body.find(close, open) != std::string::npos) return std::nullopt;
  return LastToolCode(body);
}

std::string ToolOutputText(const std::string& output) {
  std::string body = output;
  if (!body.empty() && body.back() != '\n') body += '\n';
  return std::string("\n") + kOutputOpen + "\n" + body + kOutputClose;
}

nlohmann::json Trajectory::ToJson() const {
  nlohmann::json calls_json = nlohmann::json::array();
  for (const auto& c : calls) {
    calls_json.push_back({{"code", c.code}, {"output", c.output}, {"status", c.status},
                          {"seconds", c.seconds}, {"round", c.round}});
  }
  nlohmann::json hints_json = nlohmann::json::array();
  for (const auto& h : hints) {
    hints_json.push_back({{"kind", h.kind}, {"text", h.text}, {"where", h.where}, {"round", h.round}});
  }
  return {{"text", text}, {"tool_calls", calls_json}, {"hints", hints_json}, {"hint_rounds", hint_rounds},
          {"truncated_calls", truncated_calls}};
}

std::string NormalizeHints(const std::string& text, const std::vector<InsertedHint>& hints,
                           const std::string& canonical) {
  std::string out;
  size_t from = 0;
  for (const auto& h : hints) {
    if (h.text.empty()) continue;
    const size_t at = text.find(h.text, from);
    if (at == std::string::npos) continue;
    out += text.substr(from, at - from);
    // A reflection hint continues the model's own word: keep that shape, normalise only stop hints.
    out += h.where == "stop" ? canonical : h.text;
    from = at + h.text.size();
  }
  out += text.substr(from);
  return out;
}

}  // namespace trainers::start
