// The task registry as a whole: the explicit list, "did you mean", templates and presets of every
// task, gold solutions that score 100% under the default preset on every fixture, and the output
// of `harness tasks`.
#include <gtest/gtest.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ExpectInputError;
using tasks_test::Fixture;

const std::vector<std::string> kTaskNames = {"gsm8k", "mathqa", "svamp",        "agieval",
                                             "gpqa",  "aime",   "livecodebench"};

TEST(Registry, EveryTaskOnceInDisplayOrder) {
  std::vector<std::string> names;
  for (const std::string& n : tasks::TaskNames()) {
    if (std::find(kTaskNames.begin(), kTaskNames.end(), n) != kTaskNames.end()) names.push_back(n);
  }
  EXPECT_EQ(names, kTaskNames);
  const std::vector<std::string> all = tasks::TaskNames();
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size());
}

TEST(Registry, UnknownTaskSuggestsTheClosestName) {
  ExpectInputError([] { tasks::FindTask("gsm9k"); }, "", 0, "task", "did you mean 'gsm8k'");
  ExpectInputError([] { tasks::FindTask("aimee"); }, "", 0, "task", "did you mean 'aime'");
}

TEST(Registry, EveryTaskDescribesItselfAndHasAZeroShotTemplate) {
  for (const tasks::Task* task : tasks::AllTasks()) {
    SCOPED_TRACE(task->name());
    EXPECT_FALSE(task->version().empty());
    EXPECT_FALSE(task->variants().empty());
    EXPECT_FALSE(task->description().empty());
    const auto templates = task->templates();
    EXPECT_NE(std::find(templates.begin(), templates.end(), "zeroshot-cot-v1"), templates.end());
    const auto presets = task->extraction_presets();
    ASSERT_FALSE(presets.empty());
    EXPECT_EQ(presets.front(), "default");
  }
}

// qa-v1: the instruction-free layout every family but AIME and LiveCodeBench offers, for small
// models fine-tuned on the tasks' own solutions.
TEST(Registry, QaTemplateIsQuestionOptionsAnswer) {
  tasks::Record numeric;
  numeric.question = "Ann has 3 pens. How many?";
  tasks::PromptOptions options;
  options.template_name = "qa-v1";
  for (const char* name : {"gsm8k", "svamp"}) {
    EXPECT_EQ(tasks::FindTask(name).RenderPrompt(numeric, options), "Question: Ann has 3 pens. How many?\nAnswer:");
  }
  tasks::Record choice = numeric;
  choice.kind = tasks::AnswerKind::kChoice;
  choice.choices = {"3", "4"};
  for (const char* name : {"mathqa", "agieval", "gpqa"}) {
    EXPECT_EQ(tasks::FindTask(name).RenderPrompt(choice, options),
              "Question: Ann has 3 pens. How many?\nOptions:\n(A) 3\n(B) 4\nAnswer:")
        << name;
  }
  choice.passage = "Pens are blue.";
  EXPECT_EQ(tasks::FindTask("agieval").RenderPrompt(choice, options),
            "Passage: Pens are blue.\nQuestion: Ann has 3 pens. How many?\nOptions:\n(A) 3\n(B) 4\nAnswer:");
}

struct Roundtrip {
  const char* task;
  const char* file;
};

void PrintTo(const Roundtrip& r, std::ostream* os) {
  *os << tasks_test::Slug(std::string(r.task) + ":" + r.file);
}

class GoldSolutions : public ::testing::TestWithParam<Roundtrip> {};

