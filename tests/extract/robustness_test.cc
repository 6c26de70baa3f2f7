// Extraction never throws or stalls on hostile completions: random bytes, invalid UTF-8, NULs,
// huge inputs, unclosed boxes.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "harness/util/hashing.h"
#include "tasks/extract/extract.h"
#include "tasks/extract/pipeline.h"
#include "tests/extract/test_records.h"

namespace {

using extract_test::MakeRecord;
using extract_test::T;

const T kTasks[] = {T::kGsm8k, T::kSvamp, T::kMathQa, T::kLsat, T::kSatMath, T::kJecQa,
                    T::kAgiMath, T::kGpqa, T::kAime, T::kLcb};

void ExtractWithEveryPreset(const std::string& text) {
  for (T t : kTasks) {
    auto record = MakeRecord(t, "1");
    for (const auto& preset : tasks::extract::PresetsFor(record)) {
      tasks::ExtractedAnswer answer;
      ASSERT_NO_THROW(answer = tasks::extract::Extract(text, record, preset)) << preset;
      if (!answer.valid) {
        EXPECT_EQ(answer.rule, "none");
      }
      EXPECT_NO_THROW(tasks::extract::IsEquivalent(answer, record));
    }
  }
  for (const char* which : {"last", "first"}) {
    tasks::ExtractedAnswer code;
    ASSERT_NO_THROW(code = tasks::extract::ExtractCode(text, which));
    if (!code.valid) {
      EXPECT_EQ(code.rule, "none");
    }
  }
}

TEST(RobustnessTest, RandomBytes) {
  util::SplitMix64 rng(20240611);
  // Bytes biased towards the characters the patterns care about.
  const std::string alphabet = "0123456789 .,$\\{}()#:*-/%ABCDEabcde\n\xff\xc3\xe2\x80\x00";
  for (int i = 0; i < 300; ++i) {
    std::string text;
    size_t length = rng.Next() % 2000;
    for (size_t j = 0; j < length; ++j) {
      uint64_t r = rng.Next();
      text += (r % 4 == 0) ? static_cast<char>(r >> 8) : alphabet[(r >> 8) % alphabet.size()];
    }
    ExtractWithEveryPreset(text);
  }
}

TEST(RobustnessTest, HugeAndPathologicalInputs) {
  ExtractWithEveryPreset(std::string(1 << 19, '9'));
  std::string boxes;
  for (int i = 0; i < 50000; ++i) boxes += "\\boxed{";
  ExtractWithEveryPreset(boxes);
  std::string markers;
  for (int i = 0; i < 20000; ++i) markers += "The answer is ";
  ExtractWithEveryPreset(markers);
  ExtractWithEveryPreset(std::string("\0\0\0The answer is 5\0", 19));
  ExtractWithEveryPreset("\xed\xa0\x80\xf8\x88\x80\x80\x80 The answer is \xc0\xaf 5");
}

TEST(RobustnessTest, HugeInputStillFindsTheFinalAnswer) {
  std::string text(1 << 20, 'x');
  text += "\nThe answer is 42.";
  auto answer = tasks::extract::Extract(text, MakeRecord(T::kGsm8k), "default");
  EXPECT_TRUE(answer.valid);
  EXPECT_EQ(answer.value, "42");
}

// Gating (RunPipeline skipping a marker step whose pattern RE2's prefilter shows cannot match) never
// changes an answer: every preset of every task gives the same value, raw text and rule with the
// gates off, on texts made of marker fragments in mixed case at every byte offset, beside
// non-ASCII bytes (Latin-1 upper case too, which the patterns' case folding does not touch).
TEST(RobustnessTest, GatesNeverChangeAnAnswer) {
  const std::vector<std::string> pieces = {
      "The answer is ", "THE ANSWER IS ", "AnSwEr: ", "answer\xef\xbc\x9a", "Final Answer is: ", "FINAL ANSWER ",
      "#### ", "###", "\\boxed{", "\\boxed ", "\\fbox{", "}", "\xe7\xad\x94\xe6\xa1\x88\xe6\x98\xaf",
      "\xc7\xad\x94", "the option is ", "CHOICE IS ", "(B) ", "c ) ", "= ", "18", "-3.5", "1,234", "\\frac{1}{2}",
      " ", ".", "\n", "\xc9", "\xe2\x80\x99", "answ", "er is ", "x"};
  util::SplitMix64 rng(7);
  int compared = 0;
  for (int i = 0; i < 400; ++i) {
    std::string text(rng.Next() % 9, 'y');  // every offset modulo the eight-byte lower-casing
    const size_t count = 1 + rng.Next() % 12;
    for (size_t j = 0; j < count; ++j) text += pieces[rng.Next() % pieces.size()];
    for (T t : kTasks) {
      const auto record = MakeRecord(t, "1");
      for (const auto& preset : tasks::extract::PresetsFor(record)) {
        const tasks::ExtractedAnswer gated = tasks::extract::Extract(text, record, preset);
        tasks::extract::internal::SetGatesEnabled(false);
        const tasks::ExtractedAnswer plain = tasks::extract::Extract(text, record, preset);
        tasks::extract::internal::SetGatesEnabled(true);
        ASSERT_EQ(gated.valid, plain.valid) << preset << ": " << text;
        EXPECT_EQ(gated.value, plain.value) << preset << ": " << text;
        EXPECT_EQ(gated.raw, plain.raw) << preset << ": " << text;
        EXPECT_EQ(gated.rule, plain.rule) << preset << ": " << text;
        compared += plain.valid ? 1 : 0;
      }
    }
  }
  EXPECT_GT(compared, 1000);  // most texts hold an answer for most presets
}

// A scan for numbers from LastNumbersStart finds exactly the whole-text scan's numbers from there on
// (its last ones included): random texts over the bytes NumberPattern matches and a few it does not.
TEST(RobustnessTest, NumbersFromLastNumbersStartEqualTheWholeScansTail) {
  const std::string alphabet = "0123456789-\\dtfrac{}.,$/% \t\n\r\f\vxyzABe#=()*+:;\"\xe2\x88\x92\xc3\xa9";
  const std::vector<std::string> pieces = {"\\frac{1}{2}", "\\dfrac{-3}{4}", "\\frac12", "1,234,567", "12,34",
                                           "$ 5", "\\$5", "- 7", "3 / 4", "50\\%", "2.5.6", "x-3", ".5", "1e5"};
  util::SplitMix64 rng(99);
  int with_numbers = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const size_t count = rng.Next() % 24;
    for (size_t j = 0; j < count; ++j) {
      text += rng.Next() % 4 == 0 ? pieces[rng.Next() % pieces.size()]
                                  : std::string(1, alphabet[rng.Next() % alphabet.size()]);
    }
    namespace in = tasks::extract::internal;
    const std::vector<in::Span> whole = in::AllNumbers(text);
    const size_t start = in::LastNumbersStart(text);
    const std::vector<in::Span> tail = in::AllNumbers(text, start);
    if (whole.empty()) {
      EXPECT_TRUE(tail.empty()) << text;
      continue;
    }
    ++with_numbers;
    ASSERT_FALSE(tail.empty()) << text;
    ASSERT_LE(tail.size(), whole.size()) << text;
    const size_t skip = whole.size() - tail.size();
    for (size_t k = 0; k < tail.size(); ++k) {
      EXPECT_EQ(tail[k].pos, whole[skip + k].pos) << text;
      EXPECT_EQ(tail[k].text, whole[skip + k].text) << text;
    }
    if (skip > 0) EXPECT_LT(whole[skip - 1].pos, start) << text;
  }
  EXPECT_GT(with_numbers, 2000);
}

