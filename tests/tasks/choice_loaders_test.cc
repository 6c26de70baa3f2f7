// MathQA, AGIEval and GPQA loaders on the project's own fixtures: option parsing, letter golds, choice
// sets, few-shot prompts, GPQA's seeded shuffle, and bad input naming file, line and field.
#include <gtest/gtest.h>

#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ErrorCase;
using tasks_test::ExpectInputError;
using tasks_test::Fixture;
using tasks_test::GoldCase;
using tasks_test::Load;
using tasks_test::Scratch;

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
        GoldCase{"mathqa", "mathqa/original/test.json", 3, 0, "0", "B", "test"},
        GoldCase{"mathqa", "mathqa/original/test.json", 3, 2, "2", "E", "test"},
        GoldCase{"mathqa", "mathqa/original/challenge_test.json", 1, 0, "0", "C", "challenge"},
        GoldCase{"mathqa", "mathqa/harness/test.jsonl", 2, 1, "1", "A", "test"},
        GoldCase{"mathqa", "mathqa/reft/mathqa_test_set.json", 2, 1, "mathqa_2", "E", "test"},
        GoldCase{"mathqa", "mathqa/reft/mathqa-numeric_test_set.json", 2, 1, "mathqa-numeric_5", "0.45", "numeric"}));

TEST(Mathqa, OptionsSplitIntoFiveUppercaseLetteredChoices) {
  auto records = Load("mathqa", Fixture("mathqa/original/test.json"));
  const std::vector<std::string> first = {"36", "48", "52", "60", "none of these"};
  EXPECT_EQ(records[0].choices, first);
  EXPECT_EQ(records[0].choice_order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(records[0].kind, tasks::AnswerKind::kChoice);
  EXPECT_EQ(records[1].choices[0], "-5");
  EXPECT_EQ(records[2].choices, (std::vector<std::string>{"2 : 3", "4 : 5", "1 : 2", "8 : 6", "3 : 4"}));
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
  ExpectInputError([&] { Load("mathqa", Fixture("mathqa/reft/mathqa-numeric_test_set.json"), "test"); },
                   Fixture("mathqa/reft/mathqa-numeric_test_set.json"), 0, "variant", "numeric");

  tasks::PromptOptions options;
  const std::string prompt = tasks::FindTask("mathqa").RenderPrompt(records[0], options);
  EXPECT_NE(prompt.find("(B) 48\n(C) 52"), std::string::npos);
  EXPECT_NE(prompt.find("The answer is (X)"), std::string::npos);
}

class ChoiceErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ChoiceErrors, NameFileLineAndField) {
  const ErrorCase& c = GetParam();
  const std::string path = Scratch(std::string("choice_errors/") + c.name, c.text);
  ExpectInputError([&] { Load(c.task, path, c.task == std::string("gpqa") ? "diamond" : ""); }, path, c.line, c.field,
                   c.needle);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, ChoiceErrors,
    ::testing::Values(
        ErrorCase{"mathqa", "mq1.json", "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2\", \"correct\": \"a\"}]", 1,
                  "options", "5 options"},
        ErrorCase{"mathqa", "mq2.json", "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\",\n"
                  "\"correct\": \"f\"}]", 1, "correct", "one of a, b"},
        ErrorCase{"mathqa", "mq3.jsonl", "{\"problem\": \"p\", \"options\": \"['a ) 1', 'b ) 2']\", \"correct\": \"a\"}\n",
                  1, "options", "5 options"},
        ErrorCase{"mathqa", "mq4.jsonl", "{\"problem\": \"p\", \"options\": \"[os.system('x')]\", \"correct\": \"a\"}\n",
                  1, "options", "Python literal"},
        ErrorCase{"mathqa", "mq5.jsonl", "{\"problem\": \"p\", \"options\": [\"a ) 1\"], \"correct\": \"a\"}\n", 1,
                  "options", "expected a string"}));

TEST(Mathqa, BrokenListMustHoldValidIndices) {
  Scratch("broken/bad_test.json", "[{\"Problem\": \"p\", \"options\": \"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\", "
                                   "\"correct\": \"a\"}]");
  const std::string list = Scratch("broken/bad_broken.txt", "0\n7\n");
  ExpectInputError([&] { Load("mathqa", Scratch("broken/bad_test.json", "[{\"Problem\": \"p\", \"options\": "
                                                "\"a ) 1 , b ) 2 , c ) 3 , d ) 4 , e ) 5\", \"correct\": \"a\"}]")); },
                   list, 2, "", "below 1");
}

}  // namespace
