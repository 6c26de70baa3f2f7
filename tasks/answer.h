// Extraction results: what answer was read out of a completion, and which rule found it.
#pragma once

#include <string>

namespace tasks {

struct ExtractedAnswer {
  bool valid = false;      // false when no rule matched; a failed extraction never wins a vote
  std::string value;       // normalised answer: "18", "-2.5", "B", "AD", "25", LaTeX for cloze, code
  std::string raw;         // the matched text before normalisation
  std::string rule;        // name of the pipeline step that fired, e.g. "hash_marker", "boxed", "last_number"
  // The comparison IsEquivalent applies, named by the preset that read the answer (set by Extract
  // whether or not an answer was found; recorded per sample): "exact", "qwen-rel-1e-4", ...
  // Empty means the answer kind's exact comparison (the project presets' rule).
  std::string equivalence;
};

}  // namespace tasks
