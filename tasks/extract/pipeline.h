// Internals of extraction: pipelines of named steps, the shared finders they are built from, and the
// anchor-reproducing steps. Not part of the public API (see extract.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "tasks/answer.h"
#include "tasks/record.h"

namespace tasks::extract::internal {

// Completions may hold any bytes; Latin-1 patterns match byte by byte, so invalid UTF-8 is just text.
// UTF-8 literals in a pattern still match their own byte sequence.
RE2::Options Latin1();
// A Latin-1 pattern compiled once (callers keep it in a function-local static). A pattern that does
// not compile is a programming error: std::logic_error on first use, which every preset test reaches.
const RE2& Compile(const std::string& pattern);
// This thread's own copy of a pattern (same pattern and options). RE2 objects are thread-safe, but
// every search takes a reader lock on the object's DFA cache, and threads sharing one object bounce
// that lock's cache line between cores (7% of `harness score`'s profile with 2 threads). Searches of
// whole completions go through it.
const RE2& ThisThread(const RE2& shared);

// What extraction sees: the completion and the record it answers.
struct Context {
  std::string_view text;
  const Record* record = nullptr;
  int num_letters = 0;  // option letters allowed: A .. A+num_letters-1
};

// One answer a step found: where (byte offset, for "last one wins"), the matched text, the
// normalised value.
struct Found {
  size_t pos = 0;
  std::string raw;
  std::string value;
  std::string rule;  // overrides the step's name when one step has several named branches
};

// A named step appends every valid answer it finds, in any order. A step with a `gate` finds nothing
// in a text where that pattern has no match (a marker step: no marker, no span); RunPipeline skips
// it where RE2's prefilter shows the gate cannot match. Gates come from Compile() (never freed).
struct Step {
  std::string name;
  std::function<void(const Context&, std::vector<Found>&)> run;
  const RE2* gate = nullptr;
};

// A stage pools the answers of its steps and the one found last in the text wins; stages run in
// order and the first stage with any answer decides. A preset is a list of stages.
using Stage = std::vector<Step>;
using Pipeline = std::vector<Stage>;

ExtractedAnswer RunPipeline(const Pipeline& pipeline, const Context& context);
// Whether RunPipeline skips steps by their gates on this thread (default on). Off is for the test
// that checks gating never changes an answer.
void SetGatesEnabled(bool enabled);

// Names of the comparisons IsEquivalent applies (ExtractedAnswer::equivalence; part of the samples
// schema). Each preset names one; only a benchmark's own rule brings a tolerance.
namespace equivalence {
inline constexpr char kExact[] = "exact";                    // the project presets: exact values by kind
inline constexpr char kLmEvalExactMatch[] = "lm-eval-exact-match";  // gsm8k regexes_to_ignore, ignore_case
inline constexpr char kLmEvalChoice[] = "lm-eval-exact-match-ignore-punctuation";  // GPQA, against "(X)"
inline constexpr char kSimpleEvals[] = "simple-evals-letter";  // case-sensitive letter equality
inline constexpr char kQwen[] = "qwen-math-equal-rel-1e-4";  // Qwen2.5-Math math_equal without sympy
inline constexpr char kReft[] = "reft-abs-1e-2";              // ReFT: |prediction - gold| <= 1e-2
}  // namespace equivalence

// ---- finders shared by the presets (finders.cc) ----

// A marked span: where its marker ends and the text after the marker (rest of the line, after
// skipping blank space, bounded).
struct Span {
  size_t pos = 0;
  std::string_view text;
};
// Spans after each match of `marker` in `text`. With `word_start`, only matches that begin at a word
// boundary count, exactly as if the pattern began with \b (the pattern must then begin with a word
// character, as a literal prefix RE2 can skip ahead to).
std::vector<Span> MarkerSpans(const RE2& marker, std::string_view text, bool word_start = false);
// Contents of every \boxed{...} / \fbox{...} (nested braces balanced) and "\boxed 5".
std::vector<Span> BoxedContents(std::string_view text);

// First number-like expression in `span` (sign, `$`, thousands commas, decimals, a/b, \frac{a}{b},
// %), as its matched text; the position of the match inside span in `offset`.
std::optional<std::string> FirstNumberText(std::string_view span, size_t* offset = nullptr);
// Every number-like expression in `text`, in order, with positions; with `from`, those a scan of the
// whole text would find at or after `from`, which must be a position no number spans (as
// LastNumbersStart's is).
std::vector<Span> AllNumbers(std::string_view text, size_t from = 0);
// A position no number of `text` spans, before its last number but close to it (just after the last
// byte that no number can contain, before the last digit); text.size() when the text has no digit.
size_t LastNumbersStart(std::string_view text);

// Option letter at the start of `span` ("(B)", "B)", "**B**", "\text{B}", "option B", "c )"), upper-cased;
// lower case only where it cannot be an English article ("a car").
std::optional<char> LeadingLetter(std::string_view span, int num_letters);
// Letters at the start of `span` ("A, D", "(A)(D)", "A and D"), canonical ("AD").
std::optional<std::string> LeadingLetterSet(std::string_view span, int num_letters);
// Letter of the option whose text `span` starts with (or whose number equals the span's number).
std::optional<char> OptionTextAtStart(std::string_view span, const std::vector<std::string>& choices);

// ---- anchor presets (anchors.cc) ----
Pipeline LmEvalGsm8kStrict();
Pipeline LmEvalGsm8kFlexible();
Pipeline LmEvalGsm8kCot();
Pipeline LmEvalGpqaStrict();
Pipeline LmEvalGpqaFlexible();
Pipeline SimpleEvalsGpqa();
Pipeline QwenMath();
Pipeline QwenChoice();
// Qwen2.5-Math's strip_string, the parts that matter for numbers and option letters.
std::string QwenStripString(std::string s);

}  // namespace tasks::extract::internal
