// The synthetic-data driver: resolves knobs, draws candidates from one seeded stream, keeps those
// whose content hash falls in the requested split, renders the requested solution style, and
// serialises the records in the benchmark's published layout.
#include "tasks/synth/synth.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/text.h"
#include "tasks/registry.h"
#include "tasks/synth/generators.h"

namespace tasks::synth {

namespace {

using Maker = internal::Candidate (*)(util::SplitMix64&, const internal::Knobs&);

struct TaskSpec {
  const char* name;
  Maker maker;
  int default_min_steps;
  int default_max_steps;
  int max_steps;  // largest --steps accepted
  int default_max_value;
  bool numeric_knobs;  // whether --max-value means anything for this task
};

const std::vector<TaskSpec>& Specs() {
  static const std::vector<TaskSpec> kSpecs = {
      {"gsm8k", internal::MakeGsm8k, 1, 4, 8, 100, true},
      {"svamp", internal::MakeSvamp, 1, 2, 4, 100, true},
      {"mathqa", internal::MakeMathqa, 1, 3, 6, 100, true},
      {"agieval", internal::MakeAgieval, 2, 4, 6, 100, true},
      {"gpqa", internal::MakeGpqa, 2, 4, 6, 100, true},
      {"aime", internal::MakeAime, 2, 4, 5, 1000, true},
      {"livecodebench", internal::MakeLiveCodeBench, 1, 3, 3, 100, true},
  };
  return kSpecs;
}

const TaskSpec& SpecFor(const std::string& task) {
  std::vector<std::string> names = SynthTaskNames();
  for (const auto& spec : Specs()) {
    if (task == spec.name) return spec;
  }
  throw util::InputError(util::Location{"", 0, "task"},
                         "no synthetic generator for task '" + task + "'" + util::DidYouMean(task, names, "generators"));
}

// The about-1-in-5 test share: large enough for a held-out split, small enough that train stays
// big.
constexpr uint64_t kTestBuckets = 5;

std::string IdSuffix(const std::string& split, size_t index) {
  std::string digits = std::to_string(index);
  while (digits.size() < 5) digits = "0" + digits;
  return split + "-" + digits;
}

// Dataset ids, set after selection so they count the items of this file.
void AssignId(const std::string& task, const std::string& split, size_t index, SynthItem& item) {
  if (task == "svamp") {
    item.record["ID"] = "synth-" + IdSuffix(split, index);
  } else if (task == "aime") {
    item.record["id"] = static_cast<int>(index);
  } else if (task == "gpqa") {
    item.record["Record ID"] = "synth-" + IdSuffix(split, index);
  }
}

Solution ExpertSolution(const std::string& style, std::string text) {
  Solution s;
  s.source = "expert";
  s.style = style;
  s.text = std::move(text);
  s.correct = true;
  return s;
}

// START's rare tool use: whether this problem's solution is the tool one, a per-problem draw on its own stream
// (like mixed's), shared by the math families and code.
bool DrawToolSolution(const SynthOptions& options, const std::string& key) {
  util::SplitMix64 draw(options.seed ^ util::Fnv1a64(key, 0x7001));
  return draw.Uniform() < options.tool_share;
}

// START's debug trajectories on code (tool_share): the share of problems drawn as for the math families; of
// those, half (their own draw) show a slipped program repaired after the sample run, when one exists. The
// other problems keep the plain reference program (sft_data's fallback for items without solutions).
void RenderCodeTool(const SynthOptions& options, const internal::Candidate& c, SynthItem& item) {
  if (options.tool_share <= 0 || !DrawToolSolution(options, item.key)) return;
  util::SplitMix64 repair(options.seed ^ util::Fnv1a64(item.key, 0x7002));
  const bool repaired = repair.Uniform() < 0.5 && !c.code_repair.empty();
  item.solutions.push_back(ExpertSolution("tool", repaired ? c.code_repair : c.code_check));
}

void RenderStyle(const SynthOptions& options, const internal::Candidate& c, SynthItem& item) {
  if (GradedByTests(options.task)) return RenderCodeTool(options, c, item);
  if (options.style.empty()) return;
  const Derivation& d = c.derivation;
  if (options.style == "ncot" || options.style == "ncot-check") {
    // START's rare tool use: a per-problem draw (its own stream, like mixed's) picks the tool solution.
    const bool tool = options.tool_share > 0 && CalcStepCount(d) > 0 && DrawToolSolution(options, item.key);
    if (tool) {
      item.solutions.push_back(ExpertSolution("tool", RenderNcotToolCheck(d)));
    } else {
      item.solutions.push_back(
          ExpertSolution("ncot", options.style == "ncot" ? RenderNcot(d) : RenderNcotCheck(d)));
    }
  }
  if (options.style == "ncot-tool") item.solutions.push_back(ExpertSolution("tool", RenderNcotToolCheck(d)));
  if (options.style == "pcot") item.solutions.push_back(ExpertSolution("pcot", RenderPcot(d)));
  if (options.style == "tool") item.solutions.push_back(ExpertSolution("tool", RenderTool(d)));
  if (options.style == "mixed") {
    item.solutions.push_back(ExpertSolution("ncot", RenderNcot(d)));
    // Per-problem stream: the sub-optimal draws of one problem do not shift any other problem.
    util::SplitMix64 rng(options.seed ^ util::Fnv1a64(item.key, 0x5eed));
    for (int i = 0; i < options.suboptimal; ++i) {
      bool wrong = rng.Uniform() < options.wrong_rate;
      item.solutions.push_back(RenderSuboptimal(d, wrong, rng, options.flaws));
    }
  }
}

nlohmann::ordered_json SolutionsJson(const std::vector<Solution>& solutions) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& s : solutions) {
    out.push_back({{"source", s.source},
                   {"style", s.style},
                   {"flaw", s.flaw},
                   {"text", s.text},
                   {"correct", s.correct}});
  }
  return out;
}

