// Generator tests that need no loader: determinism per seed, train/test disjointness, difficulty
// knobs, multiple-choice distractors, the mixed-quality wrong-answer rate, CSV quoting and bad
// input.
#include "tasks/synth/synth.h"
#include "tasks/synth/derivation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/text.h"
#include "tasks/registry.h"
#include "tests/synth/synth_test_util.h"

namespace {

using synth_test::Opt;
using tasks::synth::GenerateItems;
using tasks::synth::SynthesizeFile;
using tasks::synth::SynthItem;

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos;
       p = text.find(needle, p + needle.size()))
    ++n;
  return n;
}

TEST(SynthTest, ListsAllSevenFamilies) {
  EXPECT_EQ(tasks::synth::SynthTaskNames(),
            (std::vector<std::string>{"gsm8k", "svamp", "mathqa", "agieval", "gpqa", "aime",
                                      "livecodebench"}));
}

TEST(SynthTest, SameSeedGivesSameBytesAndOtherSeedsDiffer) {
  for (const auto& task : tasks::synth::SynthTaskNames()) {
    SCOPED_TRACE(task);
    std::string style = task == "livecodebench" ? "" : "mixed";
    std::string a = SynthesizeFile(Opt(task, "train", 25, 7, style));
    std::string b = SynthesizeFile(Opt(task, "train", 25, 7, style));
    std::string c = SynthesizeFile(Opt(task, "train", 25, 8, style));
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    EXPECT_FALSE(a.empty());
  }
}

TEST(SynthTest, TrainAndTestSplitsAreDisjointByNormalisedText) {
  for (const auto& task : tasks::synth::SynthTaskNames()) {
    SCOPED_TRACE(task);
    int n_train = task == "livecodebench" ? 120 : 300;
    std::vector<SynthItem> train = GenerateItems(Opt(task, "train", n_train, 1));
    std::vector<SynthItem> test = GenerateItems(Opt(task, "test", 40, 2));
    std::set<std::string> train_keys, test_keys;
    for (const auto& item : train) {
      EXPECT_FALSE(tasks::synth::IsTestKey(item.key));
      train_keys.insert(item.key);
    }
    for (const auto& item : test) {
      EXPECT_TRUE(tasks::synth::IsTestKey(item.key));
      test_keys.insert(item.key);
    }
    EXPECT_EQ(train_keys.size(), train.size()) << "duplicates inside the train split";
    EXPECT_EQ(test_keys.size(), test.size()) << "duplicates inside the test split";
    for (const auto& key : test_keys) EXPECT_EQ(train_keys.count(key), 0u) << key;
    if (task == "livecodebench") continue;  // its key is the statement without the random samples
    // The same check on the question text as written in the published fields.
    auto published = [&task](const SynthItem& item) -> std::string {
      const auto& r = item.record;
      if (task == "gsm8k") return r["question"];
      if (task == "svamp")
        return r["Body"].get<std::string>() + " " + r["Question"].get<std::string>();
      if (task == "mathqa") return r["Problem"];
      if (task == "agieval") return r["question"];
      if (task == "gpqa") return r["Question"];
      return r["problem"];
    };
    std::set<std::string> train_text;
    for (const auto& item : train)
      train_text.insert(tasks::synth::NormalizeForSplit(published(item)));
    for (const auto& item : test)
      EXPECT_EQ(train_text.count(tasks::synth::NormalizeForSplit(published(item))), 0u);
  }
}

TEST(SynthTest, SplitKeyIsTheNormalisedQuestionText) {
  auto items = GenerateItems(Opt("gsm8k", "train", 5, 3));
  for (const auto& item : items) {
    EXPECT_EQ(item.key,
              tasks::synth::NormalizeForSplit(item.record["question"].get<std::string>()));
  }
  EXPECT_EQ(tasks::synth::NormalizeForSplit("  Ava  HAS\n3 apples. "), "ava has 3 apples.");
}

TEST(SynthTest, Gsm8kStepsKnobSetsTheNumberOfCalculations) {
  for (int steps = 1; steps <= 6; ++steps) {
    SCOPED_TRACE(steps);
    for (const auto& item : GenerateItems(Opt("gsm8k", "train", 40, 11, "", steps))) {
      const std::string answer = item.record["answer"];
      EXPECT_EQ(Count(answer, "<<"), steps) << answer;
      EXPECT_EQ(item.steps, steps);
      EXPECT_TRUE(util::EndsWith(answer, "#### " + item.gold)) << answer;
    }
  }
}

TEST(SynthTest, Gsm8kDefaultMixesOneToFourSteps) {
  std::set<int> seen;
  for (const auto& item : GenerateItems(Opt("gsm8k", "train", 200, 4))) seen.insert(item.steps);
  EXPECT_EQ(seen, (std::set<int>{1, 2, 3, 4}));
}

