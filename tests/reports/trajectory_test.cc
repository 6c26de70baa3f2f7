// START-style tool-integrated samples: the optional "trajectories" field of samples.jsonl is read into
// SampleRecord (values round-trip, mistyped fields are rejected naming the field), and the HTML
// drill-down shows the first trajectory with code, output, status badges and inserted hints, escaped.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "reports/html_report.h"
#include "reports/run_data.h"
#include "test_helpers.h"

namespace {

using nlohmann::json;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

const char* kHint = "Wait, maybe using Python here is a good idea.";

// Two tool calls (one failing, whose code carries a <script> tag) around one inserted hint.
json TrajectoryJson() {
  const std::string text = std::string("First 12 * 37. ") + kHint +
                           "\n<code>\nprint(\"<script>alert(1)</script>\")\n</code>\n<output>\n"
                           "<script>alert(1)</script>\n</output>\nNow the sum.\n<code>\nx = 1/0\n</code>\n<output>\n"
                           "ZeroDivisionError: division by zero\n</output>\nThe answer is 444.";
  return {{"text", text},
          {"tool_calls",
           {{{"code", "print(\"<script>alert(1)</script>\")"},
             {"output", "<script>alert(1)</script>\n"},
             {"status", "passed"},
             {"seconds", 0.031},
             {"round", 1}},
            {{"code", "x = 1/0"},
             {"output", "ZeroDivisionError: division by zero\n"},
             {"status", "runtime_error"},
             {"seconds", 0.5},
             {"round", 1}}}},
          {"hints", {{{"kind", "calculation"}, {"text", kHint}, {"where", "stop"}, {"round", 1}}}},
          {"hint_rounds", 1},
          {"truncated_calls", false}};
}

json SampleJson() {
  return {{"task", "gsm8k"},       {"method", "start"},
          {"model", "nano"},       {"seed", 1},
          {"id", "p1"},            {"prompt", "What is 12 * 37?"},
          {"gold", "444"},         {"completions", {TrajectoryJson()["text"]}},
          {"extracted", {"444"}},  {"rules", {"answer_is"}},
          {"correct", {true}},     {"trajectories", {TrajectoryJson()}}};
}

json ResultsJson() {
  return {{"schema_version", 1},
          {"results",
           {{{"task", "gsm8k"},
             {"method", "start"},
             {"model", "nano"},
             {"seed", 1},
             {"n", 1},
             {"metrics", {{"accuracy", 1.0}}}}}}};
}

util::Location Where() { return util::Location{"samples.jsonl", 7, ""}; }

TEST(Trajectories, RoundTrip) {
  const reports::SampleRecord s = reports::ParseSample(SampleJson(), Where());
  ASSERT_EQ(s.trajectories.size(), 1u);
  const reports::Trajectory& t = s.trajectories[0];
  EXPECT_EQ(t.text, TrajectoryJson()["text"].get<std::string>());
  ASSERT_EQ(t.tool_calls.size(), 2u);
  EXPECT_EQ(t.tool_calls[0].code, "print(\"<script>alert(1)</script>\")");
  EXPECT_EQ(t.tool_calls[0].output, "<script>alert(1)</script>\n");
  EXPECT_EQ(t.tool_calls[0].status, "passed");
  EXPECT_DOUBLE_EQ(t.tool_calls[0].seconds, 0.031);
  EXPECT_EQ(t.tool_calls[0].round, 1);
  EXPECT_EQ(t.tool_calls[1].status, "runtime_error");
  ASSERT_EQ(t.hints.size(), 1u);
  EXPECT_EQ(t.hints[0].kind, "calculation");
  EXPECT_EQ(t.hints[0].text, kHint);
  EXPECT_EQ(t.hints[0].where, "stop");
  EXPECT_EQ(t.hints[0].round, 1);
  EXPECT_EQ(t.hint_rounds, 1);
  EXPECT_FALSE(t.truncated_calls);

  // Optional keys inside a trajectory default; absent or null "trajectories" is empty.
  json minimal = SampleJson();
  minimal["trajectories"] = {{{"text", "no tools"}, {"truncated_calls", true}}};
  const reports::SampleRecord m = reports::ParseSample(minimal, Where());
  ASSERT_EQ(m.trajectories.size(), 1u);
  EXPECT_TRUE(m.trajectories[0].tool_calls.empty());
  EXPECT_TRUE(m.trajectories[0].hints.empty());
  EXPECT_EQ(m.trajectories[0].hint_rounds, 0);
  EXPECT_TRUE(m.trajectories[0].truncated_calls);
  json old = SampleJson();
  old.erase("trajectories");
  EXPECT_TRUE(reports::ParseSample(old, Where()).trajectories.empty());
  old["trajectories"] = nullptr;
  EXPECT_TRUE(reports::ParseSample(old, Where()).trajectories.empty());
}

TEST(Trajectories, ReadFromSamplesFile) {
  const std::string dir = reports_test::OutputDir("trajectories_file");
  json old = SampleJson();
  old.erase("trajectories");
  old["id"] = "p0";
  util::WriteFileAtomic(dir + "/samples.jsonl", old.dump() + "\n" + SampleJson().dump() + "\n");
  const auto samples = reports::ReadSamples(dir + "/samples.jsonl");
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_TRUE(samples[0].trajectories.empty());
  ASSERT_EQ(samples[1].trajectories.size(), 1u);
  EXPECT_EQ(samples[1].trajectories[0].tool_calls.size(), 2u);

  json bad = SampleJson();
  bad["trajectories"][0]["tool_calls"] = "print(1)";
  util::WriteFileAtomic(dir + "/samples.jsonl", old.dump() + "\n" + bad.dump() + "\n");
  try {
    reports::ReadSamples(dir + "/samples.jsonl");
    ADD_FAILURE() << "tool_calls that is not an array must be rejected";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().line, 2);
    EXPECT_EQ(e.where().field, "trajectories[0].tool_calls");
    EXPECT_NE(std::string(e.what()).find("expected an array, got string"), std::string::npos) << e.what();
  }
}