std::string Csv(const std::vector<SynthItem>& items) {
  std::vector<std::string> columns;
  for (auto it = items.front().record.begin(); it != items.front().record.end(); ++it) {
    columns.push_back(it.key());
  }
  std::string out;
  auto row = [&out](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + CsvField(cells[i]);
    out += "\r\n";  // RFC 4180 line break
  };
  row(columns);
  for (const auto& item : items) {
    std::vector<std::string> cells;
    for (const auto& column : columns) {
      const auto& v = item.record.at(column);
      cells.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
    row(cells);
  }
  return out;
}

}  // namespace

namespace internal {

bool DrawLookupDrill(const Knobs& knobs, const std::string& key) {
  if (knobs.lookup_share <= 0) return false;
  util::SplitMix64 draw(knobs.seed ^ util::Fnv1a64(key, 0x100c));
  return draw.Uniform() < knobs.lookup_share;
}

std::string LookupDrillQuestion(const std::string& value_text) { return "Which option is " + value_text + "?"; }

}  // namespace internal

std::vector<std::string> SynthTaskNames() {
  std::vector<std::string> names;
  for (const auto& spec : Specs()) names.push_back(spec.name);
  return names;
}

bool AnswersByProgram(const std::string& style) { return style == "pcot"; }

std::vector<std::string> SynthStyles() {
  return {"", "ncot", "ncot-check", "pcot", "mixed", "tool", "ncot-tool"};
}

std::string ToolShareRefusal(const std::string& task, const std::string& style) {
  if (GradedByTests(task) || style == "ncot" || style == "ncot-check") return "";
  return "applies to styles ncot and ncot-check (and to the code task livecodebench), not '" + style + "'";
}

std::string LookupShareRefusal(const std::string& task, const std::string& style) {
  if (task != "mathqa" && task != "agieval" && task != "gpqa") {
    return "applies to the multiple-choice tasks mathqa, agieval and gpqa, not " + task;
  }
  if (!style.empty() && style != "ncot" && style != "ncot-check") {
    return "applies to styles ncot and ncot-check (or none), not '" + style + "'";
  }
  return "";
}

