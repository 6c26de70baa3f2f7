// Studies (results.json "studies", reports/study.h): the runner's entry from a training summary, the
// Student-t interval over seeds, grouping into arms, the report's charts (band, switch marker) and scalar
// table, and a results file with studies and no rows through report, compare and history.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "reports/compare.h"
#include "reports/history.h"
#include "reports/html_report.h"
#include "reports/results.h"
#include "reports/stats.h"
#include "reports/study.h"
#include "reports/svg_chart.h"

namespace {

using nlohmann::json;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// One study of the control-study schema. success y at x = 1000 and the scalars are what the tests vary.
json Study(const std::string& arm, const std::string& method, int seed, double success_at_1000, double final_success,
           double dip) {
  return {{"name", "wsrl-control"},
          {"title", "WSRL on the point maze"},
          {"arm", arm},
          {"method", method},
          {"seed", seed},
          {"x_label", "online environment steps"},
          {"switch_x", 0},
          {"curves",
           {{"success", {{"label", "success rate"}, {"x", {0, 1000, 2000}}, {"y", {0.5, success_at_1000, 0.8}}}},
            {"q_offline", {{"label", "mean Q on held-out offline transitions"}, {"x", {0, 1000}}, {"y", {2.0, 1.0}}}}}},
          {"scalars", {{"final_success", final_success}, {"dip", dip}}},
          {"scalar_labels", {{"final_success", "final success"}}},
          {"notes", "arm " + arm}};
}

// Three seeds of "no warm-up", one of "WSRL".
std::vector<json> FourStudies() {
  return {Study("no warm-up", "wsrl-nowarm", 1, 0.2, 0.7, 0.1), Study("WSRL", "wsrl", 1, 0.6, 0.9, 0.05),
          Study("no warm-up", "wsrl-nowarm", 2, 0.4, 0.8, 0.2), Study("no warm-up", "wsrl-nowarm", 3, 0.6, 0.9, 0.6)};
}

std::vector<reports::StudyRecord> Records(const std::vector<json>& studies) {
  std::vector<reports::StudyRecord> out;
  for (const auto& s : studies) out.push_back(reports::ParseStudy(s, "test", "studies[0]"));
  return out;
}

json StudyOnlyResults(const std::vector<json>& studies) {
  json doc = reports::MakeResultsDocument({{"name", "study-only"}}, {}, {{"cpu_model", "test"}});
  doc["studies"] = studies;
  return doc;
}

TEST(StudyStats, StudentTQuantiles) {
  EXPECT_NEAR(reports::stats::StudentT975(1), 12.706, 5e-4);
  EXPECT_NEAR(reports::stats::StudentT975(2), 4.303, 5e-4);  // t_{0.975, df=2}
  EXPECT_NEAR(reports::stats::StudentT975(30), 2.042, 5e-4);
  EXPECT_NEAR(reports::stats::StudentT975(40), 2.021, 5e-4);   // Cornish–Fisher beyond the table
  EXPECT_NEAR(reports::stats::StudentT975(1000), 1.962, 5e-4);
}

TEST(StudyStats, MeanAndTIntervalOfThreeSeeds) {
  // 0.2, 0.4, 0.6: mean 0.4; SD = sqrt((0.04 + 0 + 0.04) / 2) = 0.2; half = 4.3027 · 0.2 / √3 = 0.496833.
  const auto m = reports::stats::MeanWithTInterval({0.2, 0.4, 0.6});
  EXPECT_EQ(m.n, 3);
  EXPECT_NEAR(m.mean, 0.4, 1e-12);
  EXPECT_NEAR(m.half, 0.496833, 1e-6);
  const auto one = reports::stats::MeanWithTInterval({0.7, NAN});
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.mean, 0.7);
  EXPECT_TRUE(std::isnan(one.half));
}