TEST(Trajectories, MalformedFieldsAreNamed) {
  struct Case {
    std::function<void(json&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json& s) { s["trajectories"] = {{"text", "x"}}; }, "trajectories"},  // an object, not an array
      {[](json& s) { s["trajectories"] = json::array({"just text"}); }, "trajectories[0]"},
      {[](json& s) { s["trajectories"][0]["tool_calls"] = 3; }, "trajectories[0].tool_calls"},
      {[](json& s) { s["trajectories"][0]["text"] = 5; }, "trajectories[0].text"},
      {[](json& s) { s["trajectories"][0].erase("text"); }, "trajectories[0].text"},
      {[](json& s) { s["trajectories"][0]["tool_calls"][1]["status"] = true; }, "trajectories[0].tool_calls[1].status"},
      {[](json& s) { s["trajectories"][0]["tool_calls"][0]["seconds"] = "fast"; },
       "trajectories[0].tool_calls[0].seconds"},
      {[](json& s) { s["trajectories"][0]["tool_calls"][0]["round"] = 1.5; }, "trajectories[0].tool_calls[0].round"},
      {[](json& s) { s["trajectories"][0]["tool_calls"][0].erase("code"); }, "trajectories[0].tool_calls[0].code"},
      {[](json& s) { s["trajectories"][0]["hints"] = {{"text", "x"}}; }, "trajectories[0].hints"},  // object
      {[](json& s) { s["trajectories"][0]["hints"] = json::array({1}); }, "trajectories[0].hints[0]"},
      {[](json& s) { s["trajectories"][0]["tool_calls"] = json::array({"x"}); }, "trajectories[0].tool_calls[0]"},
      {[](json& s) { s["trajectories"][0]["hints"][0]["text"] = nullptr; }, "trajectories[0].hints[0].text"},
      {[](json& s) { s["trajectories"][0]["hints"][0]["where"] = 1; }, "trajectories[0].hints[0].where"},
      {[](json& s) { s["trajectories"][0]["hint_rounds"] = -1; }, "trajectories[0].hint_rounds"},
      {[](json& s) { s["trajectories"][0]["truncated_calls"] = "no"; }, "trajectories[0].truncated_calls"},
      {[](json& s) { s["trajectories"].push_back(s["trajectories"][0]); }, "trajectories"},  // 2 for 1 completion
  };
  for (const auto& c : cases) {
    json s = SampleJson();
    c.mutate(s);
    try {
      reports::ParseSample(s, Where());
      ADD_FAILURE() << "accepted: " << s["trajectories"].dump();
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "samples.jsonl");
      EXPECT_EQ(e.where().line, 7);
    }
  }
}

