// Program text from a completion's fenced code block (LiveCodeBench).
#include <string_view>
#include <vector>

#include "harness/util/error.h"
#include "tasks/extract/extract.h"

namespace tasks::extract {

// LiveCodeBench's extract_code (lm_styles other than CodeLLaMa): the lines that contain "```" are
// fences, and the program is the text between the last two of them. "first" takes the text between
// the first two instead, for models that append examples after their solution.
ExtractedAnswer ExtractCode(const std::string& completion, const std::string& which) {
  if (which != "last" && which != "first") {
    throw util::InputError(util::Location{"", 0, "extract"},
                           "unknown code block choice '" + which + "' (valid: last, first)");
  }
  std::vector<std::pair<size_t, size_t>> fences;  // [line start, line end) of each fence line
  const std::string_view text = completion;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (text.substr(start, end - start).find("```") != std::string_view::npos) fences.push_back({start, end});
    if (end == text.size()) break;
    start = end + 1;
  }
  ExtractedAnswer answer;
  answer.rule = "none";
  if (fences.size() < 2) return answer;
  const auto& open = which == "last" ? fences[fences.size() - 2] : fences[0];
  const auto& close = which == "last" ? fences[fences.size() - 1] : fences[1];
  size_t body = open.second + 1;
  std::string code = body < close.first ? std::string(text.substr(body, close.first - 1 - body + 1)) : "";
  // The program is the lines strictly between the fences, joined by "\n" without the last newline.
  if (!code.empty() && code.back() == '\n') code.pop_back();
  if (code.find_first_not_of(" \t\r\n") == std::string::npos) return answer;
  answer.valid = true;
  answer.value = code;
  answer.raw = std::string(text.substr(open.first, close.second - open.first));
  answer.rule = which == "last" ? "fenced_last" : "fenced_first";
  return answer;
}

}  // namespace tasks::extract
