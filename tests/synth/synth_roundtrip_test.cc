// Synthetic files read back through the real loaders, extraction and sandbox: every generator's
// records load, their gold solutions and expert solutions of every style score 100%, sub-optimal
// solutions score exactly as labelled, P-CoT programs print the gold, tool calls show the output
// the tool really gives, LiveCodeBench reference solutions pass their tests, and the CLI writes the
// same bytes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cctype>
#include <iostream>
#include <regex>
#include <set>

#include "harness/sandbox/grader.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/text.h"
#include "tasks/extract/normalize.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "tests/synth/synth_test_util.h"

namespace {

using synth_test::Opt;
using tasks::synth::SynthItem;
using tasks::synth::SynthOptions;

const tasks::Task* FindOrNull(const std::string& name) {
  try {
    return &tasks::FindTask(name);
  } catch (const util::InputError&) {
    return nullptr;
  }
}

struct Loaded {
  const tasks::Task* task = nullptr;
  std::vector<SynthItem> items;
  std::vector<tasks::Record> records;
};

// File names follow what each loader infers its variant from.
Loaded WriteAndLoad(const SynthOptions& options, const std::string& file,
                    const std::string& variant) {
  Loaded out;
  out.task = FindOrNull(options.task);
  if (out.task == nullptr) return out;
  const std::string path = synth_test::TempPath(file);
  tasks::synth::WriteSynthetic(options, path);
  out.items = tasks::synth::GenerateItems(options);
  tasks::LoadOptions load;
  load.path = path;
  load.variant = variant;
  out.records = out.task->Load(load);
  return out;
}

bool Scores(const tasks::Task& task, const std::string& completion, const tasks::Record& record) {
  const std::string preset = task.extraction_presets().front();
  return task.IsCorrect(task.Extract(completion, record, preset), record);
}

struct LoaderCase {
  const char* task;
  const char* file;
  const char* variant;
};

const std::vector<LoaderCase>& LoaderCases() {
  static const std::vector<LoaderCase> kCases = {
      {"gsm8k", "gsm8k_synth.jsonl", ""},  {"svamp", "svamp_synth.json", ""},
      {"mathqa", "mathqa_synth.json", ""}, {"agieval", "agieval_synth.jsonl", "lsat-ar"},
      {"gpqa", "gpqa_main_synth.csv", ""}, {"aime", "aime24_synth.jsonl", ""},
  };
  return kCases;
}

TEST(SynthRoundTripTest, RecordsLoadAndEveryLabelledSolutionScoresAsLabelled) {
  for (const auto& c : LoaderCases()) {
    SCOPED_TRACE(c.task);
    for (const std::string split : {"train", "test"}) {
      Loaded l = WriteAndLoad(Opt(c.task, split, 40, 17, "mixed"), split + "_" + c.file, c.variant);
      if (l.task == nullptr) GTEST_SKIP() << "no loader registered for " << c.task;
      ASSERT_EQ(l.records.size(), l.items.size());
      for (size_t i = 0; i < l.records.size(); ++i) {
        const tasks::Record& r = l.records[i];
        const SynthItem& item = l.items[i];
        SCOPED_TRACE(r.source);
        EXPECT_EQ(r.gold, item.gold);
        EXPECT_TRUE(Scores(*l.task, r.gold_solution, r)) << r.gold_solution;
        ASSERT_FALSE(item.solutions.empty());
        for (const auto& s : item.solutions) {
          EXPECT_EQ(Scores(*l.task, s.text, r), s.correct) << s.source << " " << s.flaw << ":\n"
                                                           << s.text;
        }
      }
    }
  }
}

// Option-lookup drills (lookup_share) load with the letters their solutions name: GPQA's loader shuffles by
// the question text, which a drill replaces.
TEST(SynthRoundTripTest, LookupDrillsLoadAndTheirSolutionsAndPublishedFieldsScore) {
  for (const auto& c : LoaderCases()) {
    const std::string task = c.task;
    if (task != "mathqa" && task != "agieval" && task != "gpqa") continue;
    SCOPED_TRACE(task);
    SynthOptions options = Opt(c.task, "train", 40, 23, "ncot-check");
    options.lookup_share = 1.0;
    Loaded l = WriteAndLoad(options, std::string("drill_") + c.file, c.variant);
    if (l.task == nullptr) GTEST_SKIP() << "no loader registered for " << c.task;
    ASSERT_EQ(l.records.size(), l.items.size());
    for (size_t i = 0; i < l.records.size(); ++i) {
      const tasks::Record& r = l.records[i];
      EXPECT_EQ(r.gold, l.items[i].gold);
      EXPECT_EQ(r.question.rfind(task == "mathqa" ? "which option is " : "Which option is ", 0), 0u) << r.question;
      EXPECT_TRUE(Scores(*l.task, l.items[i].solutions.at(0).text, r)) << l.items[i].solutions[0].text;
      EXPECT_TRUE(Scores(*l.task, r.gold_solution, r)) << r.gold_solution;
    }
  }
}

TEST(SynthRoundTripTest, PublishedWorkedSolutionsScore) {
  // The worked solutions the layouts themselves carry: GSM8K's answer, AIME's solution, AGIEval's
  // other.solution.
  Loaded gsm = WriteAndLoad(Opt("gsm8k", "test", 30, 3), "gsm8k_published.jsonl", "");
  if (gsm.task == nullptr) GTEST_SKIP() << "no gsm8k loader";
  for (size_t i = 0; i < gsm.records.size(); ++i) {
    EXPECT_EQ(gsm.records[i].gold_solution, gsm.items[i].record["answer"].get<std::string>());
  }
  Loaded aime = WriteAndLoad(Opt("aime", "test", 30, 3), "aime24_published.jsonl", "");
  for (size_t i = 0; i < aime.records.size(); ++i) {
    const std::string solution = aime.items[i].record["solution"];
    EXPECT_TRUE(Scores(*aime.task, solution, aime.records[i])) << solution;
  }
  Loaded agi = WriteAndLoad(Opt("agieval", "test", 30, 3), "agieval_published.jsonl", "lsat-ar");
  for (size_t i = 0; i < agi.records.size(); ++i) {
    const std::string solution = agi.items[i].record["other"]["solution"];
    EXPECT_TRUE(Scores(*agi.task, solution, agi.records[i])) << solution;
    EXPECT_EQ(agi.records[i].choices.size(), 5u);
  }
  Loaded gpqa = WriteAndLoad(Opt("gpqa", "test", 30, 3), "gpqa_main_published.csv", "");
  for (size_t i = 0; i < gpqa.records.size(); ++i) {
    const tasks::Record& r = gpqa.records[i];
    ASSERT_EQ(r.choices.size(), 4u);
    EXPECT_EQ(r.choices[r.gold[0] - 'A'],
              gpqa.items[i].record["Correct Answer"].get<std::string>());
  }
}

TEST(SynthRoundTripTest, ToolStyleSolutionsScore) {
  for (const std::string style : {"tool", "ncot-tool"}) {
    for (const auto& c : LoaderCases()) {
      SCOPED_TRACE(style + " " + c.task);
      Loaded l = WriteAndLoad(Opt(c.task, "train", 30, 5, style), style + "_" + c.file, c.variant);
      if (l.task == nullptr) GTEST_SKIP() << "no loader registered for " << c.task;
      for (size_t i = 0; i < l.records.size(); ++i) {
        EXPECT_TRUE(Scores(*l.task, l.items[i].solutions.at(0).text, l.records[i]))
            << l.items[i].solutions[0].text;
      }
    }
  }
}

bool SamePrintedAnswer(const std::string& printed, const std::string& gold) {
  const std::string out = util::Trim(printed);
  if (out == gold) return true;
  auto a = tasks::extract::ParseNumber(out), b = tasks::extract::ParseNumber(gold);
  return a && b && std::abs(*a - *b) <= 1e-6 * std::max(1.0, std::abs(*b));
}

TEST(SynthRoundTripTest, PcotProgramsPrintTheGoldAnswer) {
  if (!synth_test::HavePython()) GTEST_SKIP() << "python3 not available";
  for (const auto& c : LoaderCases()) {
    SCOPED_TRACE(c.task);
    auto items = tasks::synth::GenerateItems(Opt(c.task, "train", 40, 23, "pcot"));
    nlohmann::json cases = nlohmann::json::array();
    for (const auto& item : items) {
      cases.push_back({{"kind", "stdin"}, {"program", item.solutions.at(0).text}, {"input", ""}});
    }
    nlohmann::json results = synth_test::RunPrograms(cases);
    ASSERT_EQ(results.size(), items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      EXPECT_TRUE(results[i]["ok"].get<bool>()) << results[i]["error"] << "\n"
                                                << items[i].solutions[0].text;
      EXPECT_TRUE(SamePrintedAnswer(results[i]["output"], items[i].gold))
          << "printed " << results[i]["output"] << ", gold " << items[i].gold << "\n"
          << items[i].solutions[0].text;
    }
  }
}

TEST(SynthRoundTripTest, PcotProgramsPrintTheGoldAnswerInTheSandbox) {
  // The path trainers use for P-CoT rewards: a fresh sandboxed interpreter per program.
  for (const auto& c : LoaderCases()) {
    SCOPED_TRACE(c.task);
    for (const auto& item : tasks::synth::GenerateItems(Opt(c.task, "test", 2, 41, "pcot"))) {
      sandbox::RunResult run = sandbox::RunPython(item.solutions.at(0).text, "", sandbox::Limits{});
      EXPECT_EQ(run.status, sandbox::Status::kPassed) << run.detail << run.stderr_text;
      EXPECT_TRUE(SamePrintedAnswer(run.stdout_text, item.gold))
          << "printed " << run.stdout_text << ", gold " << item.gold;
    }
  }
}

TEST(SynthRoundTripTest, ToolCallsShowWhatPythonPrints) {
  if (!synth_test::HavePython()) GTEST_SKIP() << "python3 not available";
  const std::regex call(R"(<code>\n([^<]*)\n</code>\n<output>\n([^<]*)\n</output>)");
  nlohmann::json cases = nlohmann::json::array();
  std::vector<std::string> expected;
  for (const auto& c : LoaderCases()) {
    for (const auto& item : tasks::synth::GenerateItems(Opt(c.task, "train", 30, 29, "tool"))) {
      const std::string& text = item.solutions.at(0).text;
      for (std::sregex_iterator it(text.begin(), text.end(), call), end; it != end; ++it) {
        cases.push_back({{"kind", "stdin"}, {"program", (*it)[1].str()}, {"input", ""}});
        expected.push_back((*it)[2].str() + "\n");
      }
    }
  }
  ASSERT_GT(expected.size(), 100u);  // heavy steps are common enough to exercise the tool
  nlohmann::json results = synth_test::RunPrograms(cases);
  ASSERT_EQ(results.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(results[i]["output"].get<std::string>(), expected[i]) << cases[i]["program"];
  }
}

// START's debug trajectories on code (livecodebench, tool_share): the program in the tool call prints what
// the <output> block says; a checked trajectory's output is sample 1's expected output, a repaired one's is
// not and is followed by the reference program; the last fenced block (what the grader takes) is always the
// reference program; the problem stream is the one without tool_share.
TEST(SynthRoundTripTest, CodeDebugTrajectoriesRunAsTheySay) {
  if (!synth_test::HavePython()) GTEST_SKIP() << "python3 not available";
  tasks::synth::SynthOptions options = Opt("livecodebench", "train", 60, 31);
  const auto plain = tasks::synth::GenerateItems(options);
  options.tool_share = 1.0;
  const auto items = tasks::synth::GenerateItems(options);
  ASSERT_EQ(items.size(), plain.size());
  const std::regex call(R"(\n<code>\n([\s\S]*)</code>\n<output>\n([^<]*)\n</output>\n)");
  const std::string hint = std::string("```\n") + tasks::synth::kDebugHint + "\n<code>\n";
  nlohmann::json cases = nlohmann::json::array();
  std::vector<std::string> printed;
  int repaired = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i].record.dump(), plain[i].record.dump());
    ASSERT_EQ(items[i].solutions.size(), 1u);
    const std::string& text = items[i].solutions[0].text;
    EXPECT_NE(text.find(hint), std::string::npos) << text;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, call)) << text;
    cases.push_back({{"kind", "stdin"}, {"program", m[1].str()}, {"input", ""}});
    printed.push_back(m[2].str());
    const std::string reference = items[i].record["reference_solution"].get<std::string>();
    const std::string last_block = "```python\n" + reference + "\n```";
    EXPECT_EQ(text.substr(text.size() - std::min(text.size(), last_block.size())) == last_block,
              text.find("Let me fix the solution.") != std::string::npos) << text;
    const auto tests = nlohmann::json::parse(items[i].record["public_test_cases"].get<std::string>());
    const std::string expected = util::Trim(tests[0]["output"].get<std::string>());
    if (text.find("Let me fix the solution.") != std::string::npos) {
      ++repaired;
      EXPECT_NE(printed.back(), expected) << text;
      EXPECT_NE(text.find("The sample output is " + expected + ", not " + printed.back() + "."), std::string::npos);
    } else {
      EXPECT_EQ(printed.back(), expected) << text;
      EXPECT_EQ(text.rfind("```python\n" + reference + "\n```\n", 0), 0u) << text;
    }
  }
  EXPECT_GT(repaired, 15);  // about half, where a nearby K changes sample 1's answer
  EXPECT_LT(repaired, 45);
  nlohmann::json results = synth_test::RunPrograms(cases);
  ASSERT_EQ(results.size(), printed.size());
  for (size_t i = 0; i < printed.size(); ++i) {
    EXPECT_EQ(results[i]["output"].get<std::string>(), printed[i] + "\n") << cases[i]["program"];
  }
}

