// Normalisation of numbers, AIME integers, letter sets and cloze LaTeX.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/extract/normalize.h"

namespace {

using tasks::extract::NormalizeInteger;
using tasks::extract::NormalizeLatex;
using tasks::extract::NormalizeLetterSet;
using tasks::extract::NormalizeNumber;

struct Case {
  const char* input;
  std::optional<std::string> expected;
};

TEST(NormalizeTest, Numbers) {
  const std::vector<Case> cases = {
      {"18", "18"},          {"1,234", "1234"},     {"$18", "18"},           {"\\$18", "18"},
      {"18.", "18"},         {"18.00", "18"},       {"2.50", "2.5"},         {"-5", "-5"},
      {"+5", "5"},           {"25%", "25"},         {"25\\%", "25"},         {"3/4", "0.75"},
      {"-3/4", "-0.75"},     {"\\frac{1}{2}", "0.5"}, {"\\dfrac{3}{4}", "0.75"}, {"\\tfrac{3}{4}", "0.75"},
      {"\\frac12", "0.5"},   {"-\\frac{1}{4}", "-0.25"}, {"5\\text{ cm}", "5"}, {"\\text{5}", "5"},
      {"1{,}000", "1000"},   {"\\$1,000.50", "1000.5"}, {"\xE2\x88\x92" "3", "-3"}, {"**18**", "18"},
      {".5", "0.5"},         {"-.5", "-0.5"},       {"{18}", "18"},          {"90^\\circ", "90"},
      {"3,4", std::nullopt}, {"abc", std::nullopt}, {"", std::nullopt},      {"1/0", std::nullopt},
      {"12,34", std::nullopt}, {"1.2.3", std::nullopt}, {"\\frac{x}{2}", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(NormalizeNumber(c.input), c.expected);
  }
}

TEST(NormalizeTest, Integers) {
  const std::vector<Case> cases = {
      {"025", "25"}, {"0", "0"}, {"999", "999"}, {"7.0", "7"}, {"1000", std::nullopt},
      {"-1", std::nullopt}, {"12.5", std::nullopt}, {"x", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(NormalizeInteger(c.input), c.expected);
  }
}

TEST(NormalizeTest, LetterSets) {
  const std::vector<Case> cases = {
      {"(D)(A)", "AD"}, {"A, d", "AD"}, {"A and C", "AC"}, {"AD", "AD"}, {"B", "B"},
      {"A\xE3\x80\x81" "C", "AC"}, {"hello", std::nullopt}, {"", std::nullopt}, {"A1", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    EXPECT_EQ(NormalizeLetterSet(c.input), c.expected);
  }
}

TEST(NormalizeTest, Latex) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"\\dfrac{1}{2}", "\\frac{1}{2}"}, {"\\frac12", "\\frac{1}{2}"}, {"\\frac1{2}", "\\frac{1}{2}"},
      {"\\left( 1, 2 \\right)", "(1,2)"}, {"x = 5", "5"}, {"5.", "5"}, {"$\\frac{3}{4}$", "\\frac{3}{4}"},
      {"10\\text{ cm}", "10"}, {"\\text{(B)}", "(B)"}, {"2\\sqrt3", "2\\sqrt{3}"}, {"3/4", "\\frac{3}{4}"},
      {"4.00", "4"}, {"50\\%", "50"}, {"90^\\circ", "90"}, {"{7}", "7"}, {".5", "0.5"},
      {"\\mathrm{m}", "m"}, {"y=2x+1", "2x+1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.first);
    EXPECT_EQ(NormalizeLatex(c.first), c.second);
  }
}

}  // namespace