TEST(SynthTest, SvampEquationAndMathqaFormulaFollowTheStepsKnob) {
  for (int steps = 1; steps <= 3; ++steps) {
    SCOPED_TRACE(steps);
    for (const auto& item : GenerateItems(Opt("svamp", "train", 30, 5, "", steps))) {
      const std::string equation = item.record["Equation"];
      EXPECT_EQ(Count(equation, "("), steps) << equation;
      EXPECT_TRUE(std::regex_search(equation, std::regex(R"(^\( .* \)$)"))) << equation;
      EXPECT_DOUBLE_EQ(item.record["Answer"].get<double>(), std::stod(item.gold));
    }
    for (const auto& item : GenerateItems(Opt("mathqa", "train", 30, 5, "", steps))) {
      const std::string formula = item.record["linear_formula"];
      EXPECT_EQ(Count(formula, "|"), steps) << formula;
    }
  }
}

TEST(SynthTest, AimeStepsKnobSetsTheRecurrenceLength) {
  for (int steps = 1; steps <= 4; ++steps) {
    for (const auto& item : GenerateItems(Opt("aime", "train", 15, 2, "ncot", steps))) {
      const std::string problem = item.record["problem"];
      EXPECT_NE(problem.find("a_{" + std::to_string(steps) + "}"), std::string::npos) << problem;
      // Two calculations per term and the final remainder, each on its own line, then the answer.
      EXPECT_EQ(Count(item.solutions.at(0).text, "\n"), 2 * steps + 1) << item.solutions[0].text;
      const std::string answer = item.record["answer"];
      EXPECT_EQ(answer.size(), 3u);
      EXPECT_EQ(std::stoi(answer), std::stoi(item.gold));
    }
  }
}

TEST(SynthTest, ChoiceTasksStepsKnobIsReflectedInSolutions) {
  for (const std::string task : {"agieval", "gpqa"}) {
    for (int steps = 2; steps <= 5; ++steps) {
      SCOPED_TRACE(task + " steps " + std::to_string(steps));
      for (const auto& item : GenerateItems(Opt(task, "train", 30, 9, "ncot", steps))) {
        EXPECT_EQ(item.steps, steps);
        // One line per step, then the note naming the option, then the final answer line.
        EXPECT_EQ(Count(item.solutions.at(0).text, "\n"), steps + 1) << item.solutions[0].text;
      }
    }
  }
}

TEST(SynthTest, LiveCodeBenchStepsKnobSetsDifficulty) {
  const std::map<int, std::string> names = {{1, "easy"}, {2, "medium"}, {3, "hard"}};
  for (const auto& [steps, name] : names) {
    for (const auto& item : GenerateItems(Opt("livecodebench", "train", 10, 3, "", steps))) {
      EXPECT_EQ(item.record["difficulty"], name);
    }
  }
}

TEST(SynthTest, MaxValueBoundsTheNumbersAWordProblemStates) {
  for (const std::string task : {"gsm8k", "svamp"}) {
    auto o = Opt(task, "train", 100, 6);
    o.max_value = 20;
    for (const auto& item : GenerateItems(o)) {
      std::string text = task == "gsm8k" ? item.record["question"].get<std::string>()
                                         : item.record["Body"].get<std::string>();
      std::smatch m;
      for (auto it = text.cbegin(); std::regex_search(it, text.cend(), m, std::regex(R"(\d+)"));
           it = m.suffix().first) {
        EXPECT_LE(std::stoi(m.str()), 20) << text;
      }
    }
  }
}

std::vector<std::string> AgievalOptionTexts(const SynthItem& item) {
  std::vector<std::string> out;
  for (const auto& o : item.record["options"]) out.push_back(o.get<std::string>().substr(3));
  return out;
}

TEST(SynthTest, MultipleChoiceOptionsAreDistinctAndTheLabelPointsAtTheAnswer) {
  for (const auto& item : GenerateItems(Opt("agieval", "train", 200, 12))) {
    std::vector<std::string> texts = AgievalOptionTexts(item);
    ASSERT_EQ(texts.size(), 5u);
    EXPECT_EQ(std::set<std::string>(texts.begin(), texts.end()).size(), 5u) << item.record.dump();
    const std::string label = item.record["label"];
    EXPECT_EQ(label, item.gold);
    EXPECT_EQ(item.record["options"][label[0] - 'A'].get<std::string>().substr(0, 3),
              "(" + label + ")");
  }
  for (const auto& item : GenerateItems(Opt("gpqa", "train", 200, 12))) {
    std::set<std::string> answers;
    for (const char* column :
         {"Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"}) {
      answers.insert(item.record[column].get<std::string>());
    }
    EXPECT_EQ(answers.size(), 4u) << item.record.dump();
  }
  for (const auto& item : GenerateItems(Opt("mathqa", "train", 200, 12))) {
    std::vector<double> values = item.record["processed_options"];
    EXPECT_EQ(std::set<double>(values.begin(), values.end()).size(), 5u) << item.record.dump();
    const std::string correct = item.record["correct"];
    EXPECT_EQ(std::string(1, static_cast<char>(correct[0] - 'a' + 'A')), item.gold);
  }
}

