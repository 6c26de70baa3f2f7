#include "harness/scoring/scoring.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>

#include "harness/util/error.h"
#include "harness/util/parallel.h"
#include "harness/util/text.h"
#include "tasks/extract/extract.h"
#include "tasks/metrics/metrics.h"

namespace scoring {

namespace {

using nlohmann::json;
using tasks::ExtractedAnswer;
using tasks::Record;

void Put(json& metrics, const std::string& name, const tasks::metrics::Estimate& e) {
  PutMetric(metrics, name, e.value, e.stderr_, e.ci_low, e.ci_high);
}

}  // namespace

std::string ProgramOf(const std::string& completion) {
  const size_t blank = completion.find("\n\n");
  std::string program = completion.substr(0, blank);
  while (!program.empty() && std::isspace(static_cast<unsigned char>(program.back()))) program.pop_back();
  size_t first = 0;
  while (first < program.size() && program[first] == '\n') ++first;
  return program.substr(first);
}

ExtractedAnswer ProgramAnswer(const tasks::Task& task, const Record& record, const ProgramRun& run) {
  ExtractedAnswer none;
  none.rule = "program_" + (run.ran ? std::string("no_output") : run.status);
  if (!run.ran) return none;
  std::vector<std::string> lines = util::Split(run.output, '\n');
  std::string last;
  for (auto it = lines.rbegin(); it != lines.rend() && last.empty(); ++it) last = util::Trim(*it);
  if (last.empty()) return none;
  ExtractedAnswer answer = task.Extract(last, record, "flexible");
  answer.raw = last;
  answer.rule = answer.valid ? "program_output" : "program_unreadable";
  return answer;
}

std::vector<ExtractedAnswer> ProgramAnswers(const std::vector<TaskRecord>& owners,
                                            const std::vector<std::string>& completions,
                                            const ProgramRunner& runner) {
  if (owners.size() != completions.size()) throw std::logic_error("ProgramAnswers: one record per completion");
  if (!runner) throw std::logic_error("P-CoT answers need a program runner");
  std::vector<ExtractedAnswer> answers(completions.size());
  std::vector<std::string> programs;
  std::vector<size_t> rows;
  for (size_t i = 0; i < completions.size(); ++i) {
    std::string program = ProgramOf(completions[i]);
    if (program.empty()) {
      answers[i].rule = "program_missing";
      continue;
    }
    programs.push_back(std::move(program));
    rows.push_back(i);
  }
  if (programs.empty()) return answers;
  const std::vector<ProgramRun> runs = runner(programs);
  if (runs.size() != programs.size()) throw std::logic_error("ProgramAnswers: the runner returned a wrong count");
  for (size_t j = 0; j < rows.size(); ++j) {
    answers[rows[j]] = ProgramAnswer(*owners[rows[j]].first, *owners[rows[j]].second, runs[j]);
  }
  return answers;
}

void PutMetric(json& metrics, const std::string& name, double value, double stderr_value, double ci_low,
               double ci_high) {
  metrics[name] = value;
  metrics[name + "_stderr"] = stderr_value;
  metrics[name + "_ci95"] = {ci_low, ci_high};
}

RecordSelection SelectRecords(const std::vector<Record>& records, bool include_broken) {
  RecordSelection selection;
  for (const auto& r : records) {
    if (r.broken && !include_broken) {
      selection.excluded_broken.push_back(r.id);
    } else {
      selection.kept.push_back(&r);
    }
  }
  return selection;
}

std::vector<std::pair<const Record*, const Prediction*>> AlignPredictions(
    const std::vector<Record>& records, const std::vector<Prediction>& predictions, const ScoreOptions& options,
    ScoredSet* bookkeeping) {
  std::map<std::string, const Record*> by_id;
  for (const auto& r : records) by_id.emplace(r.id, &r);
  std::map<const Record*, const Prediction*> matched;
  for (const auto& p : predictions) {
    const Record* record = nullptr;
    util::Location at{p.file, p.line, p.doc_index ? "doc_id" : "id"};
    if (p.doc_index) {
      if (*p.doc_index >= static_cast<long>(records.size())) {
        throw util::InputError(at, "doc_id " + std::to_string(*p.doc_index) + " is past the data's " +
                                       std::to_string(records.size()) + " records");
      }
      record = &records[*p.doc_index];
    } else {
      auto it = by_id.find(p.id);
      if (it == by_id.end()) {
        throw util::InputError(at, "id '" + p.id + "' is not in the data file");
      }
      record = it->second;
    }
    if (!matched.emplace(record, &p).second) {
      throw util::InputError(at, "second prediction for record '" + record->id + "' (first at line " +
                                     std::to_string(matched[record]->line) + ")");
    }
  }
  std::vector<std::pair<const Record*, const Prediction*>> pairs;
  std::vector<std::string> missing;
  RecordSelection selection = SelectRecords(records, options.include_broken);
  bookkeeping->excluded_broken = selection.excluded_broken;
  for (const Record* r : selection.kept) {
    auto it = matched.find(r);
    if (it == matched.end()) {
      missing.push_back(r->id);
      continue;
    }
    pairs.emplace_back(r, it->second);
  }
  if (!missing.empty() && !options.allow_missing) {
    std::string examples;
    for (size_t i = 0; i < std::min<size_t>(5, missing.size()); ++i) examples += (i ? ", " : "") + missing[i];
    throw util::InputError(util::Location{predictions.empty() ? "" : predictions[0].file, 0, "id"},
                           std::to_string(missing.size()) + " of " + std::to_string(records.size()) +
                               " records have no prediction (e.g. " + examples +
                               "); pass --allow-missing to score only the predicted ones");
  }
  if (pairs.empty()) throw util::InputError("no records left to score");
  bookkeeping->missing = missing;
  return pairs;
}

namespace {

// Both public overloads: `consumed` is null, or the same vector as `predictions`, whose texts may move.
ScoredSet ScoreImpl(const tasks::Task& task, const std::vector<Record>& records,
                    const std::vector<Prediction>& predictions, std::vector<Prediction>* consumed,
                    const ScoreOptions& options, const std::function<std::string(const Record&)>& prompt_of) {
  ScoredSet out;
  auto pairs = AlignPredictions(records, predictions, options, &out);
  const Record& first = *pairs.front().first;
  const bool is_code = first.kind == tasks::AnswerKind::kCode;

  // Resolve preset and k before any work, so bad flags fail fast.
  std::vector<std::string> presets = task.extraction_presets();
  out.preset = options.preset.empty() ? presets.front() : options.preset;
  if (!is_code) task.Extract("", first, out.preset);  // throws InputError with did-you-mean if unknown
  int min_samples = INT32_MAX;
  for (const auto& [r, p] : pairs) min_samples = std::min<int>(min_samples, static_cast<int>(p->completions.size()));
  out.k = options.k > 0 ? options.k : min_samples;
  if (out.k > min_samples) {
    throw util::InputError(util::Location{"", 0, "k"}, "k=" + std::to_string(out.k) +
                                                           " but some records have only " +
                                                           std::to_string(min_samples) + " completions");
  }

  std::vector<tasks::metrics::ProblemSamples> problems(pairs.size());
  std::vector<json> code_status(pairs.size());
  if (is_code) {
    if (!options.code_grader) throw std::runtime_error("code task '" + task.name() + "' needs a code grader");
    std::vector<std::pair<const Record*, std::string>> jobs;
    for (size_t i = 0; i < pairs.size(); ++i) {
      for (const auto& c : pairs[i].second->completions) {
        ExtractedAnswer code = tasks::extract::ExtractCode(c, options.code_block);
        problems[i].answers.push_back(code);
        jobs.emplace_back(pairs[i].first, code.valid ? code.value : std::string());
      }
    }
    std::vector<json> verdicts = options.code_grader(jobs);
    size_t j = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      code_status[i] = json::array();
      for (size_t s = 0; s < pairs[i].second->completions.size(); ++s, ++j) {
        bool passed = problems[i].answers[s].valid && verdicts[j].value("passed", false);
        problems[i].correct.push_back(passed);
        code_status[i].push_back(problems[i].answers[s].valid ? verdicts[j] : json{{"passed", false}, {"status", "no_code"}});
      }
    }
  } else if (options.program_answers) {
    // P-CoT: every completion's program in one batch (the runner runs them in parallel).
    std::vector<TaskRecord> owners;
    std::vector<std::string> texts;
    for (const auto& [r, p] : pairs) {
      for (const auto& c : p->completions) {
        owners.emplace_back(&task, r);
        texts.push_back(c);
      }
    }
    std::vector<ExtractedAnswer> answers = ProgramAnswers(owners, texts, options.program_runner);
    size_t j = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      for (size_t s = 0; s < pairs[i].second->completions.size(); ++s, ++j) {
        problems[i].correct.push_back(answers[j].valid && task.IsCorrect(answers[j], *pairs[i].first));
        problems[i].answers.push_back(std::move(answers[j]));
      }
    }
  } else {
    // Problems are independent: extraction (most of the work) runs on every core, each result in
    // its problem's slot, so the results do not depend on the thread count.
    util::ForEachSlice(pairs.size(), 64, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        problems[i].answers.reserve(pairs[i].second->completions.size());
        problems[i].correct.reserve(pairs[i].second->completions.size());
        for (const auto& c : pairs[i].second->completions) {
          ExtractedAnswer a = task.Extract(c, *pairs[i].first, out.preset);
          problems[i].correct.push_back(a.valid && task.IsCorrect(a, *pairs[i].first));
          problems[i].answers.push_back(std::move(a));
        }
      }
    });
  }
  for (size_t i = 0; i < pairs.size(); ++i) problems[i].scores = pairs[i].second->scores;

  // Aggregates.
  namespace m = tasks::metrics;
  out.n = static_cast<int>(pairs.size());
  Put(out.metrics, "accuracy", m::Accuracy(problems));
  if (is_code) Put(out.metrics, "pass@1", m::PassAtKEstimate(problems, 1));
  if (out.k > 1) {
    if (!is_code) Put(out.metrics, "maj@" + std::to_string(out.k), m::MajAtK(problems, out.k));
    Put(out.metrics, "pass@" + std::to_string(out.k), m::PassAtKEstimate(problems, out.k));
    Put(out.metrics, "avg@" + std::to_string(out.k), m::AvgAtK(problems, out.k));
    const bool have_scores = std::all_of(problems.begin(), problems.end(),
                                         [](const auto& p) { return p.scores.size() == p.answers.size(); });
    if (have_scores && !is_code) Put(out.metrics, "rerank@" + std::to_string(out.k), m::RerankAtK(problems, out.k));
  }
  int failures = 0, total = 0;
  for (const auto& p : problems) {
    for (const auto& a : p.answers) failures += a.valid ? 0 : 1;
    total += static_cast<int>(p.answers.size());
  }
  out.metrics["extraction_failure_rate"] = total ? static_cast<double>(failures) / total : 0.0;

  // Per-problem samples, built on every core like the extraction (each sample depends only on its
  // problem; RenderPrompt is thread-safe).
  out.samples.resize(pairs.size());
  util::ForEachSlice(pairs.size(), 64, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const Record& r = *pairs[i].first;
      json extracted = json::array(), rules = json::array();
      for (const auto& a : problems[i].answers) {
        extracted.push_back(a.valid ? json(is_code ? "<code>" : a.value) : json(nullptr));
        rules.push_back(a.rule);
      }
      json completions;
      if (consumed) {  // the caller is done with the predictions: their texts move into the sample
        completions = json::array();
        auto& texts = (*consumed)[static_cast<size_t>(pairs[i].second - predictions.data())].completions;
        completions.get_ref<json::array_t&>().reserve(texts.size());
        for (auto& text : texts) completions.push_back(std::move(text));
      } else {
        completions = pairs[i].second->completions;
      }
      json sample = {{"task", task.name()},
                     {"variant", r.variant},
                     {"id", r.id},
                     {"prompt", prompt_of ? prompt_of(r) : std::string()},
                     {"gold", r.gold},
                     {"completions", std::move(completions)},
                     {"extracted", std::move(extracted)},
                     {"rules", std::move(rules)},
                     {"equivalence", is_code ? std::string("sandbox") : problems[i].answers.front().equivalence},
                     {"correct", problems[i].correct}};
      if (!r.choice_order.empty()) sample["choice_order"] = r.choice_order;
      if (!problems[i].scores.empty()) sample["scores"] = problems[i].scores;
      if (is_code) sample["verdicts"] = code_status[i];
      out.samples[i] = std::move(sample);
    }
  });
  return out;
}

}  // namespace

ScoredSet Score(const tasks::Task& task, const std::vector<Record>& records,
                const std::vector<Prediction>& predictions, const ScoreOptions& options,
                const std::function<std::string(const Record&)>& prompt_of) {
  return ScoreImpl(task, records, predictions, nullptr, options, prompt_of);
}

ScoredSet Score(const tasks::Task& task, const std::vector<Record>& records, std::vector<Prediction>&& predictions,
                const ScoreOptions& options, const std::function<std::string(const Record&)>& prompt_of) {
  return ScoreImpl(task, records, predictions, &predictions, options, prompt_of);
}

}  // namespace scoring
