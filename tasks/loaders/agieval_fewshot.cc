// Reading few_shot_prompts.csv (Python-repr cells, never eval'd) and laying out AGIEval's few-shot
// text.
#include "tasks/loaders/agieval_fewshot.h"

#include <map>
#include <memory>
#include <mutex>

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "tasks/loaders/csv.h"
#include "tasks/loaders/py_literal.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

struct Demo {
  nlohmann::json context;  // {passage, question, options, label, answer}
  std::string explanation;
};

// Demos per subset column, in sample order.
using DemoTable = std::map<std::string, std::vector<Demo>>;

bool IsChinese(const std::string& subset) {
  if (subset == "gaokao-english") return false;
  return util::StartsWith(subset, "gaokao-") || subset == "logiqa-zh" ||
         util::StartsWith(subset, "jec-qa");
}

bool IsCloze(const std::string& subset) { return subset == "math" || subset == "gaokao-mathcloze"; }

// Python's str() of a label: a list prints as "['A', 'B']".
std::string LabelText(const nlohmann::json& label) {
  if (label.is_null()) return "";
  if (label.is_string()) return label.get<std::string>();
  if (label.is_array()) {
    std::string out = "[";
    for (size_t i = 0; i < label.size(); ++i) {
      out += (i ? ", '" : "'") +
             (label[i].is_string() ? label[i].get<std::string>() : label[i].dump()) + "'";
    }
    return out + "]";
  }
  return label.dump();
}

std::string Str(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::shared_ptr<const DemoTable> ParseFile(const std::string& path) {
  const CsvTable table = CsvTable::Read(path);
  auto demos = std::make_shared<DemoTable>();
  // Rows are "sample k" and "explanation k"; pair them by k.
  std::map<std::string, const CsvRow*> samples, explanations;
  for (const CsvRow& row : table.rows()) {
    const std::string key = util::Trim(row.cells[0]);
    if (util::StartsWith(key, "sample")) samples[util::Trim(key.substr(6))] = &row;
    if (util::StartsWith(key, "explanation")) explanations[util::Trim(key.substr(11))] = &row;
  }
  for (size_t col = 1; col < table.header().size(); ++col) {
    const std::string& subset = table.header()[col];
    std::vector<Demo>& list = (*demos)[subset];
    for (const auto& [k, sample] : samples) {
      const std::string& cell = sample->cells[col];
      if (util::Trim(cell).empty()) continue;
      Demo demo;
      demo.context = ParsePythonLiteral(cell, util::Location{path, sample->line, subset});
      if (!demo.context.is_object()) {
        throw util::InputError(util::Location{path, sample->line, subset},
                               "expected a dict literal");
      }
      auto e = explanations.find(k);
      if (e != explanations.end())
        demo.explanation = util::ReplaceAll(e->second->cells[col], "\n\n", "\n");
      list.push_back(std::move(demo));
    }
  }
  return demos;
}

std::shared_ptr<const DemoTable> CachedFile(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const DemoTable>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(path);
  if (it != cache.end()) return it->second;
  auto parsed = ParseFile(path);
  cache[path] = parsed;
  return parsed;
}

std::string JoinOptions(const std::vector<std::string>& options) {
  std::string out;
  for (size_t i = 0; i < options.size(); ++i) out += (i ? " " : "") + options[i];
  return out;
}

// One problem's input block, numbered `n` (1-based).
std::string ProblemInput(const std::string& subset, int n, const std::string& passage,
                         const std::string& question, const std::vector<std::string>& options) {
  const std::string num = std::to_string(n);
  if (IsCloze(subset))
    return (IsChinese(subset) ? "问题 " : "Problem ") + num + ".   " + question + "\n";
  if (IsChinese(subset)) {
    return "问题 " + num + ".   " + passage + " " + question + "\n" +
           "从以下选项中选择:    " + JoinOptions(options) + "\n";
  }
  return "Problem " + num + ".   " + passage + " " + question + "\n" +
         "Choose from the following options:    " + JoinOptions(options) + "\n";
}

std::string ProblemOutput(const std::string& subset, int n, const std::string& explanation,
                          const std::string& answer) {
  const std::string num = std::to_string(n);
  if (IsChinese(subset))
    return "问题 " + num + "的解析:   " + explanation + "\n" + "答案是 " + answer;
  return "Explanation for Problem " + num + ":   " + explanation + "\n" +
         "The answer is therefore " + answer;
}

}  // namespace

std::string AgievalFewShotPrompt(const Record& record, const std::string& csv_path) {
  const bool skip_passage = record.variant == "sat-en-without-passage";
  const std::string subset = skip_passage ? "sat-en" : record.variant;
  std::shared_ptr<const DemoTable> table = CachedFile(csv_path);
  auto it = table->find(subset);
  if (it == table->end() || it->second.empty()) {
    throw util::InputError(util::Location{csv_path, 1, subset},
                           "no few-shot demonstrations for this AGIEval subset");
  }
  std::string out;
  int n = 0;
  for (const Demo& demo : it->second) {
    ++n;
    std::vector<std::string> options;
    auto opts = demo.context.find("options");
    if (opts != demo.context.end() && opts->is_array()) {
      for (const auto& o : *opts)
        options.push_back(o.is_string() ? o.get<std::string>() : o.dump());
    }
    const std::string passage = skip_passage ? "" : Str(demo.context, "passage");
    const std::string answer = IsCloze(subset)
                                   ? Str(demo.context, "answer")
                                   : LabelText(demo.context.value("label", nlohmann::json()));
    out += ProblemInput(subset, n, passage, Str(demo.context, "question"), options) +
           ProblemOutput(subset, n, demo.explanation, answer) + "\n";
  }
  // The record's own options get back their "(A)" prefixes, as in the data files.
  std::vector<std::string> options;
  for (size_t i = 0; i < record.choices.size(); ++i)
    options.push_back("(" + LetterFor(i) + ")" + record.choices[i]);
  return out +
         ProblemInput(subset, n + 1, skip_passage ? "" : record.passage, record.question, options);
}

}  // namespace tasks::loaders