TEST(SynthTest, NumericDistractorsGiveNoRankOrPositionCue) {
  // If the answer were usually (or never) the smallest or the largest option, or sat under one
  // letter, a model could win by that cue. With 5 options each should be near 1 in 5.
  auto check = [](const std::string& task, const std::vector<std::vector<double>>& options,
                  const std::vector<int>& answers) {
    SCOPED_TRACE(task);
    int smallest = 0, largest = 0;
    std::vector<int> letters(5, 0);
    for (size_t i = 0; i < options.size(); ++i) {
      double answer = options[i][answers[i]];
      smallest += answer == *std::min_element(options[i].begin(), options[i].end());
      largest += answer == *std::max_element(options[i].begin(), options[i].end());
      ++letters[answers[i]];
    }
    const double n = static_cast<double>(options.size());
    EXPECT_GT(n, 200);
    EXPECT_NEAR(smallest / n, 0.2, 0.08);
    EXPECT_NEAR(largest / n, 0.2, 0.08);
    for (int count : letters) EXPECT_NEAR(count / n, 0.2, 0.08);
  };
  std::vector<std::vector<double>> options;
  std::vector<int> answers;
  for (const auto& item : GenerateItems(Opt("mathqa", "train", 400, 21))) {
    options.push_back(item.record["processed_options"].get<std::vector<double>>());
    answers.push_back(item.gold[0] - 'A');
  }
  check("mathqa", options, answers);
  options.clear();
  answers.clear();
  for (const auto& item : GenerateItems(Opt("agieval", "train", 600, 21))) {
    if (item.family == "ordering") continue;
    std::vector<double> values;
    for (const auto& text : AgievalOptionTexts(item)) values.push_back(std::stod(text));
    options.push_back(values);
    answers.push_back(item.gold[0] - 'A');
  }
  check("agieval", options, answers);
}

TEST(SynthTest, MixedStyleLabelsSourcesAtTheRequestedWrongRate) {
  for (double rate : {0.0, 0.3, 1.0}) {
    SCOPED_TRACE(rate);
    auto o = Opt("gsm8k", "train", 300, 13, "mixed");
    o.wrong_rate = rate;
    o.suboptimal = 3;
    int wrong = 0, total = 0;
    std::set<std::string> flaws;
    for (const auto& item : GenerateItems(o)) {
      ASSERT_EQ(item.solutions.size(), 4u);
      EXPECT_EQ(item.solutions[0].source, "expert");
      EXPECT_TRUE(item.solutions[0].correct);
      EXPECT_TRUE(util::EndsWith(item.solutions[0].text, "The answer is " + item.gold + "."));
      for (size_t i = 1; i < item.solutions.size(); ++i) {
        const auto& s = item.solutions[i];
        EXPECT_EQ(s.source, "suboptimal");
        flaws.insert(s.flaw);
        ++total;
        wrong += s.correct ? 0 : 1;
        // The label matches the stated final answer.
        std::smatch m;
        ASSERT_TRUE(std::regex_search(
            s.text, m, std::regex(R"((?:The answer is|answer:) (-?\d+(?:\.\d+)?)\.?$)")))
            << s.text;
        EXPECT_EQ(m[1].str() == item.gold, s.correct) << s.text;
      }
    }
    EXPECT_NEAR(static_cast<double>(wrong) / total, rate, 0.06);
    if (rate == 0.0) {
      EXPECT_EQ(flaws, (std::set<std::string>{"skipped_step", "sloppy_format"}));
    }
    if (rate == 1.0) {
      EXPECT_EQ(flaws, (std::set<std::string>{"arithmetic_slip", "wrong_answer"}));
    }
  }
}

TEST(SynthTest, EveryTaskStyleAndStepCountGenerates) {
  const std::map<std::string, int> max_steps = {{"gsm8k", 8},        {"svamp", 4}, {"mathqa", 6},
                                                {"agieval", 6},      {"gpqa", 6},  {"aime", 5},
                                                {"livecodebench", 3}};
  for (const auto& [task, top] : max_steps) {
    for (const std::string style : {"", "ncot", "ncot-check", "pcot", "mixed", "tool", "ncot-tool"}) {
      if (task == "livecodebench" && !style.empty()) continue;
      for (int steps = 0; steps <= top; ++steps) {
        SCOPED_TRACE(task + " " + style + " " + std::to_string(steps));
        for (const std::string split : {"train", "test"}) {
          auto items = GenerateItems(Opt(task, split, 12, 40 + steps, style, steps));
          ASSERT_EQ(items.size(), 12u);
          for (const auto& item : items) {
            if (steps > 0) {
              EXPECT_EQ(item.steps, steps);
            }
            EXPECT_EQ(item.gold.empty(), task == "livecodebench");
            EXPECT_EQ(item.solutions.empty(), style.empty());
            for (const auto& sol : item.solutions) EXPECT_FALSE(sol.text.empty());
          }
          EXPECT_FALSE(SynthesizeFile(Opt(task, split, 3, 40 + steps, style, steps)).empty());
        }
      }
    }
  }
}

