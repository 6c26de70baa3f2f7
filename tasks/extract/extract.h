// Answer extraction: named RE2 pipelines (presets) that read a final answer out of a completion,
// and the equivalence test that compares it with a record's gold answer.
//
// A preset is an ordered list of small named steps, in the spirit of lm-eval's filter lists: each
// step looks for candidates in the completion, later steps select and normalise. The first step that
// yields a valid answer wins and its name is recorded in ExtractedAnswer::rule; when none does the
// answer is invalid with rule "none". Preset names are part of the results schema and stay stable:
//   every task:   "default" (last explicitly marked final answer, else last number / option letter),
//                 "strict" (marked answers only), "flexible" (default plus permissive fallbacks)
//   numeric kind (gsm8k, svamp, mathqa-numeric): "lm-eval-strict", "lm-eval-flexible", "lm-eval-cot"
//                 (the anchor regexes, bugs kept), "reft" (marked answers, ReFT's |Δ| <= 1e-2)
//   gpqa:         "lm-eval-strict" (lookaround emulated), "lm-eval-flexible", "simple-evals"
//   all but code: "qwen" (Qwen2.5-Math extract_answer / choice_answer_clean + strip_string)
//   code:         "default"/"strict" (last fenced block), "flexible" (else the whole text), "first"
// README.md in this folder lists every rule name. Nothing here throws on completion text, whatever
// its bytes or size.
#pragma once

#include <string>
#include <vector>

#include "tasks/answer.h"
#include "tasks/record.h"

namespace tasks::extract {

// Presets valid for this record's task and kind; the default preset first.
std::vector<std::string> PresetsFor(const Record& record);

// Reads the answer from `completion` with the named preset.
// Throws util::InputError (field "extract", with a did-you-mean suggestion) for an unknown preset.
ExtractedAnswer Extract(const std::string& completion, const Record& record, const std::string& preset);

// Whether an extracted answer matches record.gold, compared the way answer.equivalence (set by Extract
// from the preset) names: the project presets ("exact") compare numbers by exact value, option letters
// exactly, letter sets as sets, AIME integers by value, cloze answers by normalised LaTeX string or,
// when both sides are numbers, by value. Tolerances only where a benchmark's rule has one (qwen, reft).
bool IsEquivalent(const ExtractedAnswer& answer, const Record& record);

// Code from a completion's fenced block: which = "last" (LiveCodeBench's own rule) or "first".
// Throws util::InputError (field "extract") for any other `which`.
ExtractedAnswer ExtractCode(const std::string& completion, const std::string& which);

}  // namespace tasks::extract
