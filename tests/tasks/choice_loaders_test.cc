// MathQA, AGIEval and GPQA loaders on the project's own fixtures: option parsing, letter golds,
// choice sets, few-shot prompts, GPQA's seeded shuffle, and bad input naming file, line and field.
#include <gtest/gtest.h>

#include "harness/util/hashing.h"
#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ErrorCase;
using tasks_test::ExpectInputError;
using tasks_test::Fixture;
using tasks_test::GoldCase;
using tasks_test::Load;
using tasks_test::Scratch;

// GPQA's gold letter for fixture row `row`, from the documented permutation (seed 0,
// whitespace-collapsed question): the letter at which the original option 0 (the correct answer)
// lands.
const char* GpqaGold(int row) {
  static const char* kQuestions[] = {
      "A ball is dropped from rest. Ignoring air resistance, what is its speed after 2 s? (Take g "
      "= 10 m/s^2.)",
      "Which element has atomic number 6?",
      "How many chromosomes does a typical human somatic cell have?"};
  static const char* kLetters[] = {"A", "B", "C", "D"};
  const std::vector<int> perm = util::SeededPermutation(4, 0, kQuestions[row]);
  for (int i = 0; i < 4; ++i) {
    if (perm[i] == 0) return kLetters[i];
  }
  return "?";
}

class ChoiceGolds : public ::testing::TestWithParam<GoldCase> {};