TEST(SynthTest, GpqaIsRfc4180CsvWithTheGpqaColumns) {
  std::string csv = SynthesizeFile(Opt("gpqa", "test", 30, 4, "mixed"));
  auto rows = synth_test::ParseCsv(csv);
  ASSERT_EQ(rows.size(), 31u);
  const auto& header = rows[0];
  for (const char* column :
       {"Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
        "Incorrect Answer 3", "Explanation", "Subdomain", "High-level domain", "Record ID"}) {
    EXPECT_NE(std::find(header.begin(), header.end(), column), header.end()) << column;
  }
  auto items = GenerateItems(Opt("gpqa", "test", 30, 4, "mixed"));
  size_t question = std::find(header.begin(), header.end(), "Question") - header.begin();
  size_t solutions = std::find(header.begin(), header.end(), "Synth Solutions") - header.begin();
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), header.size());
    EXPECT_EQ(rows[i][question], items[i - 1].record["Question"].get<std::string>());
    auto parsed = nlohmann::json::parse(rows[i][solutions]);  // embedded quotes survive the quoting
    EXPECT_EQ(parsed.size(), 4u);
  }
  EXPECT_EQ(tasks::synth::CsvField("say \"hi\",\nbye"), "\"say \"\"hi\"\",\nbye\"");
}

TEST(SynthTest, PublishedLayoutsAreJsonlOrArrays) {
  for (const std::string task : {"gsm8k", "agieval", "aime", "livecodebench"}) {
    std::string text = SynthesizeFile(Opt(task, "train", 4, 1));
    EXPECT_EQ(Count(text, "\n"), 4) << task;
    for (const auto& line : util::Split(util::Trim(text), '\n'))
      EXPECT_TRUE(nlohmann::json::parse(line).is_object());
  }
  for (const std::string task : {"svamp", "mathqa"}) {
    auto array = nlohmann::json::parse(SynthesizeFile(Opt(task, "train", 4, 1)));
    ASSERT_TRUE(array.is_array()) << task;
    EXPECT_EQ(array.size(), 4u);
  }
  auto svamp = nlohmann::json::parse(SynthesizeFile(Opt("svamp", "test", 3, 1)));
  EXPECT_EQ(svamp[0]["ID"], "synth-test-00000");
  EXPECT_TRUE(svamp[0]["Answer"].is_number_float());
}

TEST(SynthTest, WriteSyntheticWritesTheSameBytesToAFile) {
  auto o = Opt("svamp", "train", 10, 5, "pcot");
  std::string path = synth_test::TempPath("svamp_train.json");
  tasks::synth::WriteSynthetic(o, path);
  EXPECT_EQ(util::ReadFile(path), SynthesizeFile(o));
}

struct BadCase {
  const char* name;
  tasks::synth::SynthOptions options;
  const char* field;
  const char* message_part;
};

TEST(SynthTest, ImpossibleOptionsThrowInputErrorNamingTheField) {
  auto with = [](auto change) {
    auto o = Opt("gsm8k", "train", 10, 1);
    change(o);
    return o;
  };
  const std::vector<BadCase> cases = {
      {"unknown task", with([](auto& o) { o.task = "gsm9k"; }), "task", "did you mean 'gsm8k'"},
      {"split", with([](auto& o) { o.split = "dev"; }), "split", "'train' or 'test'"},
      {"n", with([](auto& o) { o.n = 0; }), "n", "between 1"},
      {"style", with([](auto& o) { o.style = "ncott"; }), "style", "did you mean 'ncot'"},
      {"steps", with([](auto& o) { o.steps = 99; }), "steps", "1..8"},
      {"max value", with([](auto& o) { o.max_value = 5; }), "max_value", "10..1000000"},
      {"wrong rate", with([](auto& o) { o.wrong_rate = 1.5; }), "wrong_rate", "[0, 1]"},
      {"code style", with([](auto& o) {
         o.task = "livecodebench";
         o.style = "pcot";
       }),
       "style", "reference_solution"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    try {
      GenerateItems(c.options);
      ADD_FAILURE() << "no error";
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field);
      EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
    }
  }
}

TEST(SynthTest, RunningOutOfDistinctProblemsIsAnInputError) {
  // One-term recurrences with numbers up to 10 number a few hundred; asking for far more problems
  // than exist must stop with a message, not loop.
  auto o = Opt("aime", "test", 1000, 1, "", 1);
  o.max_value = 10;
  EXPECT_THROW(GenerateItems(o), util::InputError);
}

}  // namespace

