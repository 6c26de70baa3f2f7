// Extraction results: what answer was read out of a completion, and which rule found it.
#pragma once

#include <string>

namespace tasks {

struct ExtractedAnswer {
  bool valid = false;      // false when no rule matched; a failed extraction never wins a vote
  std::string value;       // normalised answer: "18", "-2.5", "B", "AD", "25", LaTeX for cloze, code
  std::string raw;         // the matched text before normalisation
  std::string rule;        // name of the pipeline step that fired, e.g. "hash_marker", "boxed", "last_number"
};

}  // namespace tasks