// START's recomputation (style ncot-tool): each program prints exactly what its <output> block says, the
// text before the hint is the ncot-check solution, and the part after </output> repeats that solution's
// ending. Also a few hand-made edge cases of Python's number printing.
TEST(SynthRoundTripTest, ToolCheckProgramsPrintTheirOutputBlock) {
  if (!synth_test::HavePython()) GTEST_SKIP() << "python3 not available";
  const std::string hint = std::string("\n") + tasks::synth::kPythonHint + "\n<code>\n";
  nlohmann::json cases = nlohmann::json::array();
  std::vector<std::string> expected;
  auto add = [&](const std::string& text) {
    const size_t code = text.find("<code>\n"), code_end = text.find("\n</code>\n<output>\n");
    const size_t out_end = text.find("\n</output>");
    ASSERT_NE(code, std::string::npos) << text;
    ASSERT_NE(code_end, std::string::npos) << text;
    ASSERT_NE(out_end, std::string::npos) << text;
    const size_t out = code_end + std::string("\n</code>\n<output>\n").size();
    cases.push_back({{"kind", "stdin"}, {"program", text.substr(code + 7, code_end - code - 7)}, {"input", ""}});
    expected.push_back(text.substr(out, out_end - out) + "\n");
  };
  for (const auto& c : LoaderCases()) {
    SCOPED_TRACE(c.task);
    auto items = tasks::synth::GenerateItems(Opt(c.task, "train", 150, 31, "ncot-tool"));
    auto plain = tasks::synth::GenerateItems(Opt(c.task, "train", 150, 31, "ncot-check"));
    int with_code = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string& text = items[i].solutions.at(0).text;
      const std::string& head = plain[i].solutions.at(0).text;
      if (text.find("<code>") == std::string::npos) {
        EXPECT_EQ(text, head);
        continue;
      }
      ++with_code;
      EXPECT_EQ(text.substr(0, head.size() + hint.size()), head + hint);
      const std::string tail = text.substr(text.find("\n</output>\n") + 11);
      ASSERT_GE(head.size(), tail.size());
      EXPECT_EQ(head.substr(head.size() - tail.size()), tail);
      EXPECT_EQ(tail.rfind(items[i].gold.size() == 1 && std::isalpha(items[i].gold[0]) ? "So the answer is " : "The answer is ", 0), 0u)
          << text;
      add(text);
    }
    // agieval/gpqa orderings have no arithmetic; every other family does.
    EXPECT_GE(with_code, c.task == std::string("agieval") || c.task == std::string("gpqa") ? 50 : 150);
  }
  // Python's printing: int overflow-free products, float repr, tiny and huge floats, float floor division.
  using tasks::synth::Calc;
  using tasks::synth::Lit;
  using tasks::synth::Ref;
  const std::vector<std::vector<tasks::synth::CalcStep>> edge = {
      {Calc('+', Lit(0.1, ""), Lit(0.2, ""), "", "", "")},
      {Calc('*', Lit(987654321, ""), Lit(123456789, ""), "", "", ""), Calc('*', Ref(0), Lit(1000, ""), "", "", "")},
      {Calc('/', Lit(1, ""), Lit(3, ""), "", "", "")},
      {Calc('/', Lit(1, ""), Lit(100000, ""), "", "", "")},
      {Calc('/', Lit(1, ""), Lit(10000, ""), "", "", "")},
      {Calc('*', Lit(2.5, ""), Lit(1e16, ""), "", "", "")},
      {Calc('*', Lit(1.5, ""), Lit(1e15, ""), "", "", "")},
      {Calc('/', Lit(0.3, ""), Lit(0.1, ""), "", "", "")},
      {Calc('%', Lit(7.5, ""), Lit(2, ""), "", "", "")},
      {Calc('-', Lit(2, ""), Lit(7.25, ""), "", "", "")},
      {Calc('/', Lit(9, ""), Lit(4, ""), "", "", ""), Calc('*', Ref(0), Lit(4, ""), "", "", ""),
       Calc('/', Ref(1), Lit(3, ""), "", "", ""), Calc('%', Ref(2), Lit(2, ""), "", "", "")},
  };
  for (const auto& steps : edge) {
    tasks::synth::Derivation d;
    d.steps = steps;
    d.answer = "0";
    add(tasks::synth::RenderNcotToolCheck(d));
  }
  nlohmann::json results = synth_test::RunPrograms(cases);
  ASSERT_EQ(results.size(), expected.size());
  int matches = 0;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(results[i]["ok"].get<bool>()) << results[i]["error"] << "\n" << cases[i]["program"];
    const bool same = results[i]["output"].get<std::string>() == expected[i];
    matches += same ? 1 : 0;
    EXPECT_TRUE(same) << "python printed " << results[i]["output"] << ", text says " << expected[i] << "\n"
                      << cases[i]["program"];
  }
  std::cout << "ncot-tool programs: " << matches << "/" << expected.size() << " print their <output> block\n";
}