namespace {

// The check layout, by hand: the chain, the value, one comparison per option up to the match, the letter.
TEST(SynthCheckStyle, RendersOneComparisonPerOptionUpToTheMatch) {
  using namespace tasks::synth;
  Derivation d;
  d.steps.push_back(Calc('*', Lit(4, "boxes"), Lit(9, "per_box"), "The boxes hold", "pens", "pens"));
  d.steps.push_back(Calc('-', Ref(0), Lit(6, "lost"), "After losing 6, there are", "pens", "left"));
  d.choices.letters = {"A", "B", "C", "D"};
  d.choices.values = {31, 36, 30, 300};
  d.answer = "C";
  d.value_text = "30";
  d.answer_note = "So the answer is 30, which is option (C).";
  EXPECT_EQ(RenderNcotCheck(d),
            "The boxes hold 4 * 9 = 36 pens.\n"
            "After losing 6, there are 36 - 6 = 30 pens.\n"
            "So the answer is 30.\n"
            "(A) 31 = 30? no\n"
            "(B) 36 = 30? no\n"
            "(C) 30 = 30? yes\n"
            "The answer is (C).");
  // Option texts (units, names) are compared as written.
  d.choices.values.clear();
  d.choices.texts = {"30 pens", "31 pens"};
  d.choices.letters = {"A", "B"};
  d.answer = "A";
  d.value_text = "30 pens";
  EXPECT_NE(RenderNcotCheck(d).find("So the answer is 30 pens.\n(A) 30 pens = 30 pens? yes\nThe answer is (A)."),
            std::string::npos);
  // Not multiple choice: plain N-CoT.
  Derivation plain = d;
  plain.choices = ChoiceMap{};
  plain.answer = "30";
  EXPECT_EQ(RenderNcotCheck(plain), RenderNcot(plain));
}

// Every generated multiple-choice solution in the check layout names the gold letter on its one "yes" line,
// after "no" lines for every earlier option in order.
TEST(SynthCheckStyle, EveryChoiceFamilyEndsAtTheGoldLetter) {
  for (const std::string task : {"mathqa", "agieval", "gpqa"}) {
    for (const auto& item : GenerateItems(Opt(task, "train", 150, 5, "ncot-check"))) {
      ASSERT_EQ(item.solutions.size(), 1u);
      const std::vector<std::string> lines = util::Split(item.solutions[0].text, '\n');
      ASSERT_GE(lines.size(), 3u);
      EXPECT_EQ(lines.back(), "The answer is (" + item.gold + ").") << task;
      const int gold = item.gold[0] - 'A';
      ASSERT_GE(static_cast<int>(lines.size()), gold + 3);
      const size_t first = lines.size() - 2 - gold;
      ASSERT_EQ(lines[first - 1].rfind("So the answer is ", 0), 0u) << item.solutions[0].text;
      const std::string value = lines[first - 1].substr(17, lines[first - 1].size() - 18);
      for (int i = 0; i <= gold; ++i) {
        const std::string& line = lines[first + i];
        EXPECT_EQ(line.substr(0, 4), "(" + std::string(1, static_cast<char>('A' + i)) + ") ") << line;
        const std::string tail = " = " + value + "? " + (i == gold ? "yes" : "no");
        ASSERT_GE(line.size(), tail.size());
        EXPECT_EQ(line.substr(line.size() - tail.size()), tail) << item.solutions[0].text;
      }
    }
  }
}

}  // namespace