void ValidateOptions(const SynthOptions& options) {
  const TaskSpec& spec = SpecFor(options.task);
  if (options.split != "train" && options.split != "test") {
    throw util::InputError(util::Location{"", 0, "split"},
                           "split must be 'train' or 'test', got '" + options.split + "'");
  }
  if (options.n < 1 || options.n > 1000000) {
    throw util::InputError(util::Location{"", 0, "n"},
                           "n must be between 1 and 1000000, got " + std::to_string(options.n));
  }
  std::vector<std::string> styles = SynthStyles();
  bool known_style = false;
  for (const auto& s : styles) known_style = known_style || s == options.style;
  if (!known_style) {
    std::string close = util::ClosestMatch(options.style, styles);
    throw util::InputError(util::Location{"", 0, "style"},
                           "unknown style '" + options.style + "'" +
                               (close.empty() ? "" : " (did you mean '" + close + "'?)") +
                               "; styles: ncot, ncot-check, pcot, mixed, tool, ncot-tool (or none)");
  }
  if (GradedByTests(options.task) && !options.style.empty()) {
    throw util::InputError(util::Location{"", 0, "style"},
                           options.task + " has no '" + options.style +
                               "' style: its records always carry a reference_solution program");
  }
  if (options.steps < 0 || options.steps > spec.max_steps) {
    throw util::InputError(util::Location{"", 0, "steps"},
                           "steps for " + options.task + " must be 0 (default) or 1.." +
                               std::to_string(spec.max_steps) + ", got " +
                               std::to_string(options.steps));
  }
  if (options.max_value != 0 && (options.max_value < 10 || options.max_value > 1000000)) {
    throw util::InputError(
        util::Location{"", 0, "max_value"},
        "max_value must be 0 (default) or 10..1000000, got " + std::to_string(options.max_value));
  }
  if (options.suboptimal < 0 || options.suboptimal > 16) {
    throw util::InputError(util::Location{"", 0, "suboptimal"},
                           "suboptimal must be 0..16, got " + std::to_string(options.suboptimal));
  }
  if (!(options.wrong_rate >= 0.0 && options.wrong_rate <= 1.0)) {
    throw util::InputError(
        util::Location{"", 0, "wrong_rate"},
        "wrong_rate must be within [0, 1], got " + util::FormatNumber(options.wrong_rate));
  }
  if (!(options.tool_share >= 0.0 && options.tool_share <= 1.0)) {
    throw util::InputError(
        util::Location{"", 0, "tool_share"},
        "tool_share must be within [0, 1], got " + util::FormatNumber(options.tool_share));
  }
  if (options.tool_share > 0) {
    const std::string refusal = ToolShareRefusal(options.task, options.style);
    if (!refusal.empty()) throw util::InputError(util::Location{"", 0, "tool_share"}, refusal);
  }
  if (!(options.lookup_share >= 0.0 && options.lookup_share <= 1.0)) {
    throw util::InputError(
        util::Location{"", 0, "lookup_share"},
        "lookup_share must be within [0, 1], got " + util::FormatNumber(options.lookup_share));
  }
  if (options.lookup_share > 0) {
    const std::string refusal = LookupShareRefusal(options.task, options.style);
    if (!refusal.empty()) throw util::InputError(util::Location{"", 0, "lookup_share"}, "lookup_share " + refusal);
  }
  const std::vector<std::string> kinds = FlawKinds();
  bool wrong_kind = options.flaws.empty(), right_kind = options.flaws.empty();
  for (const auto& flaw : options.flaws) {
    const auto at = std::find(kinds.begin(), kinds.end(), flaw);
    if (at == kinds.end()) {
      throw util::InputError(util::Location{"", 0, "flaws"},
                             "unknown flaw kind '" + flaw +
                                 "' (known: arithmetic_slip, wrong_answer, skipped_step, sloppy_format)");
    }
    (at - kinds.begin() < 2 ? wrong_kind : right_kind) = true;
  }
  if (options.wrong_rate > 0 && !wrong_kind) {
    throw util::InputError(util::Location{"", 0, "flaws"},
                           "wrong_rate > 0 needs a wrong-answer flaw kind (arithmetic_slip or wrong_answer)");
  }
  if (options.wrong_rate < 1 && !right_kind) {
    throw util::InputError(util::Location{"", 0, "flaws"},
                           "wrong_rate < 1 needs a right-answer flaw kind (skipped_step or sloppy_format)");
  }
}

