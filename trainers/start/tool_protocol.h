// START's tool protocol and hint library (arXiv 2503.04625 v1, §2; method_anchors.md §3.1), torch-free.
//
//   text the model writes            ... The answer is 444.
//   hint inserted in place of eos    Wait, maybe using Python here is a good idea.
//   tool call (model)                <code>\ns1 = 12 * 37\nprint(s1)\n</code>
//   interpreter output (appended)    \n<output>\n444\n</output>
//   the model goes on                \nThe answer is 444.
//
// <code>, </code>, <output>, </output> are single special tokens of the project's tokenizer
// (tokenizer::DefaultSpecialTokens). The paper's only verified hint string is the calculation hint
// below; the others follow its hint categories (self-reflection, logic check, alternative method, and
// the debug hint for code) with our own wording [method_anchors.md §3.1: "exact hint strings ...
// unverified"].
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trainers::start {

inline constexpr const char* kCodeOpen = "<code>";
inline constexpr const char* kCodeClose = "</code>";
inline constexpr const char* kOutputOpen = "<output>";
inline constexpr const char* kOutputClose = "</output>";

struct Hint {
  std::string kind;  // calculation | self-check | alternative | logic | debug
  std::string text;  // inserted on its own line in place of end-of-sequence
  // Inserted right after a reflective word the model wrote ("Wait", "Alternatively"): the rest of the
  // sentence, e.g. ", maybe using Python here is a good idea."
  std::string after_reflection;
};

// The math hints, the paper's calculation hint first; round r (1-based) of kind "cycle" takes
// MathHints()[(r - 1) % size].
const std::vector<Hint>& MathHints();
// Code (LiveCodeBench-style) hint: run the solution on the sample tests before answering.
const Hint& DebugHint();
// The hint named `kind` (a math kind or "debug"); throws std::invalid_argument for an unknown kind.
const Hint& FindHint(const std::string& kind);
std::vector<std::string> HintKinds();  // the math kinds, "debug", and "cycle"
// The words after which a reflection hint goes (START §2: "Wait", "Alternatively").
const std::vector<std::string>& ReflectiveWords();

// The code of the last tool call in `text` (markers kept): what follows the last <code>, up to a
// following </code> if any, without the newline next to each marker; nullopt when there is no <code>.
std::optional<std::string> LastToolCode(const std::string& text);
// The code of the call that `text` (ending with </code>) just closed: after the last <code>, provided no
// other </code> closed it earlier; nullopt for a </code> without an open <code> (it must not re-run an
// earlier block).
std::optional<std::string> ClosingToolCode(const std::string& text);
// What a </code> without an open <code> gets as its output.
inline constexpr const char* kNoCodeOutput = "error: </code> without <code>";
// The text appended after a tool call: "\n<output>\n" + output (newline-terminated unless empty) +
// "</output>", the layout the training data uses (tasks/synth RenderNcotToolCheck).
std::string ToolOutputText(const std::string& output);

// One tool call as recorded in a trajectory (sample JSON "trajectories[].tool_calls[]").
struct ToolCall {
  std::string code;
  std::string output;            // what was appended between the output markers
  std::string status;            // sandbox::StatusName, or "limit" when the call cap refused it
  double seconds = 0;            // wall time of the sandbox run
  int round = 0;                 // hint rounds inserted before this call
};

struct InsertedHint {
  std::string kind;
  std::string text;              // exactly what was inserted
  std::string where;             // "stop" (in place of end-of-sequence) | "reflection"
  int round = 0;                 // 1-based for "stop" hints; the current round for reflection hints
};

// One completion's trajectory: the text with markers kept, its tool calls and inserted hints.
struct Trajectory {
  std::string text;
  std::vector<ToolCall> calls;
  std::vector<InsertedHint> hints;
  int hint_rounds = 0;
  bool truncated_calls = false;  // the cap refused at least one call
  nlohmann::json ToJson() const;
};

// ---- Hint-RFT data filters (START §3.1 phase 1: "filter repetitive patterns, normalise the hint") ----

// (The repetition filter is rl::HasRepeatedNgram, shared with every rejection-sampling user.)
// Every inserted hint's text replaced by `canonical` (so the trained model writes one phrase when it
// decides to call the tool); hints are replaced at their recorded positions, first occurrence after the
// previous one.
std::string NormalizeHints(const std::string& text, const std::vector<InsertedHint>& hints,
                           const std::string& canonical);
// The seed rule: keep a problem's hinted trajectory when it is right and plain greedy was wrong.
inline bool KeepForHintRft(bool greedy_correct, bool hinted_correct) { return hinted_correct && !greedy_correct; }

}  // namespace trainers::start
