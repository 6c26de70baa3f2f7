// START's Hint-infer (arXiv 2503.04625 v1 §2): decoding with the Python tool and inserted hints.
//
//   - Tool protocol: `</code>` (a special token) stops a sequence; the code after the last `<code>` runs in
//     the sandbox (a fork-server sandbox::Pool) off the engine's thread while the rest of the batch keeps decoding (the
//     engine's deferred hook replies); its output is appended between `<output>` markers and the
//     sequence continues on its cached prefix. At most `max_tool_calls` calls run per completion
//     (START: 6); later calls get the output "tool call limit reached" without running.
//   - Hints in place of end-of-sequence: the first `rounds` times a sequence ends, its EOS is replaced
//     by "\n<hint>\n" and decoding continues (sequential test-time scaling: R rounds). `rounds` = 0 is
//     plain decoding with the tool protocol (how START-0 and START are evaluated).
//   - Hints after reflective words ("Wait", "Alternatively"), when `reflection` is on: the sentence is
//     completed with the hint's continuation, at most `max_reflection_hints` times.
//   - Every completion's trajectory (text with markers kept, tool calls, inserted hints) is returned.
#pragma once

#include <string>
#include <vector>

#include "harness/util/config_fields.h"
#include "trainers/generation/engine.h"
#include "trainers/start/tool_protocol.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers::start {

struct HintInferOptions {
  int rounds = 1;                 // hints inserted in place of EOS (R)
  std::string hint = "cycle";     // a HintKinds() name; "cycle": round r takes MathHints()[r - 1]
  bool reflection = false;        // also hint after the model's own reflective words
  int max_reflection_hints = 1;
  int max_tool_calls = 6;         // START's cap per completion
  int max_output_chars = 256;     // tool output kept (ToRL cuts at 256 characters)
  double tool_cpu_seconds = 2.0;  // CPU limit per tool call
  int tool_workers = 2;           // sandbox fork servers running calls at once
  std::vector<std::string> tasks; // families a hint-infer method is evaluated on (empty = every task but code)
};
const util::Fields<HintInferOptions>& HintInferFields();

struct ToolGeneration {
  std::vector<GenerateResult> results;
  std::vector<std::vector<Trajectory>> trajectories;  // [request][sample]
  long long tool_calls = 0;
  double tool_seconds = 0;        // summed wall time of the sandbox runs
  double wait_seconds = 0;        // wall time the batch was blocked with every live sequence waiting on a tool
  double wall_seconds = 0;
};

// Generates `requests` (their EOS stop is added when missing) with the tool protocol and hints.
// Throws util::InputError when the tokenizer lacks the markers.
ToolGeneration GenerateWithTools(Engine& engine, const tokenizer::Tokenizer& tok,
                                 std::vector<GenerateRequest> requests, const HintInferOptions& options);

}  // namespace trainers::start
