// The HTML report through the C++ API: sections present, values and intervals shown, user text escaped
// and truncated, no scripts or external resources, tolerant of missing optional sections.
#include <gtest/gtest.h>

#include <regex>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "reports/html_report.h"
#include "test_helpers.h"

namespace {

using reports_test::Fixture;

std::vector<nlohmann::json> SamplesOf(const std::string& path) {
  std::vector<nlohmann::json> out;
  for (auto& l : util::ReadJsonLines(path)) out.push_back(std::move(l.value));
  return out;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(HtmlReport, FixtureRunHasEverySection) {
  const auto results = util::ReadJsonFile(Fixture("base/results.json"));
  const std::string page =
      reports::RenderHtmlReport({results}, {SamplesOf(Fixture("base/samples.jsonl"))}, reports::ReportOptions{});
  for (const char* id : {"id=\"results\"", "id=\"results-table\"", "id=\"paper\"", "id=\"orderings\"",
                         "id=\"training\"", "id=\"samples\"", "id=\"throughput\"", "id=\"environment\""}) {
    EXPECT_NE(page.find(id), std::string::npos) << id;
  }
  // gsm8k/sft accuracy 0.675 with its Wilson interval from the fixture.
  EXPECT_NE(page.find("67.5<br><span class=\"ci\">[52.0, 79.9]</span>"), std::string::npos);
  // Training curves: loss, reward, eval accuracy and lr charts.
  EXPECT_EQ(Count(page, "<svg class=\"chart\""), 4u);
  // Drill-down: 4 rows × 40 samples (default limit 50 per row).
  EXPECT_EQ(Count(page, "<tr class=\"sample-row"), 160u);
  EXPECT_EQ(Count(page, "<details class=\"drill\">"), 4u);
  EXPECT_NE(page.find("1234.5"), std::string::npos);  // throughput
  EXPECT_NE(page.find("fixture CPU"), std::string::npos);
  EXPECT_NE(page.find("this run used nano"), std::string::npos);
  EXPECT_NE(page.find("ReFT: Reasoning with Reinforced Fine-Tuning"), std::string::npos);
  // ReFT beats SFT on gsm8k in the fixture (72.5 vs 67.5) as in the paper.
  EXPECT_NE(page.find("<b>reft &gt; sft</b> on gsm8k"), std::string::npos);
  // Self-contained: no scripts, no external links or fonts.
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_FALSE(std::regex_search(page, std::regex("(src|href)=\"(https?:)?//")));
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_NE(page.find("@media print"), std::string::npos);
}

TEST(HtmlReport, EscapesAndTruncatesUserText) {
  nlohmann::json results = {{"schema_version", 1},
                            {"results",
                             {{{"task", "gsm8k"},
                               {"method", "sft<b>"},
                               {"model", "nano"},
                               {"seed", 1},
                               {"n", 1},
                               {"metrics", {{"accuracy", 1.0}}}}}}};
  nlohmann::json sample = {{"task", "gsm8k"},
                           {"method", "sft<b>"},
                           {"model", "nano"},
                           {"seed", 1},
                           {"id", "x&y"},
                           {"prompt", "<script>alert('p')</script>"},
                           {"gold", "\"7\""},
                           {"completions", {std::string(10000, 'a') + "<img src=x onerror=alert(1)>"}},
                           {"extracted", {nullptr}},
                           {"rules", {"none"}},
                           {"correct", {true}}};
  reports::ReportOptions options;
  options.max_text_bytes = 500;
  options.paper_tables = std::vector<reports::PaperTable>{};
  const std::string page = reports::RenderHtmlReport({results}, {{sample}}, options);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<img src=x"), std::string::npos);
  EXPECT_NE(page.find("sft&lt;b&gt;"), std::string::npos);
  EXPECT_NE(page.find("x&amp;y"), std::string::npos);
  EXPECT_NE(page.find("more bytes]"), std::string::npos);
  EXPECT_EQ(page.find(std::string(600, 'a')), std::string::npos);
  EXPECT_NE(page.find("(none)"), std::string::npos);  // failed extraction shown as such
  EXPECT_NE(page.find("No training logs"), std::string::npos);
  EXPECT_NE(page.find("No profile"), std::string::npos);
}

TEST(HtmlReport, MergesRunsAndAveragesSeeds) {
  auto a = util::ReadJsonFile(Fixture("base/results.json"));
  auto b = util::ReadJsonFile(Fixture("slightly_better/results.json"));
  const std::string page = reports::RenderHtmlReport({a, b}, {}, reports::ReportOptions{});
  // gsm8k/sft is 0.675 in both runs: mean 67.5, zero spread, and the cell says it merged two rows.
  EXPECT_NE(page.find("67.5<br><span class=\"ci\">±0.0 over 2 seeds/runs"), std::string::npos);
  EXPECT_NE(page.find("over 2 seeds/runs"), std::string::npos);
  EXPECT_NE(page.find("No samples.jsonl beside these results"), std::string::npos);
}

TEST(HtmlReport, BadInputThrows) {
  nlohmann::json results = {{"schema_version", 1}, {"results", {{{"task", "gsm8k"}}}}};
  EXPECT_THROW(reports::RenderHtmlReport({results}, {}, {}), util::InputError);
  nlohmann::json ok = {{"schema_version", 1}, {"results", nlohmann::json::array()},
                       {"training_logs", {{{"method", "sft"}}}}};
  EXPECT_THROW(reports::RenderHtmlReport({ok}, {}, {}), util::InputError);
}

TEST(HtmlReport, TrendsSectionWithHistory) {
  reports::ReportOptions options;
  options.history_path = "h.sqlite";
  reports::Trend t{"gsm8k", "", "sft", "nano", "accuracy", {}};
  for (double v : {0.5, 0.55, 0.6}) t.points.push_back({"r", "2026", "abc", v, 1});
  options.trends = {t};
  nlohmann::json results = {{"schema_version", 1}, {"results", nlohmann::json::array()}};
  const std::string page = reports::RenderHtmlReport({results}, {}, options);
  EXPECT_NE(page.find("id=\"trend-table\""), std::string::npos);
  EXPECT_NE(page.find("<svg class=\"spark\""), std::string::npos);
  EXPECT_NE(page.find("0.6000"), std::string::npos);
}

}  // namespace

namespace {

// The held-out difficulty grid: cells pooled over seeds (7+5 of 20+20 = 30.0%, Wilson [18.1, 45.4]),
// shaded, the training cell outlined, missing cells shown as a dash; malformed cells name the field.
TEST(HtmlReport, DifficultyGridPoolsSeedsAndMarksTheTrainingCell) {
  auto cell = [](int seed, int steps, int max_value, int correct, bool trained) {
    return nlohmann::json{{"task", "gsm8k"}, {"method", "sft"}, {"seed", seed}, {"steps", steps},
                          {"max_value", max_value}, {"n", 20}, {"correct", correct},
                          {"accuracy", correct / 20.0}, {"trained", trained}};
  };
  nlohmann::json results = {
      {"schema_version", 1},
      {"results", {{{"task", "gsm8k"}, {"method", "sft"}, {"model", "nano"}, {"seed", 1}, {"n", 20},
                    {"metrics", {{"accuracy", 0.5}}}}}},
      {"difficulty", {cell(1, 1, 20, 20, true), cell(2, 1, 20, 18, true), cell(1, 2, 100, 7, false),
                      cell(2, 2, 100, 5, false)}}};
  const std::string page = reports::RenderHtmlReport({results}, {}, reports::ReportOptions{});
  ASSERT_NE(page.find("id=\"difficulty\""), std::string::npos);
  EXPECT_NE(page.find("<h3>gsm8k / sft</h3>"), std::string::npos);
  EXPECT_NE(page.find(">30.0 <span class=\"ci\">[18.1–45.4] n=40</span>"), std::string::npos) << page;
  EXPECT_NE(page.find(">95.0 <span class=\"ci\">"), std::string::npos);
  EXPECT_EQ(Count(page, "outline:2px solid"), 1u);
  EXPECT_EQ(Count(page, "<td class=\"num muted\">–</td>"), 2u);  // (1, 100) and (2, 20) were not run
  // No grid, no section.
  results.erase("difficulty");
  EXPECT_EQ(reports::RenderHtmlReport({results}, {}, reports::ReportOptions{}).find("id=\"difficulty\""),
            std::string::npos);
  results["difficulty"] = {{{"task", "gsm8k"}, {"method", "sft"}, {"steps", 1}, {"n", 3}, {"correct", 1}}};
  try {
    reports::RenderHtmlReport({results}, {}, reports::ReportOptions{});
    ADD_FAILURE() << "a cell without max_value must be rejected";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "difficulty[0].max_value");
  }
}

}  // namespace
