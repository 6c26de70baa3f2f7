#include "trainers/sft/sft_data.h"

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"

namespace trainers {

std::string SyntheticFileName(const std::string& task, const std::string& split) {
  // Loaders infer GPQA's and AIME's variant from the file name.
  if (task == "gpqa") return "gpqa_main_" + split + ".csv";
  if (task == "aime") return "aime24_" + split + ".jsonl";
  if (task == "svamp" || task == "mathqa") return task + "_" + split + ".json";
  return task + "_" + split + ".jsonl";
}

std::string SyntheticVariant(const std::string& task) {
  // AGIEval's generator writes single-answer multiple choice, the layout of the English MC subsets.
  return task == "agieval" ? "lsat-ar" : "";
}

std::vector<tasks::Record> WriteAndLoadSynthetic(const tasks::synth::SynthOptions& options, const std::string& path,
                                                 uint64_t shuffle_seed) {
  tasks::synth::WriteSynthetic(options, path);
  tasks::LoadOptions load;
  load.path = path;
  load.variant = SyntheticVariant(options.task);
  load.shuffle_seed = shuffle_seed;
  return tasks::FindTask(options.task).Load(load);
}

std::vector<tasks::Record> LoadSourceRecords(const DataSource& source, const std::string& split,
                                             const std::string& data_dir,
                                             std::vector<std::vector<std::string>>* solutions,
                                             std::vector<std::vector<std::string>>* solution_sources) {
  if (!source.file.empty()) {
    tasks::LoadOptions load;
    load.path = source.file;
    load.shuffle_seed = source.synthetic_seed;
    return tasks::FindTask(source.task).Load(load);
  }
  tasks::synth::SynthOptions options;
  options.task = source.task;
  options.split = split;
  options.n = source.synthetic_n;
  options.seed = source.synthetic_seed;
  options.style = source.style;
  options.steps = source.steps;
  options.max_value = source.max_value;
  options.suboptimal = source.suboptimal;
  options.wrong_rate = source.wrong_rate;
  options.flaws = source.flaws;
  options.tool_share = source.tool_share;
  options.lookup_share = source.lookup_share;
  tasks::synth::ValidateOptions(options);
  std::vector<tasks::synth::SynthItem> items = tasks::synth::GenerateItems(options);
  // The file is written so that what is trained on is inspectable and exactly what the loader reads.
  // Generator solutions name GPQA's letters under the loader's default shuffle (seed 0).
  const std::string path = data_dir + "/" + SyntheticFileName(source.task, split);
  std::vector<tasks::Record> records = WriteAndLoadSynthetic(options, path, /*shuffle_seed=*/0);
  if (records.size() != items.size()) {
    throw std::runtime_error("synthetic " + source.task + " file " + path + " holds " +
                             std::to_string(records.size()) + " records, generator made " +
                             std::to_string(items.size()));
  }
  if (solutions) {
    solutions->assign(items.size(), {});
    if (solution_sources) solution_sources->assign(items.size(), {});
    for (size_t i = 0; i < items.size(); ++i) {
      for (const auto& s : items[i].solutions) {
        (*solutions)[i].push_back(s.text);
        if (solution_sources) (*solution_sources)[i].push_back(s.source);
      }
      // LiveCodeBench items carry a reference program instead: the completion is that program in a
      // fenced block, which is what the grader extracts.
      if (items[i].solutions.empty() && items[i].record.contains("reference_solution")) {
        (*solutions)[i].push_back("```python\n" + items[i].record["reference_solution"].get<std::string>() +
                                  "\n```");
        if (solution_sources) (*solution_sources)[i].push_back("expert");
      }
    }
  }
  return records;
}

std::vector<TextExample> BuildTextExamples(const DataSource& source, const std::string& data_dir) {
  const tasks::Task& task = tasks::FindTask(source.task);
  std::vector<std::vector<std::string>> solutions, sources;
  std::vector<tasks::Record> records = LoadSourceRecords(source, "train", data_dir, &solutions, &sources);
  tasks::PromptOptions prompt_options;
  prompt_options.template_name = source.template_name.empty() ? task.templates().front() : source.template_name;
  std::vector<TextExample> out;
  for (size_t i = 0; i < records.size(); ++i) {
    const tasks::Record& r = records[i];
    if (r.broken) continue;
    std::string prompt = source.condition + task.RenderPrompt(r, prompt_options);
    // Generator styles carry their own solutions; otherwise learn the dataset's gold solution text.
    const bool generator_solution = !solutions.empty() && !solutions[i].empty() &&
                                    (!source.style.empty() || r.gold_solution.empty());
    if (generator_solution) {
      for (size_t s = 0; s < solutions[i].size(); ++s) {
        if (source.style != "mixed" && sources[i][s] != "expert") continue;
        out.push_back({prompt, solutions[i][s], source.weight, source.task + ":" + sources[i][s]});
      }
    } else {
      std::string completion = r.gold_solution;
      if (completion.empty() && r.extra.contains("reference_solution")) {
        completion = "```python\n" + r.extra["reference_solution"].get<std::string>() + "\n```";
      }
      if (completion.empty()) continue;
      out.push_back({prompt, completion, source.weight, source.task});
    }
  }
  if (out.empty()) {
    throw util::InputError(util::Location{source.file, 0, "train"},
                           "data source for task '" + source.task + "' produced no training examples");
  }
  return out;
}

TokenizedSet TokenizeExamples(const std::vector<TextExample>& texts, const tokenizer::Tokenizer& tok,
                              int max_seq_len) {
  TokenizedSet set;
  for (const auto& t : texts) {
    TokenizedExample e;
    e.weight = t.weight;
    e.ids = tok.EncodePrompt(t.prompt, /*chat=*/false);
    e.target.assign(e.ids.size(), 0);
    for (int id : tok.Encode(t.completion)) {
      e.ids.push_back(id);
      e.target.push_back(1);
    }
    if (tok.eos_id() >= 0) {
      e.ids.push_back(tok.eos_id());
      e.target.push_back(1);
    }
    if (static_cast<int>(e.ids.size()) > max_seq_len) {
      set.dropped_too_long++;
      continue;
    }
    for (uint8_t m : e.target) set.completion_tokens += m;
    set.total_tokens += static_cast<long long>(e.ids.size());
    set.examples.push_back(std::move(e));
  }
  return set;
}

}  // namespace trainers