TEST(SynthRoundTripTest, LiveCodeBenchReferenceSolutionsPassInTheSandbox) {
  // The sandbox starts a fresh interpreter per test (about 0.2 s each), so this checks a few
  // problems of every difficulty and both styles; the next test covers many more through one
  // interpreter.
  Loaded l = WriteAndLoad(Opt("livecodebench", "test", 8, 31), "lcb_synth.jsonl", "");
  if (l.task == nullptr) GTEST_SKIP() << "no livecodebench loader";
  ASSERT_EQ(l.records.size(), 8u);
  std::set<std::string> platforms, difficulties;
  std::vector<std::pair<const tasks::Record*, std::string>> jobs;
  for (size_t i = 0; i < l.records.size(); ++i) {
    EXPECT_EQ(l.records[i].id, l.items[i].record["question_id"].get<std::string>());
    platforms.insert(l.items[i].record["platform"].get<std::string>());
    difficulties.insert(l.items[i].record["difficulty"].get<std::string>());
    jobs.push_back({&l.records[i], l.items[i].record["reference_solution"].get<std::string>()});
  }
  EXPECT_EQ(platforms, (std::set<std::string>{"atcoder", "leetcode"}));
  EXPECT_EQ(difficulties, (std::set<std::string>{"easy", "medium", "hard"}));
  auto results = sandbox::GradeMany(jobs, sandbox::Limits{}, 2);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(results[i].passed)
        << sandbox::StatusName(results[i].status) << " " << results[i].detail << "\n"
        << jobs[i].second;
    EXPECT_EQ(results[i].tests_total, 10);
  }
}

