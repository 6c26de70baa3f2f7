// Every benchmark file under ../shared/data loads for its task with the record counts that
// data/README.md and SOURCES.md give, and every record's gold solution scores as correct under the
// default preset (records the dataset marks broken aside). Skipped when the folder is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "harness/util/files.h"
#include "tests/tasks/task_test_util.h"

namespace {

namespace fs = std::filesystem;

const std::string kData = HARNESS_SHARED_DATA;

struct DataFile {
  const char* task;
  const char* path;  // relative to the shared data folder
  size_t records;
  size_t broken;  // records the dataset itself marks broken
};

const std::vector<DataFile>& DataFiles() {
  static const std::vector<DataFile> kFiles = {
      {"gsm8k", "gsm8k/test.jsonl", 1319, 0},
      {"gsm8k", "gsm8k/train.jsonl", 7473, 0},
      {"gsm8k", "gsm8k/test_socratic.jsonl", 1319, 0},
      {"gsm8k", "mwp_reft/gsm8k_test_set.json", 1319, 0},
      {"gsm8k", "qwen2.5-math/gsm8k/test.jsonl", 1319, 0},
      {"svamp", "svamp/SVAMP.json", 1000, 0},
      {"svamp", "mwp_reft/svamp_test_set.json", 1000, 0},
      {"svamp", "mwp_reft/svamp_nl.json", 3076, 0},
      {"svamp", "mwp_reft/svamp_python_sdp.json", 3043, 0},
      {"svamp", "qwen2.5-math/svamp/test.jsonl", 1000, 0},
      {"mathqa", "mathqa/ongzexuan_mathqa-evaluation/test.json", 2985, 10},
      {"mathqa", "mathqa/ongzexuan_mathqa-evaluation/challenge_test.json", 604, 3},
      {"mathqa", "mathqa/math-evaluation-harness/test.jsonl", 1000, 0},
      {"mathqa", "mwp_reft/mathqa_test_set.json", 1605, 0},
      {"mathqa", "mwp_reft/mathqa-numeric_test_set.json", 1605, 0},
      {"agieval", "agieval/v1/aqua-rat.jsonl", 254, 0},
      {"agieval", "agieval/v1/gaokao-biology.jsonl", 210, 0},
      {"agieval", "agieval/v1/gaokao-chemistry.jsonl", 207, 0},
      {"agieval", "agieval/v1/gaokao-chinese.jsonl", 246, 0},
      {"agieval", "agieval/v1/gaokao-english.jsonl", 306, 0},
      {"agieval", "agieval/v1/gaokao-geography.jsonl", 199, 0},
      {"agieval", "agieval/v1/gaokao-history.jsonl", 235, 0},
      {"agieval", "agieval/v1/gaokao-mathcloze.jsonl", 118, 0},
      {"agieval", "agieval/v1/gaokao-mathqa.jsonl", 351, 0},
      {"agieval", "agieval/v1/gaokao-physics.jsonl", 200, 0},
      {"agieval", "agieval/v1/jec-qa-ca.jsonl", 1000, 0},
      {"agieval", "agieval/v1/jec-qa-kd.jsonl", 1000, 1} /* empty label */,
      {"agieval", "agieval/v1/logiqa-en.jsonl", 651, 0},
      {"agieval", "agieval/v1/logiqa-zh.jsonl", 651, 0},
      {"agieval", "agieval/v1/lsat-ar.jsonl", 230, 0},
      {"agieval", "agieval/v1/lsat-lr.jsonl", 510, 0},
      {"agieval", "agieval/v1/lsat-rc.jsonl", 269, 0},
      {"agieval", "agieval/v1/math.jsonl", 1000, 0},
      {"agieval", "agieval/v1/sat-en-without-passage.jsonl", 206, 0},
      {"agieval", "agieval/v1/sat-en.jsonl", 206, 0},
      {"agieval", "agieval/v1/sat-math.jsonl", 220, 0},
      {"gpqa", "gpqa/gpqa_diamond.csv", 198, 0},
      {"gpqa", "gpqa/gpqa_main.csv", 448, 0},
      {"gpqa", "gpqa/gpqa_extended.csv", 546, 0},
      {"gpqa", "gpqa/simple-evals_pr20/gpqa_diamond.csv", 198, 0},
      {"aime", "aime/qwq/aime24.jsonl", 30, 0},
      {"aime", "aime/qwq/aime25.jsonl", 30, 0},
      {"aime", "aime/qwen2.5-math_aime24/test.jsonl", 30, 0},
      {"aime", "qwen2.5-math/aime24/test.jsonl", 30, 0},
      {"livecodebench", "livecodebench/mavencoder/lcb.jsonl", 400, 0},
      {"livecodebench", "livecodebench/qwq/livecodebench_v5.jsonl", 279, 0},
  };
  return kFiles;
}

// Files under the data folder that are no task's data: documentation, licences, lists read by a
// loader beside its data file, and Qwen2.5-Math sets of benchmarks this harness does not cover.
bool NotTaskData(const std::string& relative) {
  static const std::set<std::string> kOther = {
      "README.md", "SOURCES.md", "agieval/v1/LICENSE", "gpqa/license.txt",
      "agieval/few_shot_prompts.csv", "mathqa/ongzexuan_mathqa-evaluation/test_broken.txt",
      "mathqa/ongzexuan_mathqa-evaluation/challenge_broken.txt", "qwen2.5-math/amc23/test.jsonl",
      "qwen2.5-math/aqua/test.jsonl",
      // not one of the three GPQA question sets (absent from some copies)
      "gpqa/gpqa_experts.csv"};
  return kOther.count(relative) > 0;
}

class SharedData : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kData)) GTEST_SKIP() << "no shared data at " << kData;
  }
};