// MarkerSpans' word_start gives exactly the spans of the pattern with a leading \b, on texts where
// the marker sits after letters, digits, '_', punctuation, non-ASCII bytes and at the start.
TEST(RobustnessTest, WordStartEqualsALeadingWordBoundary) {
  namespace in = tasks::extract::internal;
  const std::vector<std::string> patterns = {R"((?i)answer\s+is\b(?:\s+therefore\b)?\s*:?)",
                                             R"((?i)final\s+answer\s+is\b\s*:?)",
                                             R"((?i)answer\s*(?:\*\*|__)?\s*(?::|\xEF\xBC\x9A)\s*(?:\*\*|__)?)",
                                             "so"};
  const std::vector<std::string> pieces = {"answer is ", "ANSWER IS: ", "Answer: ", "final answer is ", "answer",
                                           " ", "x", "_", "9", ".", "*", "\n", "\xc3\xa9", "\xe9", "so ", "also ",
                                           "is", ":", "\xef\xbc\x9a", "**"};
  util::SplitMix64 rng(5);
  int spans = 0;
  for (const auto& pattern : patterns) {
    const RE2& body = in::Compile(pattern);
    const RE2& bounded = in::Compile("\\b(?:" + pattern + ")");
    for (int i = 0; i < 1500; ++i) {
      std::string text;
      const size_t count = rng.Next() % 10;
      for (size_t j = 0; j < count; ++j) text += pieces[rng.Next() % pieces.size()];
      const auto fast = in::MarkerSpans(body, text, /*word_start=*/true);
      const auto reference = in::MarkerSpans(bounded, text);
      ASSERT_EQ(fast.size(), reference.size()) << pattern << ": " << text;
      for (size_t k = 0; k < fast.size(); ++k) {
        EXPECT_EQ(fast[k].pos, reference[k].pos) << text;
        EXPECT_EQ(fast[k].text, reference[k].text) << text;
      }
      spans += static_cast<int>(fast.size());
    }
  }
  EXPECT_GT(spans, 1000);
}

}  // namespace