TEST(StudyGroups, ArmsInFirstAppearanceOrderWithMeansAndBands) {
  const auto groups = reports::GroupStudies(Records(FourStudies()));
  ASSERT_EQ(groups.size(), 1u);
  const auto& g = groups[0];
  EXPECT_EQ(g.title, "WSRL on the point maze");
  EXPECT_EQ(g.x_label, "online environment steps");
  ASSERT_TRUE(g.switch_x.has_value());
  EXPECT_EQ(*g.switch_x, 0.0);
  ASSERT_EQ(g.arms.size(), 2u);
  EXPECT_EQ(g.arms[0].arm, "no warm-up");
  EXPECT_EQ(g.arms[1].arm, "WSRL");
  EXPECT_EQ(g.arms[0].seeds, (std::vector<long long>{1, 2, 3}));
  EXPECT_EQ(g.curve_keys, (std::vector<std::string>{"q_offline", "success"}));  // the JSON object's key order
  EXPECT_EQ(g.curve_labels.at("success"), "success rate");

  const auto& success = g.arms[0].curves.at("success");
  ASSERT_EQ(success.size(), 3u);
  EXPECT_EQ(success[1].x, 1000.0);
  EXPECT_EQ(success[1].n, 3);
  EXPECT_NEAR(success[1].mean, 0.4, 1e-12);
  EXPECT_NEAR(success[1].lo, 0.4 - 0.496833, 1e-6);
  EXPECT_NEAR(success[1].hi, 0.4 + 0.496833, 1e-6);
  EXPECT_NEAR(success[0].hi - success[0].lo, 0.0, 1e-12);  // equal values: zero width

  const auto& wsrl = g.arms[1].curves.at("success");
  EXPECT_EQ(wsrl[1].n, 1);
  EXPECT_DOUBLE_EQ(wsrl[1].mean, 0.6);
  EXPECT_TRUE(std::isnan(wsrl[1].lo));

  // final_success 0.7, 0.8, 0.9: mean 0.8, SD 0.1, half 4.3027 · 0.1 / √3 = 0.248417.
  const auto& fs = g.arms[0].scalars.at("final_success");
  EXPECT_NEAR(fs.mean, 0.8, 1e-12);
  EXPECT_NEAR(fs.half, 0.248417, 1e-6);
}

TEST(StudyGroups, CurvePointsMatchOnEqualX) {
  reports::StudyCurve a{"a", {0, 1000}, {0.2, 0.4}}, b{"b", {0, 1000, 2000}, {0.4, NAN, 1.0}};
  const auto points = reports::AggregateCurve({&a, &b});
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].n, 2);
  EXPECT_NEAR(points[0].mean, 0.3, 1e-12);
  // 0.2, 0.4: SD = √0.02 = 0.141421; half = 12.7062 · 0.141421 / √2 = 1.27062.
  EXPECT_NEAR(points[0].hi, 0.3 + 1.27062, 1e-5);
  EXPECT_EQ(points[1].n, 1);  // the null y is left out
  EXPECT_DOUBLE_EQ(points[1].mean, 0.4);
  EXPECT_EQ(points[2].n, 1);
}

TEST(StudyChart, BandPolygonAndDashedMarker) {
  reports::svg::Series s{"arm", {{0, 0.5}, {1000, 0.4}}};
  s.band = {{0, 0.5, 0.5}, {1000, -0.1, 0.9}};
  reports::svg::ChartOptions o;
  o.title = "success rate";
  o.markers.push_back({0, "switch"});
  const std::string svg = reports::svg::LineChart({s}, o);
  EXPECT_EQ(Count(svg, "<polygon class=\"band\""), 1u);
  EXPECT_EQ(Count(svg, "<line class=\"marker\""), 1u);
  EXPECT_NE(svg.find("stroke-dasharray"), std::string::npos);
  EXPECT_NE(svg.find(">switch</text>"), std::string::npos);
  // The band's lower bound widens the y axis below the line's minimum: a -0.2 tick (step 0.2).
  EXPECT_NE(svg.find(">-0.2</text>"), std::string::npos);
  // A band with fewer than two finite points draws nothing.
  s.band = {{0, NAN, NAN}, {1000, -0.1, 0.9}};
  EXPECT_EQ(Count(reports::svg::LineChart({s}, o), "<polygon"), 0u);
}

