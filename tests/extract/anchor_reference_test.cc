// Cross-check of the anchor presets against the anchors' own regexes run by Python's `re`
// (lmeval_reference.py): 20000 seeded completions built from the fragments the filters react to.
// Skipped when python3 is not installed.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "tasks/extract/extract.h"
#include "tests/extract/test_records.h"

namespace {

using extract_test::MakeRecord;
using extract_test::T;

std::string Completion(util::SplitMix64& rng) {
  static const char* const kPieces[] = {
      "The answer is ", "the answer is ", "#### ", "####", "Answer: ", "answer:", "ANSWER:\t",
      "**Answer:** ", "(B)", "(b)", "B", "C", "(D).", "$", "\\$", "18", "1,234", "-5", "3.5", ".", ",",
      "\n", " ", "  ", "carbon dioxide", "Boron", "12 eV", "none of the above", ":", "(", ")", "x",
      "\xC3\xA9", "\xE2\x88\x92", "Q: ", "A: ", "\\boxed{7}"};
  const size_t n = sizeof(kPieces) / sizeof(kPieces[0]);
  std::string text;
  for (uint64_t i = 0, k = rng.Below(15); i < k; ++i) text += kPieces[rng.Below(n)];
  return text;
}

TEST(AnchorReferenceTest, AgreesWithPythonReOnTheAnchorsRegexes) {
  if (std::system("python3 -c 'import re' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not installed";
  const tasks::Record gsm8k = MakeRecord(T::kGsm8k);
  const tasks::Record gpqa = MakeRecord(T::kGpqa);
  util::SplitMix64 rng(31337);
  std::string lines;
  for (int i = 0; i < 20000; ++i) {
    std::string text = Completion(rng);
    nlohmann::json got;
    for (const char* preset : {"lm-eval-strict", "lm-eval-flexible", "lm-eval-cot"}) {
      auto answer = tasks::extract::Extract(text, gsm8k, preset);
      got[std::string("gsm8k/") + preset] = answer.valid ? answer.value : "[invalid]";
    }
    for (const char* preset : {"lm-eval-strict", "lm-eval-flexible", "simple-evals"}) {
      auto answer = tasks::extract::Extract(text, gpqa, preset);
      got[std::string("gpqa/") + preset] = answer.valid ? answer.value : "[invalid]";
    }
    lines += nlohmann::json{{"text", text}, {"choices", gpqa.choices}, {"got", got}}.dump() + "\n";
  }
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("anchor_reference_" + std::to_string(::getpid()) + ".jsonl");
  util::WriteFileAtomic(file.string(), lines);
  const std::string command = std::string("python3 ") + HARNESS_SOURCE_DIR +
                              "/tests/extract/lmeval_reference.py " + file.string() + " 2>&1";
  std::string output;
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[512];
  while (fgets(buf, sizeof buf, pipe) != nullptr) output += buf;
  int status = pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << output;
  EXPECT_NE(output.find("20000 completions, 0 disagreements"), std::string::npos) << output;
}

}  // namespace
