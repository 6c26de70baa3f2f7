// Seeded synthetic task generators. Each writes train/test splits in its benchmark's own published
// record format, so the real loaders read them back, with difficulty knobs and the solution styles
// the method trainers need (N-CoT, P-CoT, expert vs sub-optimal sources, tool use). Torch-free.
//
// Split discipline: problems come from one seeded stream; each candidate's normalised question text
// is hashed, and the hash alone decides whether it belongs to train or test (about 1 in 5 goes to
// test). A test item therefore can never occur in any train file, whatever seeds the two files
// used.
//
// Extra fields (ignored by the loaders, read by trainers):
//   "solutions": [{"source": "expert"|"suboptimal", "style": "ncot"|"pcot"|"tool", "flaw": "...",
//                  "text": "...", "correct": true|false}]   -- written when a style is chosen
//   "synth": {"steps": K, "family": "...", "seed": S, "split": "train"}  -- always written (json
//   tasks) LiveCodeBench: "reference_solution": a Python program that passes every public and
//   private test. GPQA (CSV): columns "Synth Solutions" (JSON text of the array above) and "Synth
//   Steps". GPQA options are shuffled by the loader; solutions use the letters of its default
//   shuffle_seed 0.
//
// Loading the files back: the loaders take some variants from file names. AGIEval needs a subset
// (LoadOptions.variant, e.g. "lsat-ar", or a file named lsat-ar.jsonl); GPQA a name containing
// "main"/"diamond"/"extended" (or the variant); AIME a year ("aime24" in the name, or variant
// "2024").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tasks/synth/derivation.h"

namespace tasks::synth {

struct SynthOptions {
  std::string task;             // gsm8k | svamp | mathqa | agieval | gpqa | aime | livecodebench
  std::string split = "train";  // train | test
  int n = 100;                  // number of problems, >= 1
  uint64_t seed = 0;
  // "" (published fields only) | ncot | ncot-check | pcot | mixed | tool | ncot-tool (every solution
  // RenderNcotToolCheck)
  std::string style;
  // Reasoning steps per problem; 0 = the task's default range. gsm8k/svamp/mathqa/aime: arithmetic
  // operations; agieval/gpqa: relations or conversions to chain; livecodebench: 1 easy .. 3 hard.
  int steps = 0;
  // Scale of the numbers a problem states (gsm8k/svamp: the largest one; others derive products of
  // such numbers); 0 = the task's default.
  int max_value = 0;
  int suboptimal = 3;       // mixed: sub-optimal solutions per problem
  double wrong_rate = 0.5;  // mixed: probability that a sub-optimal solution's answer is wrong
  std::vector<std::string> flaws;  // mixed: flaw kinds drawn (FlawKinds(); empty = all)
  // ncot / ncot-check: the share of problems whose expert solution is RenderNcotToolCheck (style "tool")
  // instead, as START trains the tool ability in rarely (a few percent). Drawn per problem from its key
  // and the seed, so one problem's draw does not depend on the others (prefixes of n are stable);
  // problems without a calculation step keep the plain solution. 0 = never (no draw is made).
  // livecodebench (no style): the share of problems whose solution is START's debug trajectory (the program
  // run on sample 1 with the tool, half of them repairing a slipped program; Candidate::code_check/_repair).
  double tool_share = 0;
  // mathqa / agieval / gpqa: the share of problems turned into option-lookup drills: the same options
  // and gold letter, the question "Which option is V?" (V the gold option's text) and no reasoning
  // steps, so that the solution is only the answer note, or with ncot-check only the option checks
  // "(A) 32 = 36? no ... (B) 36 = 36? yes". A small model computes the value of a multiple-choice
  // problem long before it learns to find that value among the options (learning_probes.md); drills
  // put the lookup in many short examples. Drawn per problem from its key and the seed (like
  // tool_share); a drill keeps its source problem's split key. Family "lookup", steps 0.
  double lookup_share = 0;
};

// One generated problem, before serialisation.
struct SynthItem {
  std::string key;     // normalised question text: split key and dedupe key
  std::string gold;    // the gold answer as the loader will report it ("36", "B", "25")
  int steps = 0;       // reasoning steps it needs
  std::string family;  // template family, e.g. "chain", "ordering", "unit_conversion"
  // Published-format record, fields in the published order; a CSV row is an object column -> text.
  nlohmann::ordered_json record;
  std::vector<Solution> solutions;
};

std::vector<std::string> SynthTaskNames();
std::vector<std::string> SynthStyles();

// Whether a model trained on `style` answers with a program whose printed value is the answer (P-CoT,
// ReFT §3): evaluation and rewards then run the program (scoring::ProgramAnswers) instead of reading the
// text. The one place that says which styles do.
bool AnswersByProgram(const std::string& style);

// Why a tool_share > 0 cannot apply to this task and style; "" when it can (styles ncot and ncot-check, and the
// code task, whose tool solutions are START's debug trajectories). Every config that carries the share asks this.
std::string ToolShareRefusal(const std::string& task, const std::string& style);

// Why a lookup_share > 0 cannot apply to this task and style; "" when it can. Every config that
// carries the share asks this.
std::string LookupShareRefusal(const std::string& task, const std::string& style);

// Throws util::InputError (field named) for unknown task/split/style and impossible knob values.
void ValidateOptions(const SynthOptions& options);

// The n problems of the requested split, deterministic in (options).
std::vector<SynthItem> GenerateItems(const SynthOptions& options);

// File contents in the benchmark's published format (jsonl, JSON array, or CSV).
std::string SynthesizeFile(const SynthOptions& options);
// Same contents, written atomically.
void WriteSynthetic(const SynthOptions& options, const std::string& path);

// Lower-cased, whitespace-collapsed text; the split key.
std::string NormalizeForSplit(std::string_view text);
// Whether a normalised question belongs to the test split.
bool IsTestKey(const std::string& normalized_question);

// RFC 4180 field quoting (always quoted; embedded quotes doubled).
std::string CsvField(const std::string& text);

}  // namespace tasks::synth