TEST_P(ChoiceGolds, IdGoldVariantAndCount) {
  const GoldCase& c = GetParam();
  auto records = Load(c.task, Fixture(c.file));
  ASSERT_EQ(records.size(), c.count);
  const tasks::Record& r = records.at(c.index);
  EXPECT_EQ(r.id, c.id);
  EXPECT_EQ(r.gold, c.gold);
  EXPECT_EQ(r.variant, c.variant);
  EXPECT_FALSE(r.question.empty());
  EXPECT_FALSE(r.gold_solution.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, ChoiceGolds,
    ::testing::Values(
        GoldCase{"agieval", "agieval/lsat-ar.jsonl", 2, 0, "0", "B", "lsat-ar"},
        GoldCase{"agieval", "agieval/sat-en-without-passage.jsonl", 1, 0, "0", "B",
                 "sat-en-without-passage"},
        GoldCase{"agieval", "agieval/gaokao-physics.jsonl", 2, 0, "0", "ACD", "gaokao-physics"},
        GoldCase{"agieval", "agieval/gaokao-physics.jsonl", 2, 1, "1", "B", "gaokao-physics"},
        GoldCase{"agieval", "agieval/gaokao-mathqa.jsonl", 2, 0, "0", "AD", "gaokao-mathqa"},
        GoldCase{"agieval", "agieval/math.jsonl", 2, 0, "0", "\\frac{1}{2}", "math"},
        GoldCase{"gpqa", "gpqa/gpqa_diamond.csv", 3, 0, "recFIXTURE0001", GpqaGold(0), "diamond"},
        GoldCase{"gpqa", "gpqa/gpqa_main.csv", 3, 2, "recFIXTURE0003", GpqaGold(2), "main"},
        GoldCase{"mathqa", "mathqa/original/test.json", 3, 0, "0", "B", "test"},
        GoldCase{"mathqa", "mathqa/original/test.json", 3, 2, "2", "E", "test"},
        GoldCase{"mathqa", "mathqa/original/challenge_test.json", 1, 0, "0", "C", "challenge"},
        GoldCase{"mathqa", "mathqa/harness/test.jsonl", 2, 1, "1", "A", "test"},
        GoldCase{"mathqa", "mathqa/reft/mathqa_test_set.json", 2, 1, "mathqa_2", "E", "test"},
        GoldCase{"mathqa", "mathqa/reft/mathqa-numeric_test_set.json", 2, 1, "mathqa-numeric_5",
                 "0.45", "numeric"}));

TEST(Mathqa, OptionsSplitIntoFiveUppercaseLetteredChoices) {
  auto records = Load("mathqa", Fixture("mathqa/original/test.json"));
  const std::vector<std::string> first = {"36", "48", "52", "60", "none of these"};
  EXPECT_EQ(records[0].choices, first);
  EXPECT_EQ(records[0].choice_order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(records[0].kind, tasks::AnswerKind::kChoice);
  EXPECT_EQ(records[1].choices[0], "-5");
  EXPECT_EQ(records[2].choices,
            (std::vector<std::string>{"2 : 3", "4 : 5", "1 : 2", "8 : 6", "3 : 4"}));
  EXPECT_EQ(records[0].gold_solution, "The answer is (B).");
  EXPECT_EQ(records[0].extra["processed_options"].size(), 5u);
  EXPECT_EQ(records[0].extra["category"], "general");
  // test_broken.txt lists index 1.
  EXPECT_FALSE(records[0].broken);
  EXPECT_TRUE(records[1].broken);
  EXPECT_FALSE(records[2].broken);

  auto listed = Load("mathqa", Fixture("mathqa/harness/test.jsonl"));
  EXPECT_EQ(listed[0].choices[3], "49 cm \xc2\xb2");
  EXPECT_EQ(listed[1].choices, (std::vector<std::string>{"10", "12.5", "6.5", "8", "it's 13"}));
  EXPECT_EQ(listed[1].extra["category"], "geometry");

  auto reft = Load("mathqa", Fixture("mathqa/reft/mathqa_test_set.json"));
  EXPECT_EQ(reft[0].question, "a shop sells pens at rs . 12 each . how much do 4 pens cost ?");
  EXPECT_EQ(reft[0].choices, first);
  auto numeric = Load("mathqa", Fixture("mathqa/reft/mathqa-numeric_test_set.json"));
  EXPECT_EQ(numeric[0].kind, tasks::AnswerKind::kNumeric);
  EXPECT_EQ(numeric[0].gold, "48");
  EXPECT_TRUE(numeric[0].choices.empty());
  ExpectInputError(
      [&] { Load("mathqa", Fixture("mathqa/reft/mathqa-numeric_test_set.json"), "test"); },
      Fixture("mathqa/reft/mathqa-numeric_test_set.json"), 0, "variant", "numeric");

  tasks::PromptOptions options;
  const std::string prompt = tasks::FindTask("mathqa").RenderPrompt(records[0], options);
  EXPECT_NE(prompt.find("(B) 48\n(C) 52"), std::string::npos);
  EXPECT_NE(prompt.find("The answer is (X)"), std::string::npos);
}

TEST(Agieval, OptionsLabelsAndKinds) {
  auto lsat = Load("agieval", Fixture("agieval/lsat-ar.jsonl"));
  EXPECT_EQ(lsat[0].choices,
            (std::vector<std::string>{"F, G, H, J, K", "G, H, F, J, K", "H, G, F, J, K",
                                      "J, K, F, H, G", "G, F, H, J, K"}));
  EXPECT_EQ(lsat[0].choice_order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(lsat[0].kind, tasks::AnswerKind::kChoice);
  EXPECT_NE(lsat[0].passage.find("Five runners"), std::string::npos);
  EXPECT_EQ(lsat[0].gold_solution, "The answer is (B).");

  auto sat = Load("agieval", Fixture("agieval/sat-en-without-passage.jsonl"));
  EXPECT_EQ(sat[0].passage, "");
  EXPECT_EQ(sat[0].extra["other"]["source"], "invented");

  auto physics = Load("agieval", Fixture("agieval/gaokao-physics.jsonl"));
  EXPECT_EQ(physics[0].kind, tasks::AnswerKind::kChoiceSet);
  EXPECT_EQ(physics[0].gold_solution, "The answer is (A)(C)(D).");
  EXPECT_EQ(physics[1].kind, tasks::AnswerKind::kChoice);

  auto mathqa = Load("agieval", Fixture("agieval/gaokao-mathqa.jsonl"));
  EXPECT_EQ(mathqa[0].kind, tasks::AnswerKind::kChoiceSet);  // joined string label "A D"
  EXPECT_EQ(mathqa[1].choices,
            (std::vector<std::string>{"1", "2", "3", "4"}));  // "  A．1", "  C、3", "D 4"

  // Data quirks: a stray "。" in a list label is dropped; an empty list label marks the record
  // broken.
  auto jec = Load("agieval", Fixture("agieval/jec-qa-kd.jsonl"));
  EXPECT_EQ(jec[0].gold, "B");
  EXPECT_EQ(jec[0].kind, tasks::AnswerKind::kChoiceSet);
  EXPECT_FALSE(jec[0].broken);
  EXPECT_EQ(jec[1].gold, "");
  EXPECT_TRUE(jec[1].broken);
  EXPECT_EQ(jec[1].gold_solution, "");

  auto math = Load("agieval", Fixture("agieval/math.jsonl"));
  EXPECT_EQ(math[0].kind, tasks::AnswerKind::kCloze);
  EXPECT_TRUE(math[0].choices.empty());
  EXPECT_EQ(math[1].gold_solution, "The final answer is \\boxed{144}.");

  const std::string odd =
      Scratch("agieval_names/lsat-xr.jsonl",
              "{\"question\": \"q\", \"options\": [\"(A)1\"], \"label\": \"A\"}\n");
  ExpectInputError([&] { Load("agieval", odd); }, odd, 0, "variant", "did you mean 'lsat-ar'");
  EXPECT_EQ(Load("agieval", odd, "lsat-lr")[0].variant, "lsat-lr");
}

TEST(Agieval, ZeroShotPrompts) {
  const tasks::Task& task = tasks::FindTask("agieval");
  auto lsat = Load("agieval", Fixture("agieval/lsat-ar.jsonl"));
  const std::string prompt = task.RenderPrompt(lsat[0], {});
  EXPECT_NE(prompt.find("Passage: Five runners"), std::string::npos);
  EXPECT_NE(prompt.find("\n(E) G, F, H, J, K\n"), std::string::npos);
  EXPECT_EQ(prompt.find("More than one"), std::string::npos);
  auto physics = Load("agieval", Fixture("agieval/gaokao-physics.jsonl"));
  EXPECT_NE(task.RenderPrompt(physics[0], {}).find("More than one option may be correct"),
            std::string::npos);
  auto math = Load("agieval", Fixture("agieval/math.jsonl"));
  EXPECT_NE(task.RenderPrompt(math[0], {}).find("\\boxed{}"), std::string::npos);
}

TEST(Agieval, FewShotPromptFollowsAgievalsLayout) {
  const tasks::Task& task = tasks::FindTask("agieval");
  tasks::PromptOptions options;
  options.template_name = "fewshot-v1";
  options.few_shot_file = Fixture("agieval/few_shot_prompts.csv");

  auto lsat = Load("agieval", Fixture("agieval/lsat-ar.jsonl"));
  EXPECT_EQ(
      task.RenderPrompt(lsat[0], options),
      "Problem 1.   Three lamps, red, blue and green, are lit in order. Red is not last. Which "
      "order is "
      "possible?\nChoose from the following options:    (A)green, blue, red (B)red, green, blue "
      "(C)blue, green, "
      "red (D)green, red, blue (E)blue, red, green\nExplanation for Problem 1:   Red is not last, "
      "so options A "
      "and C fail.\nOnly B remains.\nThe answer is therefore B\n"
      "Problem 2.   Two dogs, Ace and Bo, sit in a row. Who can sit first?\nChoose from the "
      "following options:    "
      "(A)Ace (B)Bo (C)either (D)neither (E)both\nExplanation for Problem 2:   Nothing constrains "
      "them, so "
      "either dog.\nThe answer is therefore C\n"
      "Problem 3.   " +
          lsat[0].passage + " " + lsat[0].question +
          "\nChoose from the following options:    "
          "(A)F, G, H, J, K (B)G, H, F, J, K (C)H, G, F, J, K (D)J, K, F, H, G (E)G, F, H, J, K\n");

  // sat-en-without-passage borrows sat-en's demonstrations and drops their passages.
  auto sat = Load("agieval", Fixture("agieval/sat-en-without-passage.jsonl"));
  const std::string sat_prompt = task.RenderPrompt(sat[0], options);
  EXPECT_EQ(sat_prompt.rfind("Problem 1.    How often did it vote?\n", 0), 0u) << sat_prompt;
  EXPECT_EQ(sat_prompt.find("committee"), std::string::npos);

  auto math = Load("agieval", Fixture("agieval/math.jsonl"));
  EXPECT_EQ(task.RenderPrompt(math[1], options),
            "Problem 1.   What is $2+3$?\nExplanation for Problem 1:   $2+3=5$.\nThe answer is "
            "therefore 5\n"
            "Problem 2.   Compute $12 \\cdot 12$.\n");

  auto physics = Load("agieval", Fixture("agieval/gaokao-physics.jsonl"));
  EXPECT_EQ(task.RenderPrompt(physics[1], options),
            "问题 1.    下列说法正确的是\n从以下选项中选择:    (A)甲 (B)乙 (C)丙 (D)丁\n问题 "
            "1的解析:   甲和丙正确。\n"
            "答案是 ['A', 'C']\n问题 2.    下列物理量中属于矢量的是\n从以下选项中选择:    (A)质量 "
            "(B)速度 (C)时间 (D)温度\n");

  auto mathqa = Load("agieval", Fixture("agieval/gaokao-mathqa.jsonl"));
  ExpectInputError([&] { task.RenderPrompt(mathqa[0], options); }, options.few_shot_file, 1,
                   "gaokao-mathqa", "no few-shot demonstrations");
  options.few_shot_file.clear();
  ExpectInputError([&] { task.RenderPrompt(lsat[0], options); }, "", 0, "few_shot_file",
                   "few_shot_prompts.csv");
  options.few_shot_file = Scratch("fewshot/bad.csv", ",lsat-ar\nsample 1,\"{'passage': oops}\"\n");
  ExpectInputError([&] { task.RenderPrompt(lsat[0], options); }, options.few_shot_file, 2,
                   "lsat-ar", "Python literal");
}

TEST(Gpqa, ColumnsByNameAndASeededContentHashedShuffle) {
  auto diamond = Load("gpqa", Fixture("gpqa/gpqa_diamond.csv"));
  const std::vector<std::vector<std::string>> original = {{"20 m/s", "10 m/s", "40 m/s", "5 m/s"},
                                                          {"Carbon", "Nitrogen", "Oxygen", "Boron"},
                                                          {"46", "23", "44", "92"}};
  ASSERT_EQ(diamond.size(), 3u);
  for (size_t r = 0; r < diamond.size(); ++r) {
    SCOPED_TRACE(diamond[r].id);
    ASSERT_EQ(diamond[r].choices.size(), 4u);
    for (size_t i = 0; i < 4; ++i)
      EXPECT_EQ(diamond[r].choices[i], original[r][diamond[r].choice_order[i]]);
    EXPECT_EQ(diamond[r].choices[diamond[r].gold[0] - 'A'], original[r][0]);
    EXPECT_EQ(diamond[r].kind, tasks::AnswerKind::kChoice);
  }
  EXPECT_EQ(diamond[1].choice_order,
            util::SeededPermutation(4, 0, "Which element has atomic number 6?"));
  EXPECT_NE(diamond[0].question.find("\n(Take g"), std::string::npos);  // multi-line cell kept
  EXPECT_EQ(diamond[2].question, "How many chromosomes does a typical human somatic cell have?");
  EXPECT_EQ(diamond[0].extra["subdomain"], "Classical Mechanics");
  EXPECT_EQ(diamond[0].extra["high_level_domain"], "Physics");
  EXPECT_EQ(diamond[0].source, Fixture("gpqa/gpqa_diamond.csv") + ":2");
  EXPECT_EQ(diamond[1].source, Fixture("gpqa/gpqa_diamond.csv") + ":4");

  // Stable across loads, and across mirrors that reorder columns or normalise whitespace.
  auto again = Load("gpqa", Fixture("gpqa/gpqa_diamond.csv"));
  auto main = Load("gpqa", Fixture("gpqa/gpqa_main.csv"));
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(again[r].choice_order, diamond[r].choice_order);
    EXPECT_EQ(main[r].id, diamond[r].id);
    EXPECT_EQ(main[r].choice_order, diamond[r].choice_order);
    EXPECT_EQ(main[r].gold, diamond[r].gold);
  }
  // Another seed gives other letters.
  tasks::LoadOptions options;
  options.path = Fixture("gpqa/gpqa_diamond.csv");
  options.shuffle_seed = 1;
  auto reseeded = tasks::FindTask("gpqa").Load(options);
  bool any_different = false;
  for (size_t r = 0; r < 3; ++r)
    any_different |= reseeded[r].choice_order != diamond[r].choice_order;
  EXPECT_TRUE(any_different);
  EXPECT_EQ(reseeded[1].choice_order,
            util::SeededPermutation(4, 1, "Which element has atomic number 6?"));
}

TEST(Gpqa, Prompts) {
  const tasks::Task& task = tasks::FindTask("gpqa");
  auto diamond = Load("gpqa", Fixture("gpqa/gpqa_diamond.csv"));
  tasks::PromptOptions options;
  const std::string zero = task.RenderPrompt(diamond[1], options);
  EXPECT_NE(zero.find("(A) " + diamond[1].choices[0] + "\n(B) " + diamond[1].choices[1]),
            std::string::npos);
  options.template_name = "simple-evals-v1";
  const std::string se = task.RenderPrompt(diamond[1], options);
  EXPECT_NE(se.find("'Answer: $LETTER' (without quotes) where LETTER is one of ABCD"),
            std::string::npos);
  EXPECT_NE(se.find("\n\nA) " + diamond[1].choices[0] + "\nB) "), std::string::npos);
  options.template_name = "lm-eval-cot-v1";
  EXPECT_EQ(task.RenderPrompt(diamond[1], options)
                .rfind("What is the correct answer to this question:Which", 0),
            0u);
}

TEST(Gpqa, Errors) {
  const std::string no_column =
      Scratch("gpqa_err/gpqa_diamond.csv", "Question,Incorrect Answer 1\nq,a\n");
  ExpectInputError([&] { Load("gpqa", no_column); }, no_column, 1, "Correct Answer",
                   "missing required column");
  const std::string empty_cell = Scratch(
      "gpqa_err2/gpqa_diamond.csv",
      "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Record ID\n"
      "\"two\nlines\",a,b,c,d,r1\n\"  \",a,b,c,d,r2\n");
  ExpectInputError([&] { Load("gpqa", empty_cell); }, empty_cell, 4, "Question", "empty cell");
  const std::string header_only = Scratch("gpqa_err3/gpqa_main.csv", "Question,Correct Answer\n");
  ExpectInputError([&] { Load("gpqa", header_only); }, header_only, 0, "", "no records");
  const std::string unnamed = Scratch("gpqa_err4/questions.csv", "Question\nq\n");
  ExpectInputError([&] { Load("gpqa", unnamed); }, unnamed, 0, "variant", "GPQA variant");
  const std::string latin1 =
      Scratch("gpqa_err5/gpqa_main.csv", "Question,Correct Answer\ncaf\xe9,x\n");
  ExpectInputError([&] { Load("gpqa", latin1); }, latin1, 2, "", "UTF-8");
}

class ChoiceErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ChoiceErrors, NameFileLineAndField) {
  const ErrorCase& c = GetParam();
  const std::string path = Scratch(std::string("choice_errors/") + c.name, c.text);
  ExpectInputError([&] { Load(c.task, path, c.task == std::string("gpqa") ? "diamond" : ""); },
                   path, c.line, c.field, c.needle);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ChoiceErrors,
    ::testing::Values(
        ErrorCase{"agieval", "lsat-ar.jsonl",
                  "{\"question\": \"q\", \"options\": [\"(A)1\", \"(B)2\"], \"label\": \"C\"}\n", 1,
                  "label", "not among the 2 options"},
        ErrorCase{"agieval", "lsat-lr.jsonl",
                  "{\"question\": \"q\", \"options\": null, \"label\": \"A\"}\n", 1, "options",
                  "expected a list"},
        ErrorCase{"agieval", "logiqa-en.jsonl",
                  "{\"question\": \"q\", \"options\": [\"(A)1\"], \"label\": null}\n", 1, "label",
                  "expected a letter"},
        ErrorCase{"agieval", "math.jsonl",
                  "{\"question\": \"q\", \"options\": null, \"label\": null, \"answer\": null}\n",
                  1, "answer", "cloze"},
        ErrorCase{
            "agieval", "sat-math.jsonl",
            "{\"passage\": 3, \"question\": \"q\", \"options\": [\"(A)1\"], \"label\": \"A\"}\n", 1,
            "passage", "expected a string"},
        ErrorCase{"mathqa", "mq1.json",
                  "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2\", \"correct\": \"a\"}]", 1,
                  "options", "5 options"},
        ErrorCase{"mathqa", "mq2.json",
                  "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\",\n"
                  "\"correct\": \"f\"}]",
                  1, "correct", "one of a, b"},
        ErrorCase{"mathqa", "mq3.jsonl",
                  "{\"problem\": \"p\", \"options\": \"['a ) 1', 'b ) 2']\", \"correct\": \"a\"}\n",
                  1, "options", "5 options"},
        ErrorCase{"mathqa", "mq4.jsonl",
                  "{\"problem\": \"p\", \"options\": \"[os.system('x')]\", \"correct\": \"a\"}\n",
                  1, "options", "Python literal"},
        ErrorCase{"mathqa", "mq5.jsonl",
                  "{\"problem\": \"p\", \"options\": [\"a ) 1\"], \"correct\": \"a\"}\n", 1,
                  "options", "expected a string"}));

TEST(Mathqa, BrokenListMustHoldValidIndices) {
  Scratch("broken/bad_test.json",
          "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\", "
          "\"correct\": \"a\"}]");
  const std::string list = Scratch("broken/bad_broken.txt", "0\n7\n");
  ExpectInputError(
      [&] {
        Load("mathqa", Scratch("broken/bad_test.json",
                               "[{\"Problem\": \"p\", \"options\": "
                               "\"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\", \"correct\": \"a\"}]"));
      },
      list, 2, "", "below 1");
}

}  // namespace