namespace {

using namespace tasks::synth;

// START's tool-integrated layout, by hand: the solution, the hint, one variable per calculation step, what
// Python prints, and the final line again.
TEST(SynthToolCheckStyle, RendersTheSolutionThenAProgramItsOutputAndTheAnswerAgain) {
  Derivation d;
  d.steps.push_back(Calc('*', Lit(12, "price"), Lit(37, "count"), "The tickets cost", "dollars", "cost"));
  d.steps.push_back(Calc('-', Ref(0), Lit(5, "coupon"), "With the coupon they cost", "dollars", "total"));
  d.answer = "439";
  EXPECT_EQ(RenderNcotToolCheck(d),
            "The tickets cost 12 * 37 = 444 dollars.\n"
            "With the coupon they cost 444 - 5 = 439 dollars.\n"
            "The answer is 439.\n"
            "Wait, maybe using Python here is a good idea.\n"
            "<code>\n"
            "s1 = 12 * 37\n"
            "s2 = s1 - 5\n"
            "print(s2)\n"
            "</code>\n"
            "<output>\n"
            "439\n"
            "</output>\n"
            "The answer is 439.");
  EXPECT_EQ(std::string(kPythonHint), "Wait, maybe using Python here is a good idea.");
}

// Deduction sentences get no code line; once a float is involved Python prints a float ("1.0"), and an
// exact division of a float uses / (0.3 // 0.1 would be 2.0 in Python).
TEST(SynthToolCheckStyle, SkipsDeductionsAndPrintsWhatPythonPrintsForFloats) {
  Derivation d;
  d.steps.push_back(Calc('/', Lit(7, "cake"), Lit(2, "halves"), "Each half is", "kg", "half"));
  CalcStep note;
  note.text = "Both halves are doubled.";
  d.steps.push_back(note);
  d.steps.push_back(Calc('*', Ref(0), Lit(2, ""), "Doubled, a half is", "kg", "doubled"));
  d.steps.push_back(Calc('/', Ref(2), Lit(7, ""), "Per kg of cake that is", "", "ratio"));
  d.answer = "1";
  EXPECT_EQ(RenderNcotToolCheck(d),
            "Each half is 7 / 2 = 3.5 kg.\n"
            "Both halves are doubled.\n"
            "Doubled, a half is 3.5 * 2 = 7 kg.\n"
            "Per kg of cake that is 7 / 7 = 1.\n"
            "The answer is 1.\n"
            "Wait, maybe using Python here is a good idea.\n"
            "<code>\n"
            "s1 = 7 / 2\n"
            "s2 = s1 * 2\n"
            "s3 = s2 / 7\n"
            "print(s3)\n"
            "</code>\n"
            "<output>\n"
            "1.0\n"
            "</output>\n"
            "The answer is 1.");
  // Integer-only arithmetic keeps RenderPcot's exact //.
  Derivation exact;
  exact.steps.push_back(Calc('/', Lit(12, ""), Lit(4, ""), "Each gets", "", "each"));
  exact.answer = "3";
  EXPECT_NE(RenderNcotToolCheck(exact).find("<code>\ns1 = 12 // 4\nprint(s1)\n</code>\n<output>\n3\n</output>"),
            std::string::npos);
  // No calculation at all: the plain solution.
  Derivation words;
  words.steps.push_back(note);
  words.answer = "7";
  EXPECT_EQ(RenderNcotToolCheck(words), RenderNcot(words));
}

// Multiple choice: the check layout, and after the output the same value, option checks and letter.
TEST(SynthToolCheckStyle, MultipleChoiceRepeatsTheOptionChecksAfterTheOutput) {
  Derivation d;
  d.steps.push_back(Calc('*', Lit(4, "boxes"), Lit(9, "per_box"), "The boxes hold", "pens", "pens"));
  d.steps.push_back(Calc('-', Ref(0), Lit(6, "lost"), "After losing 6, there are", "pens", "left"));
  d.choices.letters = {"A", "B", "C", "D"};
  d.choices.values = {31, 36, 30, 300};
  d.answer = "C";
  d.value_text = "30";
  d.answer_note = "So the answer is 30, which is option (C).";
  const std::string checks =
      "So the answer is 30.\n"
      "(A) 31 = 30? no\n"
      "(B) 36 = 30? no\n"
      "(C) 30 = 30? yes\n"
      "The answer is (C).";
  EXPECT_EQ(RenderNcotToolCheck(d),
            "The boxes hold 4 * 9 = 36 pens.\n"
            "After losing 6, there are 36 - 6 = 30 pens.\n" +
                checks +
                "\nWait, maybe using Python here is a good idea.\n"
                "<code>\n"
                "s1 = 4 * 9\n"
                "s2 = s1 - 6\n"
                "print(s2)\n"
                "</code>\n"
                "<output>\n"
                "30\n"
                "</output>\n" +
                checks);
  EXPECT_EQ(RenderNcotToolCheck(d).substr(0, RenderNcotCheck(d).size() + 1), RenderNcotCheck(d) + "\n");
}

SynthOptions WithToolShare(const std::string& task, int n, const std::string& style, double share) {
  auto o = Opt(task, "train", n, 11, style);
  o.tool_share = share;
  return o;
}

// tool_share 0 is the plain style, byte for byte; 1 gives every problem the ncot-tool solution.
TEST(SynthToolShare, ZeroKeepsFilesAndOneGivesEveryProblemTheToolSolution) {
  for (const std::string task : {"gsm8k", "svamp", "mathqa", "agieval", "gpqa", "aime"}) {
    SCOPED_TRACE(task);
    for (const std::string style : {"ncot", "ncot-check"}) {
      EXPECT_EQ(SynthesizeFile(WithToolShare(task, 40, style, 0.0)), SynthesizeFile(Opt(task, "train", 40, 11, style)));
      auto plain = GenerateItems(WithToolShare(task, 40, style, 0.0));
      auto all = GenerateItems(WithToolShare(task, 40, style, 1.0));
      auto tool = GenerateItems(WithToolShare(task, 40, "ncot-tool", 0.0));
      ASSERT_EQ(all.size(), tool.size());
      for (size_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(all[i].key, tool[i].key);
        EXPECT_EQ(plain[i].solutions.at(0).style, "ncot");
        const bool has_code = tool[i].solutions.at(0).text.find("<code>") != std::string::npos;
        EXPECT_EQ(all[i].solutions.at(0).style, has_code ? "tool" : "ncot");
        if (has_code) {
          EXPECT_EQ(all[i].solutions[0].text, tool[i].solutions[0].text);
          EXPECT_EQ(tool[i].solutions[0].style, "tool");
        } else {
          EXPECT_EQ(all[i].solutions[0].text, plain[i].solutions[0].text);
        }
      }
    }
  }
}

// About tool_share of the problems get the tool solution, each decided on its own: a longer file keeps the
// shorter one's choices.
TEST(SynthToolShare, ShareIsPerProblemAndStableAsNGrows) {
  auto big = GenerateItems(WithToolShare("gsm8k", 2000, "ncot", 0.05));
  auto small = GenerateItems(WithToolShare("gsm8k", 1000, "ncot", 0.05));
  int tools = 0;
  for (const auto& item : big) tools += item.solutions.at(0).style == "tool" ? 1 : 0;
  // Binomial(2000, 0.05): mean 100, sd 9.75; the 99% band is 100 +- 25.
  EXPECT_GE(tools, 75);
  EXPECT_LE(tools, 125);
  for (size_t i = 0; i < small.size(); ++i) {
    ASSERT_EQ(small[i].key, big[i].key);  // items are prefix-stable in n
    EXPECT_EQ(small[i].solutions.at(0).style, big[i].solutions.at(0).style) << i;
    EXPECT_EQ(small[i].solutions[0].text, big[i].solutions[0].text) << i;
  }
  // The draw depends on the seed too.
  auto other = WithToolShare("gsm8k", 2000, "ncot", 0.05);
  other.seed = 12;
  int differing = 0;
  auto reseeded = GenerateItems(other);
  std::set<std::string> chosen, chosen_reseeded;
  for (const auto& item : big) {
    if (item.solutions[0].style == "tool") chosen.insert(item.key);
  }
  for (const auto& item : reseeded) {
    if (item.solutions[0].style == "tool") chosen_reseeded.insert(item.key);
  }
  for (const auto& key : chosen) differing += chosen_reseeded.count(key) ? 0 : 1;
  EXPECT_GT(differing, 0);
}

TEST(SynthToolShare, BadShareOrStyleIsAnInputErrorNamingTheField) {
  for (double bad : {1.5, -0.1, std::nan("")}) {
    try {
      GenerateItems(WithToolShare("gsm8k", 5, "ncot", bad));
      ADD_FAILURE() << bad;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, "tool_share");
      EXPECT_NE(std::string(e.what()).find("[0, 1]"), std::string::npos) << e.what();
    }
  }
  try {
    GenerateItems(WithToolShare("gsm8k", 5, "pcot", 0.1));
    ADD_FAILURE();
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "tool_share");
    EXPECT_NE(std::string(e.what()).find("ncot and ncot-check"), std::string::npos) << e.what();
  }
}

