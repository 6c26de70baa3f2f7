// GSM8K, SVAMP and AIME loaders on the project's own fixtures: every layout, ids, golds, quirks,
// prompts, and bad input naming file, line and field.
#include <gtest/gtest.h>

#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ErrorCase;
using tasks_test::ExpectInputError;
using tasks_test::Fixture;
using tasks_test::GoldCase;
using tasks_test::Load;
using tasks_test::Scratch;

class LoaderGolds : public ::testing::TestWithParam<GoldCase> {};

TEST_P(LoaderGolds, IdGoldVariantAndCount) {
  const GoldCase& c = GetParam();
  auto records = Load(c.task, Fixture(c.file));
  ASSERT_EQ(records.size(), c.count);
  const tasks::Record& r = records.at(c.index);
  EXPECT_EQ(r.id, c.id);
  EXPECT_EQ(r.gold, c.gold);
  EXPECT_EQ(r.variant, c.variant);
  EXPECT_EQ(r.task, c.task);
  EXPECT_FALSE(r.question.empty());
  EXPECT_FALSE(r.gold_solution.empty());
  EXPECT_NE(r.source.find(c.file), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, LoaderGolds,
    ::testing::Values(
        GoldCase{"gsm8k", "gsm8k/test.jsonl", 3, 0, "0", "7", "main"},
        GoldCase{"gsm8k", "gsm8k/test.jsonl", 3, 1, "1", "1500", "main"},  // "#### 1,500"
        GoldCase{"gsm8k", "gsm8k/test.jsonl", 3, 2, "2", "-5", "main"},    // after a blank line
        GoldCase{"gsm8k", "gsm8k/test_socratic.jsonl", 2, 1, "1", "30", "socratic"},
        GoldCase{"gsm8k", "gsm8k/qwen_test.jsonl", 2, 1, "1", "2000", "main"},
        GoldCase{"gsm8k", "gsm8k/gsm8k_test_set.json", 2, 1, "gsm8k_1", "1500", "main"},
        GoldCase{"svamp", "svamp/SVAMP.json", 3, 0, "chal-1", "15", "main"},
        GoldCase{"svamp", "svamp/qwen_test.jsonl", 2, 0, "chal-2", "42", "main"},
        GoldCase{"svamp", "svamp/svamp_test_set.json", 2, 1, "svamp_9", "42", "main"},
        GoldCase{"aime", "aime/aime24.jsonl", 2, 1, "1", "1", "2024"},
        GoldCase{"aime", "aime/aime25.jsonl", 2, 0, "0", "12", "2025"},
        GoldCase{"aime", "aime/qwen2.5-math_aime24/test.jsonl", 3, 0, "60", "15", "2024"},  // "015"
        GoldCase{"aime", "aime/qwen2.5-math_aime24/test.jsonl", 3, 2, "62", "990", "2024"}));

TEST(Gsm8k, OfficialSolutionIsTheGoldSolution) {
  auto records = Load("gsm8k", Fixture("gsm8k/test.jsonl"));
  EXPECT_EQ(records[1].gold_solution,
            "It makes 1,200 * 1.25 = $<<1200*1.25=1500>>1,500.\n#### 1,500");
  EXPECT_EQ(records[1].kind, tasks::AnswerKind::kNumeric);
  EXPECT_EQ(records[2].source, Fixture("gsm8k/test.jsonl") + ":4");
  // ReFT records have no worked solution: a reference completion stands in.
  auto reft = Load("gsm8k", Fixture("gsm8k/gsm8k_test_set.json"));
  EXPECT_EQ(reft[0].gold_solution, "The answer is 7.");
  EXPECT_EQ(reft[1].source, Fixture("gsm8k/gsm8k_test_set.json") + ":7");
}

TEST(Svamp, QuestionAssemblyAddsAPeriodOnlyWhenMissing) {
  auto records = Load("svamp", Fixture("svamp/SVAMP.json"));
  EXPECT_EQ(records[0].question,
            "A box holds 24 apples. 9 apples are taken out. How many apples are left in the box?");
  EXPECT_EQ(records[1].question,
            "Each bag has 6 marbles. Ann has 7 bags. How many marbles does Ann have?");
  EXPECT_EQ(records[2].question,
            "Is the shelf full? It holds 30 books and has 12. How many more books fit?");
  EXPECT_EQ(records[0].extra["equation"], "( 24.0 - 9.0 )");
  EXPECT_EQ(records[0].gold_solution, "The answer is 15.");
  auto reft = Load("svamp", Fixture("svamp/svamp_test_set.json"));
  EXPECT_EQ(reft[1].extra["answer_cot"], "6 * 7 = 42. Therefore, the answer is <42>.");
}

TEST(Aime, BoxedInstructionIsStrippedFromQwqPrompts) {
  auto records = Load("aime", Fixture("aime/aime24.jsonl"));
  EXPECT_EQ(records[0].question, "Find the number of positive divisors of $2^4 \\cdot 3^2$.");
  EXPECT_EQ(records[0].kind, tasks::AnswerKind::kInteger);
  EXPECT_EQ(records[0].gold_solution, "The final answer is \\boxed{15}.");
  auto y25 = Load("aime", Fixture("aime/aime25.jsonl"));
  EXPECT_EQ(y25[1].question, "Compute $3 + 4 \\cdot 5$.");  // no instruction: kept whole
  auto qwen = Load("aime", Fixture("aime/qwen2.5-math_aime24/test.jsonl"));
  EXPECT_EQ(qwen[1].gold, "1");
  EXPECT_EQ(qwen[1].extra["url"], "https://example.org/aime/2");
}

TEST(Aime, YearFromFileNameOrExplicitVariant) {
  const std::string plain = Scratch("aime/problems.jsonl", "{\"problem\": \"p\", \"answer\": 5}\n");
  ExpectInputError([&] { Load("aime", plain); }, plain, 0, "variant", "AIME year");
  EXPECT_EQ(Load("aime", plain, "2025")[0].variant, "2025");
  ExpectInputError([&] { Load("aime", plain, "2023"); }, plain, 0, "variant", "did you mean");
  EXPECT_EQ(Load("aime", Scratch("aime/aime_2025_I.jsonl",
                                 "{\"problem\": \"p\", \"answer\": \"007\"}\n"))[0]
                .gold,
            "7");
}

TEST(Prompts, TemplatesAndDidYouMean) {
  auto gsm = Load("gsm8k", Fixture("gsm8k/test.jsonl"));
  const tasks::Task& task = tasks::FindTask("gsm8k");
  EXPECT_EQ(task.templates().front(), "zeroshot-cot-v1");
  tasks::PromptOptions options;
  const std::string zero = task.RenderPrompt(gsm[0], options);
  EXPECT_NE(zero.find(gsm[0].question), std::string::npos);
  EXPECT_NE(zero.find("The answer is"), std::string::npos);
  options.template_name = "fewshot-cot-8-v1";
  const std::string few = task.RenderPrompt(gsm[0], options);
  size_t shots = 0;
  for (size_t p = few.find("\nA: "); p != std::string::npos; p = few.find("\nA: ", p + 1)) ++shots;
  EXPECT_EQ(shots, 8u);
  EXPECT_EQ(few.rfind("Q: " + gsm[0].question + "\nA:"), few.size() - gsm[0].question.size() - 6);
  EXPECT_NE(few.find("There are 15 trees in the grove."), std::string::npos);
  options.template_name = "qa-v1";
  EXPECT_EQ(task.RenderPrompt(gsm[0], options), "Question: " + gsm[0].question + "\nAnswer:");
  options.template_name = "fewshot-cot8-v1";
  ExpectInputError([&] { task.RenderPrompt(gsm[0], options); }, "", 0, "template",
                   "did you mean 'fewshot-cot-8-v1'");

  auto aime = Load("aime", Fixture("aime/aime24.jsonl"));
  EXPECT_EQ(tasks::FindTask("aime").RenderPrompt(aime[0], {}),
            aime[0].question +
                "\nPlease reason step by step, and put your final answer within \\boxed{}.");
}

class LoaderErrors : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(LoaderErrors, NameFileLineAndField) {
  const ErrorCase& c = GetParam();
  const std::string path = Scratch(std::string("errors/") + c.name, c.text);
  ExpectInputError([&] { Load(c.task, path); }, path, c.line, c.field, c.needle);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, LoaderErrors,
    ::testing::Values(
        ErrorCase{"gsm8k", "missing.jsonl",
                  "{\"question\": \"q\", \"answer\": \"#### 1\"}\n{\"question\": \"q\"}\n", 2,
                  "answer", "missing required field"},
        ErrorCase{"gsm8k", "nomarker.jsonl", "{\"question\": \"q\", \"answer\": \"it is 4\"}\n", 1,
                  "answer", "####"},
        ErrorCase{"gsm8k", "notnumber.jsonl", "{\"question\": \"q\", \"answer\": \"#### four\"}\n",
                  1, "answer", "expected a number"},
        ErrorCase{"gsm8k", "type.jsonl", "{\"question\": 7, \"answer\": \"#### 1\"}\n", 1,
                  "question", "expected a string"},
        ErrorCase{"gsm8k", "malformed.jsonl",
                  "{\"question\": \"q\", \"answer\": \"#### 1\"}\n{\"question\": \n", 2, "",
                  "malformed JSON"},
        ErrorCase{"gsm8k", "empty.jsonl", "", 0, "", "empty"},
        ErrorCase{"gsm8k", "latin1.jsonl", "{\"question\": \"caf\xe9\", \"answer\": \"#### 1\"}\n",
                  1, "", "UTF-8"},
        ErrorCase{"gsm8k", "reft.json",
                  "[{\"item_id\": \"a\", \"question\": \"q\", \"answer_value\": \"1\"},\n"
                  "{\"item_id\": \"b\", \"question\": \"q\", \"answer_value\": \"x\"}]",
                  2, "answer_value", "expected a number"},
        ErrorCase{"svamp", "svamp.json",
                  "[\n{\"ID\": \"c\", \"Body\": \"b\", \"Question\": \"q\", \"Answer\": \"5\"}\n]",
                  2, "Answer", "expected a number"},
        ErrorCase{"svamp", "svamp2.json", "[\n{\"ID\": \"c\", \"Body\": \"b\", \"Answer\": 5}\n]",
                  2, "Question", "missing"},
        ErrorCase{"aime", "aime24.jsonl", "{\"prompt\": \"p\", \"answer\": 1000}\n", 1, "answer",
                  "0..999"},
        ErrorCase{"aime", "aime25.jsonl", "{\"prompt\": \"p\", \"answer\": \"1/2\"}\n", 1, "answer",
                  "0..999"},
        ErrorCase{"aime", "aime_24.jsonl", "{\"problem\": \"p\", \"answer\": [1]}\n", 1, "answer",
                  "integer"}));

}  // namespace
