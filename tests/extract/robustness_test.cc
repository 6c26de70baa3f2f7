// Extraction never throws or stalls on hostile completions: random bytes, invalid UTF-8, NULs,
// huge inputs, unclosed boxes.
#include <string>

#include <gtest/gtest.h>

#include "harness/util/hashing.h"
#include "tasks/extract/extract.h"
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

}  // namespace