// The one rule for where a tool share applies, asked by the generator and by SFT's config alike; the code task is
// told apart by its Task (graded_by_tests), not by its name.
TEST(SynthToolShare, RefusalNamesTheStylesItAppliesTo) {
  struct Case {
    const char* task;
    const char* style;
    bool applies;
  };
  for (const Case& c : {Case{"gsm8k", "ncot", true}, Case{"aime", "ncot-check", true}, Case{"livecodebench", "", true},
                        Case{"gsm8k", "pcot", false}, Case{"mathqa", "", false}, Case{"svamp", "mixed", false}}) {
    const std::string refusal = ToolShareRefusal(c.task, c.style);
    EXPECT_EQ(refusal.empty(), c.applies) << c.task << " " << c.style << ": " << refusal;
    if (!c.applies) EXPECT_NE(refusal.find("'" + std::string(c.style) + "'"), std::string::npos) << refusal;
  }
  EXPECT_TRUE(tasks::GradedByTests("livecodebench"));
  for (const char* task : {"gsm8k", "svamp", "mathqa", "agieval", "gpqa", "aime", "no-such-task"}) {
    EXPECT_FALSE(tasks::GradedByTests(task)) << task;
  }
}

SynthOptions WithLookupShare(const std::string& task, int n, const std::string& style, double share) {
  auto o = Opt(task, "train", n, 11, style, 2);
  o.lookup_share = share;
  return o;
}

// The option texts of a multiple-choice record as its layout writes them, in the written order.
std::vector<std::string> OptionTexts(const std::string& task, const nlohmann::ordered_json& record) {
  std::vector<std::string> out;
  if (task == "mathqa") {
    const std::string options = record["options"];  // "a ) 22 , b ) 220 , ..."
    for (size_t from = 0; from < options.size();) {
      size_t end = options.find(" , ", from);
      if (end == std::string::npos) end = options.size();
      out.push_back(options.substr(from + 4, end - from - 4));
      from = end + 3;
    }
  } else if (task == "agieval") {
    for (const auto& option : record["options"]) out.push_back(option.get<std::string>().substr(3));
  } else {
    for (const char* column : {"Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3"}) {
      out.push_back(record[column].get<std::string>());
    }
  }
  return out;
}

std::string QuestionOf(const std::string& task, const nlohmann::ordered_json& record) {
  return record[task == "mathqa" ? "Problem" : task == "agieval" ? "question" : "Question"].get<std::string>();
}