TEST(SynthRoundTripTest, LiveCodeBenchReferenceSolutionsPassEveryTest) {
  if (!synth_test::HavePython()) GTEST_SKIP() << "python3 not available";
  nlohmann::json cases = nlohmann::json::array();
  std::vector<std::string> expected;
  for (const auto& item : tasks::synth::GenerateItems(Opt("livecodebench", "train", 80, 37))) {
    const auto& rec = item.record;
    const bool functional = rec["platform"] == "leetcode";
    std::string func =
        functional ? nlohmann::json::parse(rec["metadata"].get<std::string>())["func_name"] : "";
    for (const char* field : {"public_test_cases", "private_test_cases"}) {
      for (const auto& t : nlohmann::json::parse(rec[field].get<std::string>())) {
        EXPECT_EQ(t["testtype"], functional ? "functional" : "stdin");
        cases.push_back({{"kind", functional ? "functional" : "stdin"},
                         {"func", func},
                         {"program", rec["reference_solution"]},
                         {"input", t["input"]}});
        expected.push_back(t["output"]);
      }
    }
  }
  nlohmann::json results = synth_test::RunPrograms(cases);
  ASSERT_EQ(results.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(results[i]["ok"].get<bool>()) << results[i]["error"];
    EXPECT_EQ(util::Trim(results[i]["output"].get<std::string>()), util::Trim(expected[i]))
        << cases[i]["program"] << "\ninput: " << cases[i]["input"];
  }
}

int RunCli(const std::string& args) {
  int status =
      std::system((std::string(HARNESS_BINARY) + " synth " + args + " > /dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SynthRoundTripTest, CliWritesTheLibraryBytesAndRejectsBadInputWithExitCode2) {
  const std::string path = synth_test::TempPath("cli_gsm8k.jsonl");
  ASSERT_EQ(RunCli("--task gsm8k --split test --n 12 --seed 5 --style mixed --steps 2 --wrong-rate "
                   "0.25 --out " +
                   path),
            0);
  auto o = Opt("gsm8k", "test", 12, 5, "mixed", 2);
  o.wrong_rate = 0.25;
  EXPECT_EQ(util::ReadFile(path), tasks::synth::SynthesizeFile(o));
  EXPECT_EQ(RunCli("--task gsm8k --style cot --out " + path), 2);
  EXPECT_EQ(RunCli("--task gsm9k --out " + path), 2);
  EXPECT_EQ(RunCli("--task svamp --steps 9 --out " + path), 2);
}

}  // namespace
