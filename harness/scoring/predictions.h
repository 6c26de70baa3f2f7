// Reading generations produced elsewhere: the harness's own predictions jsonl
// {"id", "completions": [str, ...], "scores"?: [float, ...]} and lm-eval's samples_*.jsonl
// ({"doc_id", "resps": [[str, ...]], ...}), detected per line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace scoring {

struct Prediction {
  std::string id;                       // record id ("" for lm-eval lines, which carry doc_index)
  std::optional<long> doc_index;        // lm-eval doc_id: 0-based index into the task's records
  std::vector<std::string> completions;
  std::vector<double> scores;           // empty, or one per completion
  std::string file;
  long line = 0;
};

// Throws util::InputError naming file, line and field for malformed lines, missing or mistyped fields,
// empty completion lists and score lists of the wrong length.
std::vector<Prediction> ReadPredictions(const std::string& path);

}  // namespace scoring