TEST(StudyReport, SectionWithChartsBandsMarkersAndScalarTable) {
  const std::string page = reports::RenderHtmlReport({StudyOnlyResults(FourStudies())}, {}, reports::ReportOptions{});
  EXPECT_NE(page.find("id=\"studies\""), std::string::npos);
  EXPECT_NE(page.find("<a href=\"#studies\">Studies</a>"), std::string::npos);
  EXPECT_NE(page.find("No results rows."), std::string::npos);
  EXPECT_NE(page.find("WSRL on the point maze"), std::string::npos);
  // Two curves → two charts; a band for the three-seed arm only; the switch marker on each.
  EXPECT_EQ(Count(page, "<svg class=\"chart\""), 2u);
  EXPECT_EQ(Count(page, "<polygon class=\"band\""), 2u);
  EXPECT_EQ(Count(page, "<line class=\"marker\""), 2u);
  EXPECT_NE(page.find("online environment steps"), std::string::npos);
  // Scalars: final success 0.800 ± 0.248 (above); dip 0.1, 0.2, 0.6: mean 0.3, SD √0.07 = 0.264575,
  // half 4.3027 · 0.264575 / √3 = 0.657248. WSRL has one seed: the value alone.
  EXPECT_NE(page.find("<th class=\"num\">final success</th>"), std::string::npos);
  EXPECT_NE(page.find("<th class=\"num\">dip</th>"), std::string::npos);  // no label: the key
  EXPECT_NE(page.find(">0.800 ± 0.248</td>"), std::string::npos);
  EXPECT_NE(page.find(">0.300 ± 0.657</td>"), std::string::npos);
  EXPECT_NE(page.find(">0.900</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>no warm-up</td><td>wsrl-nowarm</td>"), std::string::npos);
  // Arms in first-appearance order in the table.
  EXPECT_LT(page.find("<td>no warm-up</td>"), page.find("<td>WSRL</td>"));
  EXPECT_NE(page.find("<td class=\"num\">3</td></tr>"), std::string::npos);  // seeds
  EXPECT_NE(page.find("<b>no warm-up:</b> arm no warm-up"), std::string::npos);
}

TEST(StudyReport, OneSeedHasNoBand) {
  const std::string page =
      reports::RenderHtmlReport({StudyOnlyResults({Study("WSRL", "wsrl", 1, 0.6, 0.9, 0.05)})}, {}, reports::ReportOptions{});
  EXPECT_EQ(Count(page, "<svg class=\"chart\""), 2u);
  EXPECT_EQ(Count(page, "<polygon"), 0u);
  EXPECT_EQ(Count(page, "<line class=\"marker\""), 2u);
  EXPECT_NE(page.find(">0.900</td>"), std::string::npos);  // final success: the value alone
  EXPECT_EQ(page.find(">0.900 ± "), std::string::npos);
}