TEST_F(SharedData, EveryFileBelongsToATaskOrIsKnownNotTo) {
  std::set<std::string> mapped;
  for (const auto& f : DataFiles()) mapped.insert(f.path);
  for (const auto& entry : fs::recursive_directory_iterator(kData)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), kData).string();
    EXPECT_TRUE(mapped.count(relative) || NotTaskData(relative))
        << "unmapped data file " << relative;
  }
}

TEST_F(SharedData, EveryFileLoadsWithItsRecordCountAndGoldSolutionsScoreCorrect) {
  size_t files = 0;
  for (const DataFile& f : DataFiles()) {
    const std::string path = kData + "/" + f.path;
    if (!util::FileExists(path))
      continue;  // listed in SOURCES.md but not in every copy of the folder
    SCOPED_TRACE(f.path);
    ++files;
    const tasks::Task& task = tasks::FindTask(f.task);
    std::vector<tasks::Record> records;
    ASSERT_NO_THROW(records = tasks_test::Load(f.task, path));
    EXPECT_EQ(records.size(), f.records);
    size_t broken = 0, wrong = 0;
    std::set<std::string> ids;
    for (const tasks::Record& r : records) {
      ids.insert(r.id);
      if (r.broken) {
        ++broken;
        continue;
      }
      if (r.kind == tasks::AnswerKind::kCode) continue;
      const tasks::ExtractedAnswer answer = task.Extract(r.gold_solution, r, "default");
      if (!task.IsCorrect(answer, r)) {
        if (++wrong <= 3) {
          ADD_FAILURE() << r.source << " id " << r.id << ": gold '" << r.gold << "', extracted '"
                        << answer.value << "' by " << answer.rule;
        }
      }
    }
    EXPECT_EQ(broken, f.broken);
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(ids.size(), records.size()) << "ids are not unique";
  }
  EXPECT_GE(files, 40u);
}