// lookup_share 0 is the plain file, byte for byte. At 1 every problem is the drill of the problem it
// replaces: the same split key and options, the question "Which option is V?" for the gold option's text V,
// no steps, and a solution that is the option checks alone, ending at the gold letter.
TEST(SynthLookupShare, ZeroKeepsFilesAndOneAsksEveryProblemsOptionsDirectly) {
  for (const std::string task : {"mathqa", "agieval", "gpqa"}) {
    SCOPED_TRACE(task);
    EXPECT_EQ(SynthesizeFile(WithLookupShare(task, 40, "ncot-check", 0.0)),
              SynthesizeFile(Opt(task, "train", 40, 11, "ncot-check", 2)));
    auto plain = GenerateItems(WithLookupShare(task, 40, "ncot-check", 0.0));
    auto drills = GenerateItems(WithLookupShare(task, 40, "ncot-check", 1.0));
    auto notes = GenerateItems(WithLookupShare(task, 40, "ncot", 1.0));
    ASSERT_EQ(plain.size(), drills.size());
    for (size_t i = 0; i < drills.size(); ++i) {
      SCOPED_TRACE(i);
      const SynthItem& d = drills[i];
      EXPECT_EQ(d.key, plain[i].key);
      EXPECT_EQ(d.family, "lookup");
      EXPECT_EQ(d.steps, 0);
      std::vector<std::string> options = OptionTexts(task, d.record), plain_options = OptionTexts(task, plain[i].record);
      if (task == "mathqa") {
        EXPECT_EQ(options, plain_options);  // MathQA's order is drawn before the question is replaced
      } else {
        std::sort(options.begin(), options.end());
        std::sort(plain_options.begin(), plain_options.end());
        EXPECT_EQ(options, plain_options);
      }
      // The gold option's text, named by the plain problem's solution ("So the answer is V.").
      const std::string& plain_text = plain[i].solutions.at(0).text;
      const size_t at = plain_text.find("So the answer is ");
      ASSERT_NE(at, std::string::npos);
      const std::string value = plain_text.substr(at + 17, plain_text.find(".\n", at) - at - 17);
      const std::string question = QuestionOf(task, d.record);
      EXPECT_EQ(question, task == "mathqa" ? "which option is " + value + " ?" : "Which option is " + value + "?");
      // The solution is plain's from "So the answer is" on, with the drill's own letters.
      const std::string text = d.solutions.at(0).text;
      ASSERT_EQ(text.rfind("So the answer is " + value + ".\n", 0), 0u) << text;
      EXPECT_EQ(Count(text, " = " + value + "? yes"), 1) << text;
      const std::string tail = "(" + d.gold + ") " + value + " = " + value + "? yes\nThe answer is (" + d.gold + ").";
      ASSERT_GE(text.size(), tail.size());
      EXPECT_EQ(text.substr(text.size() - tail.size()), tail) << text;
      if (task == "mathqa") {
        EXPECT_EQ(text, plain_text.substr(at)) << plain_text;
      }
      // ncot: the answer note and the final line only.
      const std::string note = notes[i].solutions.at(0).text;
      EXPECT_EQ(std::count(note.begin(), note.end(), '\n'), 1) << note;
      EXPECT_NE(note.find("option (" + d.gold + ")"), std::string::npos) << note;
    }
  }
}

// About lookup_share of the problems become drills, each decided on its own: a longer file keeps the
// shorter one's choices, and every problem that is not a drill is the plain file's.
TEST(SynthLookupShare, ShareIsPerProblemAndLeavesTheOtherProblemsAsTheyWere) {
  auto big = GenerateItems(WithLookupShare("agieval", 1000, "ncot-check", 0.3));
  auto small = GenerateItems(WithLookupShare("agieval", 500, "ncot-check", 0.3));
  auto plain = GenerateItems(WithLookupShare("agieval", 1000, "ncot-check", 0.0));
  int drills = 0;
  for (size_t i = 0; i < big.size(); ++i) {
    ASSERT_EQ(big[i].key, plain[i].key);
    if (big[i].family == "lookup") {
      ++drills;
    } else {
      EXPECT_EQ(big[i].record.dump(), plain[i].record.dump()) << i;
      EXPECT_EQ(big[i].solutions.at(0).text, plain[i].solutions.at(0).text) << i;
    }
  }
  // Binomial(1000, 0.3): mean 300, sd 14.5; the 99.9% band is 300 +- 48.
  EXPECT_GE(drills, 252);
  EXPECT_LE(drills, 348);
  for (size_t i = 0; i < small.size(); ++i) EXPECT_EQ(small[i].record.dump(), big[i].record.dump()) << i;
}

TEST(SynthLookupShare, BadShareTaskOrStyleIsAnInputErrorNamingTheField) {
  struct Case {
    const char* task;
    const char* style;
    double share;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{{"mathqa", "ncot-check", 1.5, "[0, 1]"},
                                         {"gpqa", "ncot", -0.1, "[0, 1]"},
                                         {"agieval", "ncot", std::nan(""), "[0, 1]"},
                                         {"gsm8k", "ncot", 0.2, "mathqa, agieval and gpqa, not gsm8k"},
                                         {"aime", "", 0.2, "mathqa, agieval and gpqa, not aime"},
                                         {"mathqa", "pcot", 0.2, "ncot and ncot-check (or none), not 'pcot'"},
                                         {"gpqa", "mixed", 0.2, "not 'mixed'"}}) {
    SCOPED_TRACE(std::string(c.task) + " " + c.style);
    try {
      GenerateItems(WithLookupShare(c.task, 5, c.style, c.share));
      ADD_FAILURE();
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, "lookup_share");
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
    }
  }
}

}  // namespace