std::string NormalizeForSplit(std::string_view text) {
  return util::CollapseWhitespace(util::ToLower(text));
}

bool IsTestKey(const std::string& normalized_question) {
  // A fixed salt keeps the split independent of every seed the user can pass.
  return util::Fnv1a64(normalized_question, 0x7e57) % kTestBuckets == 0;
}

std::string CsvField(const std::string& text) {
  return "\"" + util::ReplaceAll(text, "\"", "\"\"") + "\"";
}

std::vector<SynthItem> GenerateItems(const SynthOptions& options) {
  ValidateOptions(options);
  const TaskSpec& spec = SpecFor(options.task);
  internal::Knobs knobs;
  knobs.min_steps = options.steps > 0 ? options.steps : spec.default_min_steps;
  knobs.max_steps = options.steps > 0 ? options.steps : spec.default_max_steps;
  knobs.max_value = options.max_value > 0 ? options.max_value : spec.default_max_value;
  knobs.exact_steps = options.steps > 0;
  knobs.lookup_share = options.lookup_share;
  knobs.seed = options.seed;

  const bool want_test = options.split == "test";
  util::SplitMix64 rng(options.seed ^ util::Fnv1a64(options.task));
  std::set<std::string> seen;
  std::vector<SynthItem> items;
  // Small knob ranges can run out of distinct problems. About 1 in 5 candidates falls in the test
  // split, so this many misses in a row means the space is exhausted: stop with a message instead
  // of looping.
  const long kMaxMissesInARow = 20000;
  long misses = 0;
  while (static_cast<int>(items.size()) < options.n) {
    if (++misses > kMaxMissesInARow) {
      throw util::InputError(util::Location{"", 0, "n"},
                             "only " + std::to_string(items.size()) + " distinct " + options.split +
                                 " problems for " + options.task +
                                 " with these knobs; lower n or raise max_value/steps");
    }
    internal::Candidate c = spec.maker(rng, knobs);
    if (IsTestKey(c.item.key) != want_test) continue;
    if (!seen.insert(c.item.key).second) continue;
    SynthItem item = std::move(c.item);
    misses = 0;
    RenderStyle(options, c, item);
    AssignId(options.task, options.split, items.size(), item);
    items.push_back(std::move(item));
  }
  return items;
}

std::string SynthesizeFile(const SynthOptions& options) {
  std::vector<SynthItem> items = GenerateItems(options);
  if (options.task == "gpqa") {
    for (auto& item : items) {
      item.record["Synth Steps"] = std::to_string(item.steps);
      item.record["Synth Solutions"] =
          item.solutions.empty() ? "" : SolutionsJson(item.solutions).dump();
    }
    return Csv(items);
  }
  std::vector<nlohmann::ordered_json> rows;
  for (auto& item : items) {
    nlohmann::ordered_json row = item.record;
    if (!item.solutions.empty()) row["solutions"] = SolutionsJson(item.solutions);
    row["synth"] = {{"family", item.family},
                    {"steps", item.steps},
                    {"split", options.split},
                    {"seed", options.seed}};
    rows.push_back(std::move(row));
  }
  if (options.task == "svamp" || options.task == "mathqa") {
    nlohmann::ordered_json array = rows;  // published as one JSON array
    return array.dump(2) + "\n";
  }
  std::string out;
  for (const auto& row : rows) out += row.dump() + "\n";
  return out;
}

void WriteSynthetic(const SynthOptions& options, const std::string& path) {
  util::WriteFileAtomic(path, SynthesizeFile(options));
}

}  // namespace tasks::synth