TEST(StudyReport, EscapesStudyText) {
  json s = Study("<b>arm</b>", "m", 1, 0.6, 0.9, 0.05);
  s["title"] = "T & <i>";
  s["notes"] = "<script>x</script>";
  s["curves"]["success"]["label"] = "a\"b";
  const std::string page = reports::RenderHtmlReport({StudyOnlyResults({s})}, {}, reports::ReportOptions{});
  EXPECT_EQ(page.find("<b>arm</b>"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;arm&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(page.find("T &amp; &lt;i&gt;"), std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("a&quot;b"), std::string::npos);
}

TEST(StudyEntry, FromTrainingSummary) {
  EXPECT_TRUE(reports::StudyEntry({{"steps", 3}}, "sft", 1).is_null());
  json study = Study("WSRL", "", 0, 0.6, 0.9, 0.05);
  study.erase("method");
  study.erase("seed");
  const json entry = reports::StudyEntry({{"study", study}, {"train_seconds", 2.0}}, "wsrl", 7, "DONE.json");
  EXPECT_EQ(entry["method"], "wsrl");
  EXPECT_EQ(entry["seed"], 7);
  EXPECT_EQ(entry["arm"], "WSRL");
  // A malformed study fails at its step, naming the file and the field.
  study["curves"]["success"]["y"] = {0.5, 0.6};
  try {
    reports::StudyEntry({{"study", study}}, "wsrl", 7, "DONE.json");
    ADD_FAILURE() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().file, "DONE.json");
    EXPECT_EQ(e.where().field, "study.curves.success.y");
  }
  study.erase("name");
  EXPECT_THROW(reports::StudyEntry({{"study", study}}, "wsrl", 7, "DONE.json"), util::InputError);
}

TEST(StudyEntry, ArmDefaultsToMethod) {
  json study = Study("x", "", 0, 0.6, 0.9, 0.05);
  study.erase("arm");
  const auto r = reports::ParseStudy(reports::StudyEntry({{"study", study}}, "wsrl-nowarm", 2), "f", "study");
  EXPECT_EQ(r.arm, "wsrl-nowarm");
  EXPECT_EQ(r.seed, 2);
}

TEST(StudyOnlyRun, CompareAndHistoryDoNotCrash) {
  const json doc = StudyOnlyResults(FourStudies());
  const reports::LoadedRun run = reports::ParseResults(doc, "a/results.json");
  EXPECT_TRUE(run.rows.empty());
  EXPECT_EQ(run.studies.size(), 4u);
  // No rows, but the study arms pair up: compared scalar by scalar, nothing changed, no regression.
  const reports::CompareReport same = reports::CompareRuns(run, run, reports::CompareOptions{});
  EXPECT_TRUE(same.rows.empty());
  EXPECT_FALSE(same.studies.empty());
  for (const auto& c : same.studies) {
    EXPECT_FALSE(c.changed) << c.arm << " " << c.scalar;
    EXPECT_EQ(c.delta, 0.0) << c.arm << " " << c.scalar;
  }
  EXPECT_FALSE(same.regression());
  // With nothing in common (no rows, no arms): an input error (exit 2 from the CLI), not a crash.
  const reports::LoadedRun empty = reports::ParseResults(StudyOnlyResults(json::array()), "b/results.json");
  EXPECT_THROW(reports::CompareRuns(run, empty, reports::CompareOptions{}), util::InputError);
  const auto dir = std::filesystem::temp_directory_path() / ("study_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "history.db").string();
  EXPECT_FALSE(reports::AppendRun(db, doc, "a/results.json").empty());
  EXPECT_EQ(reports::CountRuns(db), 1);
  EXPECT_TRUE(reports::LoadTrend(db, 5, "").empty());
  std::filesystem::remove_all(dir);
}

// The runner writes an empty samples.jsonl beside a run without rows; `harness report` reads such a run.
TEST(StudyOnlyRun, LoadRunIgnoresTheEmptySamplesFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("study_load_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  util::WriteFileAtomic((dir / "results.json").string(), StudyOnlyResults(FourStudies()).dump());
  util::WriteFileAtomic((dir / "samples.jsonl").string(), "");
  const reports::LoadedRun run = reports::LoadRun((dir / "results.json").string());
  EXPECT_TRUE(run.samples.empty());
  EXPECT_TRUE(run.samples_path.empty());
  EXPECT_EQ(run.studies.size(), 4u);
  EXPECT_NE(reports::RenderHtmlReport({run}, reports::ReportOptions{}).find("id=\"studies\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(StudyOnlyRun, MalformedStudiesNameTheField) {
  json doc = StudyOnlyResults(FourStudies());
  doc["studies"][2]["scalars"]["dip"] = "high";
  try {
    reports::ParseResults(doc, "r.json");
    ADD_FAILURE() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "studies[2].scalars.dip");
  }
}

}  // namespace