TEST_F(SharedData, GoldQuirksFromTheDataReadme) {
  // GSM8K: 14 test golds carry thousands separators, 2 are negative.
  const std::string gsm = kData + "/gsm8k/test.jsonl";
  if (!util::FileExists(gsm)) GTEST_SKIP();
  size_t with_commas = 0, negative = 0;
  for (const auto& r : tasks_test::Load("gsm8k", gsm)) {
    const std::string tail = r.gold_solution.substr(r.gold_solution.rfind("####"));
    with_commas += tail.find(',') != std::string::npos;
    negative += r.gold[0] == '-';
    EXPECT_EQ(r.gold.find(','), std::string::npos);
  }
  EXPECT_EQ(with_commas, 14u);
  EXPECT_EQ(negative, 2u);

  // AGIEval: 35 gaokao-physics rows and 2 gaokao-mathqa rows are multi-answer; jec-qa all are.
  auto count_sets = [](const std::vector<tasks::Record>& records) {
    size_t n = 0;
    for (const auto& r : records) n += r.kind == tasks::AnswerKind::kChoiceSet;
    return n;
  };
  EXPECT_EQ(count_sets(tasks_test::Load("agieval", kData + "/agieval/v1/gaokao-physics.jsonl")),
            35u);
  EXPECT_EQ(count_sets(tasks_test::Load("agieval", kData + "/agieval/v1/gaokao-mathqa.jsonl")), 7u);
  EXPECT_EQ(count_sets(tasks_test::Load("agieval", kData + "/agieval/v1/jec-qa-ca.jsonl")), 1000u);

  // LiveCodeBench release_v1: 181 functional (func_name) and 219 stdin problems, all inside the v1
  // window.
  tasks::LoadOptions options;
  options.path = kData + "/livecodebench/mavencoder/lcb.jsonl";
  options.filters = {{"release", "release_v1"}};
  size_t functional = 0;
  auto lcb = tasks::FindTask("livecodebench").Load(options);
  for (const auto& r : lcb) functional += r.extra["func_name"].is_string();
  EXPECT_EQ(lcb.size(), 400u);
  EXPECT_EQ(functional, 181u);

  // AIME: Qwen's zero-padded answers and QwQ's integers agree for 2024, and the boxed instruction
  // is gone.
  auto qwq = tasks_test::Load("aime", kData + "/aime/qwq/aime24.jsonl");
  auto qwen = tasks_test::Load("aime", kData + "/aime/qwen2.5-math_aime24/test.jsonl");
  ASSERT_EQ(qwq.size(), qwen.size());
  for (size_t i = 0; i < qwq.size(); ++i) {
    EXPECT_EQ(qwq[i].gold, qwen[i].gold);
    EXPECT_EQ(qwq[i].question.find("Please reason step by step"), std::string::npos);
    // The same problems (QwQ's copy drops two [asy] diagrams, so compare the openings).
    EXPECT_EQ(qwq[i].question.substr(0, 60), qwen[i].question.substr(0, 60));
  }
}

TEST_F(SharedData, AgievalFewShotPromptsForEverySubset) {
  const std::string csv = kData + "/agieval/few_shot_prompts.csv";
  if (!util::FileExists(csv)) GTEST_SKIP();
  tasks::PromptOptions options;
  options.template_name = "fewshot-v1";
  options.few_shot_file = csv;
  const tasks::Task& task = tasks::FindTask("agieval");
  for (const std::string& subset : task.variants()) {
    SCOPED_TRACE(subset);
    const std::string path = kData + "/agieval/v1/" + subset + ".jsonl";
    auto records = tasks_test::Load("agieval", path);
    const std::string prompt = task.RenderPrompt(records[0], options);
    const bool chinese = prompt.rfind("问题 1.", 0) == 0;
    EXPECT_TRUE(chinese || prompt.rfind("Problem 1.", 0) == 0) << prompt.substr(0, 80);
    EXPECT_NE(prompt.find(chinese ? "问题 4." : "Problem 4."),
              std::string::npos);  // at least 3 demonstrations
    EXPECT_NE(prompt.find(records[0].question), std::string::npos);
  }
}

TEST_F(SharedData, GpqaLettersAreSpreadAndStable) {
  const std::string path = kData + "/gpqa/gpqa_diamond.csv";
  if (!util::FileExists(path)) GTEST_SKIP();
  auto first = tasks_test::Load("gpqa", path);
  auto second = tasks_test::Load("gpqa", path);
  std::map<std::string, int> letters;
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].choice_order, second[i].choice_order);
    ++letters[first[i].gold];
  }
  ASSERT_EQ(letters.size(), 4u);
  for (const auto& [letter, n] : letters) EXPECT_GT(n, 30) << letter;  // 198 records, ~50 each
}

}  // namespace