// The gold solution of every record, read back with the default preset, must be judged correct.
TEST_P(GoldSolutions, ScoreAsCorrectUnderTheDefaultPreset) {
  const tasks::Task& task = tasks::FindTask(GetParam().task);
  const std::string preset = task.extraction_presets().front();
  auto records = tasks_test::Load(GetParam().task, Fixture(GetParam().file));
  ASSERT_FALSE(records.empty());
  for (const tasks::Record& r : records) {
    if (r.broken) continue;
    SCOPED_TRACE(r.id + ": " + r.gold_solution);
    const tasks::ExtractedAnswer answer = task.Extract(r.gold_solution, r, preset);
    EXPECT_TRUE(answer.valid);
    EXPECT_TRUE(task.IsCorrect(answer, r))
        << "extracted '" << answer.value << "' by " << answer.rule << ", gold '" << r.gold << "'";
    EXPECT_FALSE(task.RenderPrompt(r, {}).empty());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, GoldSolutions,
    ::testing::Values(
        Roundtrip{"gsm8k", "gsm8k/test.jsonl"}, Roundtrip{"gsm8k", "gsm8k/test_socratic.jsonl"},
        Roundtrip{"gsm8k", "gsm8k/qwen_test.jsonl"},
        Roundtrip{"gsm8k", "gsm8k/gsm8k_test_set.json"}, Roundtrip{"svamp", "svamp/SVAMP.json"},
        Roundtrip{"svamp", "svamp/qwen_test.jsonl"},
        Roundtrip{"svamp", "svamp/svamp_test_set.json"}, Roundtrip{"aime", "aime/aime24.jsonl"},
        Roundtrip{"aime", "aime/aime25.jsonl"},
        Roundtrip{"aime", "aime/qwen2.5-math_aime24/test.jsonl"},
        Roundtrip{"mathqa", "mathqa/original/test.json"},
        Roundtrip{"mathqa", "mathqa/original/challenge_test.json"},
        Roundtrip{"mathqa", "mathqa/harness/test.jsonl"},
        Roundtrip{"mathqa", "mathqa/reft/mathqa_test_set.json"},
        Roundtrip{"mathqa", "mathqa/reft/mathqa-numeric_test_set.json"},
        Roundtrip{"agieval", "agieval/lsat-ar.jsonl"},
        Roundtrip{"agieval", "agieval/sat-en-without-passage.jsonl"},
        Roundtrip{"agieval", "agieval/gaokao-physics.jsonl"},
        Roundtrip{"agieval", "agieval/gaokao-mathqa.jsonl"},
        Roundtrip{"agieval", "agieval/jec-qa-kd.jsonl"}, Roundtrip{"agieval", "agieval/math.jsonl"},
        Roundtrip{"gpqa", "gpqa/gpqa_diamond.csv"}, Roundtrip{"gpqa", "gpqa/gpqa_main.csv"}));

struct AnswerFormat {
  const char* task;
  const char* file;
  const char* template_name;
  const char* completion_tail;  // how a completion following the template's instruction ends
};

void PrintTo(const AnswerFormat& f, std::ostream* os) {
  *os << tasks_test::Slug(std::string(f.task) + ":" + f.file + ":" + f.template_name);
}

class TemplateAnswerFormats : public ::testing::TestWithParam<AnswerFormat> {};

// Each template asks for a final answer in some format; the default preset must read that format.
TEST_P(TemplateAnswerFormats, DefaultPresetReadsTheRequestedFormat) {
  const AnswerFormat& f = GetParam();
  const tasks::Task& task = tasks::FindTask(f.task);
  auto records = tasks_test::Load(f.task, Fixture(f.file));
  const tasks::Record& r = records.front();
  tasks::PromptOptions options;
  options.template_name = f.template_name;
  options.few_shot_file = Fixture("agieval/few_shot_prompts.csv");
  ASSERT_FALSE(task.RenderPrompt(r, options).empty());
  std::string tail = f.completion_tail;
  const size_t at = tail.find("{}");
  if (at != std::string::npos) tail.replace(at, 2, r.gold);
  const std::string completion =
      "Some reasoning with numbers 3 and 4 and option (E) along the way.\n" + tail;
  const tasks::ExtractedAnswer answer = task.Extract(completion, r, "default");
  EXPECT_TRUE(task.IsCorrect(answer, r))
      << completion << " -> '" << answer.value << "' by " << answer.rule;
}

INSTANTIATE_TEST_SUITE_P(
    Templates, TemplateAnswerFormats,
    ::testing::Values(
        AnswerFormat{"gsm8k", "gsm8k/test.jsonl", "zeroshot-cot-v1", "The answer is {}."},
        AnswerFormat{"gsm8k", "gsm8k/test.jsonl", "fewshot-cot-8-v1", "The answer is {}."},
        AnswerFormat{"svamp", "svamp/SVAMP.json", "fewshot-cot-8-v1", "The answer is {}."},
        AnswerFormat{"mathqa", "mathqa/original/test.json", "zeroshot-cot-v1",
                     "The answer is ({})"},
        AnswerFormat{"agieval", "agieval/lsat-ar.jsonl", "zeroshot-cot-v1", "The answer is ({})"},
        AnswerFormat{"agieval", "agieval/gaokao-physics.jsonl", "fewshot-v1",
                     "问题 2的解析:   所以选它。\n答案是 {}"},
        AnswerFormat{"agieval", "agieval/math.jsonl", "zeroshot-cot-v1", "So we get \\boxed{{}}."},
        AnswerFormat{"gpqa", "gpqa/gpqa_diamond.csv", "zeroshot-cot-v1", "The answer is ({})"},
        AnswerFormat{"gpqa", "gpqa/gpqa_diamond.csv", "simple-evals-v1", "Answer: {}"},
        AnswerFormat{"gpqa", "gpqa/gpqa_diamond.csv", "lm-eval-cot-v1", "The answer is ({})."},
        AnswerFormat{"aime", "aime/aime24.jsonl", "zeroshot-cot-v1", "Hence \\boxed{{}}."}));

// AGIEval's own few-shot demonstrations end "The answer is therefore X" (its post_process reads
// "answer is .*?([A-G])"); the default preset does not read that line yet (tasks/extract owns
// this).
INSTANTIATE_TEST_SUITE_P(
    AgievalFewShotAnswerLine, TemplateAnswerFormats,
    ::testing::Values(
        AnswerFormat{"agieval", "agieval/lsat-ar.jsonl", "fewshot-v1",
                     "Explanation for Problem 3:   So it is that one.\nThe answer is therefore {}"},
        AnswerFormat{"agieval", "agieval/math.jsonl", "fewshot-v1",
                     "Explanation for Problem 2:   Add.\nThe answer is therefore {}"}));

std::string RunHarness(const std::string& args, int* status) {
  std::string out;
  FILE* pipe = ::popen((std::string(HARNESS_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!pipe) return out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  *status = ::pclose(pipe);
  return out;
}

TEST(HarnessTasksCommand, JsonListsEveryTaskWithItsTemplatesAndPresets) {
  int status = -1;
  const std::string out = RunHarness("tasks --json", &status);
  ASSERT_EQ(status, 0) << out;
  const nlohmann::json rows = nlohmann::json::parse(out);
  ASSERT_EQ(rows.size(), tasks::AllTasks().size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const tasks::Task& task = *tasks::AllTasks()[i];
    EXPECT_EQ(rows[i]["name"], task.name());
    EXPECT_EQ(rows[i]["version"], task.version());
    EXPECT_EQ(rows[i]["templates"], task.templates());
    EXPECT_EQ(rows[i]["extraction_presets"], task.extraction_presets());
    EXPECT_EQ(rows[i]["variants"], task.variants());
  }
}

TEST(HarnessTasksCommand, TextListsEveryTask) {
  int status = -1;
  const std::string out = RunHarness("tasks", &status);
  ASSERT_EQ(status, 0) << out;
  for (const tasks::Task* task : tasks::AllTasks()) {
    EXPECT_NE(out.find(task->name() + " (v" + task->version() + ")"), std::string::npos) << out;
  }
}

}  // namespace
