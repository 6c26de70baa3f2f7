// The report opened in headless Chromium (Debian package `chromium`): `harness report` writes the page,
// Chromium loads it with console logging on; the test asserts no console messages, saves a screenshot
// next to the page in the build tree, and checks in the dumped DOM that the results table, an SVG chart
// and a drill-down row are present. Skips when Chromium is not installed.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "harness/util/files.h"
#include "test_helpers.h"

namespace {

using reports_test::Quote;

std::string FindChromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (std::filesystem::exists(candidate)) return candidate;
  }
  return "";
}

// Runs Chromium headless on a local file with console messages logged to stderr (captured in `log`).
reports_test::CommandResult Chromium(const std::string& chromium, const std::string& dir, const std::string& flags,
                                     const std::string& page, const std::string& log) {
  // Parenthesised so that RunCommand's own 2>&1 applies to the subshell, not to Chromium's stderr.
  const std::string cmd = "(timeout 180 " + chromium +
                          " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                          " --disable-extensions --hide-scrollbars --enable-logging=stderr --v=0"
                          " --user-data-dir=" + Quote(dir + "/chromium-profile") + " " + flags +
                          " file://" + page + " 2>" + Quote(log) + ")";
  return reports_test::RunCommand(cmd);
}

// Console messages Chromium logged for the page ("INFO:CONSOLE" lines).
std::vector<std::string> ConsoleLines(const std::string& log_path) {
  std::vector<std::string> out;
  const std::string log = util::FileExists(log_path) ? util::ReadFile(log_path) : "";
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    const std::string line = log.substr(start, end - start);
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
    start = end + 1;
  }
  return out;
}

TEST(ReportChromium, DetectorSeesConsoleErrors) {
  // Control: a page that logs an error must be caught, or the clean-page assertion below proves nothing.
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (scripts/install_deps.sh installs it)";
  const std::string dir = reports_test::OutputDir("chromium_control");
  const std::string page = dir + "/bad.html";
  util::WriteFileAtomic(page, "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body>"
                              "<script>console.error('control-marker')</script></body></html>");
  Chromium(chromium, dir, "--dump-dom", page, dir + "/console.log");
  const auto lines = ConsoleLines(dir + "/console.log");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("control-marker"), std::string::npos);
}

TEST(ReportChromium, OpensCleanlyWithTableChartAndDrillDown) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium not installed (scripts/install_deps.sh installs it)";
  const std::string dir = reports_test::OutputDir("chromium_report");
  const std::string page = dir + "/report.html";
  const std::string history = dir + "/history.sqlite";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(history + s);
  // Two runs through the history so the trends section has lines, then the report of the first run.
  auto pre = reports_test::RunCommand(std::string(HARNESS_BINARY) + " report " +
                                      Quote(reports_test::Fixture("slightly_better/results.json")) + " --out " +
                                      Quote(dir + "/previous.html") + " --history " + Quote(history));
  ASSERT_EQ(pre.exit_code, 0) << pre.output;
  auto made = reports_test::RunCommand(std::string(HARNESS_BINARY) + " report " +
                                       Quote(reports_test::Fixture("base/results.json")) + " --out " + Quote(page) +
                                       " --history " + Quote(history));
  ASSERT_EQ(made.exit_code, 0) << made.output;

  const std::string screenshot = dir + "/report.png";
  std::filesystem::remove(screenshot);
  auto shot = Chromium(chromium, dir, "--window-size=1280,2400 --screenshot=" + Quote(screenshot), page,
                       dir + "/screenshot-console.log");
  EXPECT_EQ(shot.exit_code, 0) << shot.output;
  ASSERT_TRUE(std::filesystem::exists(screenshot)) << shot.output;
  EXPECT_GT(std::filesystem::file_size(screenshot), 10000u);
  EXPECT_TRUE(ConsoleLines(dir + "/screenshot-console.log").empty());

  auto dom = Chromium(chromium, dir, "--dump-dom", page, dir + "/dom-console.log");
  ASSERT_EQ(dom.exit_code, 0);
  const auto console = ConsoleLines(dir + "/dom-console.log");
  EXPECT_TRUE(console.empty()) << console.front();
  util::WriteFileAtomic(dir + "/dom.html", dom.output);
  // The parsed DOM (not just our bytes): Chromium re-serialises it, so these prove the elements exist.
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("<table class=\"results\" id=\"results-table\">")));
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("<svg class=\"chart\"[^>]*>")));
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("<details class=\"drill\">")));
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("<tr class=\"sample-row (correct|wrong)\">")));
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("id=\"trend-table\"")));
  EXPECT_TRUE(std::regex_search(dom.output, std::regex("<svg class=\"spark\"")));
}

}  // namespace