TEST(Trajectories, HtmlShowsToolCallsHintsAndBadgesEscaped) {
  reports::ReportOptions options;
  options.paper_tables = std::vector<reports::PaperTable>{};
  const std::string page = reports::RenderHtmlReport({ResultsJson()}, {{SampleJson()}}, options);
  // Nothing from the trajectory reaches the page unescaped.
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"tool-code\">print(&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;)</pre>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("<pre class=\"tool-out\">&lt;script&gt;alert(1)&lt;/script&gt;</pre>"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"tool-code\">x = 1/0</pre>"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"tool-out\">ZeroDivisionError: division by zero</pre>"), std::string::npos);
  // The markers themselves are not shown.
  EXPECT_EQ(page.find("&lt;code&gt;"), std::string::npos);
  EXPECT_EQ(page.find("&lt;output&gt;"), std::string::npos);
  // Badges: passed in green, the failing call in red, each after its code block.
  EXPECT_NE(page.find("<span class=\"badge tool-ok\">passed</span>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"badge tool-fail\">runtime_error</span>"), std::string::npos);
  EXPECT_LT(page.find("x = 1/0</pre>"), page.find("tool-fail\">runtime_error"));
  // The hint, highlighted in the model text before the first call.
  const std::string hint_span = std::string("<span class=\"hint\" title=\"inserted hint: calculation, round 1, at stop\">") +
                                kHint + "</span>";
  EXPECT_NE(page.find("<pre class=\"tool-text\">First 12 * 37. " + hint_span), std::string::npos) << page;
  EXPECT_EQ(Count(page, "<span class=\"hint\""), 1u);
  EXPECT_NE(page.find("<pre class=\"tool-text\">The answer is 444.</pre>"), std::string::npos);
  // Summary of the completion and the row's mean.
  EXPECT_NE(page.find("2 tool calls, 1 hint round<"), std::string::npos);
  EXPECT_NE(page.find("2.00 tool calls per problem, 1.00 hint rounds per problem"), std::string::npos);
  // The CSS for the new classes is in the page's own style block.
  EXPECT_NE(page.find("pre.tool-code{"), std::string::npos);
  EXPECT_NE(page.find(".badge.tool-ok{"), std::string::npos);
  EXPECT_NE(page.find(".hint{"), std::string::npos);
}

TEST(Trajectories, HtmlCutsLongTrajectoriesAndReportsWhatWasLeftOut) {
  json sample = SampleJson();
  json& t = sample["trajectories"][0];
  // A long first code block: the cut falls inside it, so the second call and the hint after it are
  // not shown; the page says so.
  const std::string text = "Start.\n<code>\n" + std::string(2000, 'y') + "\n</code>\n<output>\n1\n</output>\n" +
                           "Later hint here.\n<code>\nprint(2)\n</code>\n";
  t["text"] = text;
  t["hints"] = {{{"kind", "reflection"}, {"text", "Later hint here."}, {"where", "reflection"}, {"round", 1}}};
  t["truncated_calls"] = true;
  sample["completions"] = {text};
  reports::ReportOptions options;
  options.paper_tables = std::vector<reports::PaperTable>{};
  options.max_text_bytes = 500;
  const std::string page = reports::RenderHtmlReport({ResultsJson()}, {{sample}}, options);
  EXPECT_EQ(page.find(std::string(600, 'y')), std::string::npos);
  EXPECT_NE(page.find("more bytes]</pre>"), std::string::npos);
  EXPECT_NE(page.find("<span class=\"badge tool-ok\">passed</span>"), std::string::npos);
  EXPECT_NE(page.find("1 more tool call beyond the text shown: <span class=\"badge tool-fail\">runtime_error</span>"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("hints not found in the text shown: <span class=\"hint\">Later hint here.</span>"),
            std::string::npos);
  EXPECT_NE(page.find("tool-call budget reached"), std::string::npos);
}

// A hint is looked for in model text only: an earlier copy inside a code block or an output is skipped.
TEST(Trajectories, HintsAreFoundInModelTextOnly) {
  json sample = SampleJson();
  json& t = sample["trajectories"][0];
  const std::string text = "<code>\nprint('Check it.')\n</code>\n<output>\nCheck it.\n</output>\nCheck it. Done.";
  t["text"] = text;
  t["tool_calls"] = {{{"code", "print('Check it.')"}, {"output", "Check it.\n"}, {"status", "passed"}}};
  t["hints"] = {{{"kind", "reflection"}, {"text", "Check it."}, {"where", "reflection"}, {"round", 1}}};
  sample["completions"] = {text};
  reports::ReportOptions options;
  options.paper_tables = std::vector<reports::PaperTable>{};
  const std::string page = reports::RenderHtmlReport({ResultsJson()}, {{sample}}, options);
  EXPECT_NE(page.find("<pre class=\"tool-code\">print(&#39;Check it.&#39;)</pre>"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"tool-out\">Check it.</pre>"), std::string::npos);
  EXPECT_NE(page.find("<pre class=\"tool-text\"><span class=\"hint\" title=\"inserted hint: reflection, round 1, at "
                      "reflection\">Check it.</span> Done.</pre>"),
            std::string::npos)
      << page;
  EXPECT_EQ(page.find("hints not found"), std::string::npos);
  EXPECT_NE(page.find("1 tool call, 1 hint round<"), std::string::npos);
}

TEST(Trajectories, SamplesWithoutTrajectoriesRenderAsBefore) {
  json old = SampleJson();
  old.erase("trajectories");
  reports::ReportOptions options;
  options.paper_tables = std::vector<reports::PaperTable>{};
  const std::string page = reports::RenderHtmlReport({ResultsJson()}, {{old}}, options);
  EXPECT_NE(page.find("<b>completion</b><pre>First 12 * 37. " + std::string(kHint) + "\n&lt;code&gt;"),
            std::string::npos);
  EXPECT_EQ(page.find("class=\"trajectory\""), std::string::npos);
  EXPECT_EQ(page.find("tool calls per problem"), std::string::npos);
  EXPECT_EQ(page.find("<span class=\"hint\""), std::string::npos);
  EXPECT_NE(page.find("1 of 1 first samples correct</summary>"), std::string::npos);
}

// Rows mix: the mean is over the problems that have trajectories, and says so.
TEST(Trajectories, ToolCallsPerProblemOverProblemsWithTrajectories) {
  json a = SampleJson();
  json b = SampleJson();
  b["id"] = "p2";
  b["trajectories"][0]["tool_calls"] = json::array();
  b["trajectories"][0]["hint_rounds"] = 0;
  json c = SampleJson();
  c["id"] = "p3";
  c.erase("trajectories");
  reports::ReportOptions options;
  options.paper_tables = std::vector<reports::PaperTable>{};
  const std::string page = reports::RenderHtmlReport({ResultsJson()}, {{a, b, c}}, options);
  EXPECT_NE(page.find("1.00 tool calls per problem, 0.50 hint rounds per problem (over the 2 problems with "
                      "trajectories)"),
            std::string::npos);
  EXPECT_NE(page.find("0 tool calls, 0 hint rounds<"), std::string::npos);
}

}  // namespace
