// Cross-check against Hugging Face `tokenizers` (Rust, pinned, installed into a virtualenv under the
// build dir by scripts/tokenizer_crosscheck_venv.sh): the same tokenizer.json must give identical
// pre-tokenizer pieces, ids and decoded text on a varied corpus, for a trained BPE tokenizer and the
// plain byte-level one. Skips only when pip cannot install the package.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "trainers/tokenizer/byte_level.h"
#include "trainers/tokenizer/pretokenize.h"
#include "trainers/tokenizer/tokenizer.h"
#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {
namespace {

using Json = nlohmann::json;

std::string BuildDir() {
  std::string bin = HARNESS_BINARY;  // <build>/bin/harness
  bin = bin.substr(0, bin.rfind('/'));
  return bin.substr(0, bin.rfind('/'));
}

// Runs a shell command; returns its exit status and stdout.
int RunShell(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out->append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Texts from the fixture plus seeded random strings built from pieces chosen to stress the
// pre-tokenizer: whitespace runs of every kind, apostrophes, digits, letters of several scripts,
// combining marks, emoji, special tokens.
std::vector<std::string> CorpusTexts() {
  const Json fixture =
      Json::parse(util::ReadFile(std::string(HARNESS_TEST_FIXTURES) + "/tokenizer/crosscheck_texts.json"));
  std::vector<std::string> texts = fixture.get<std::vector<std::string>>();
  const std::vector<std::string> atoms = {
      " ", " ", "  ", "\t", "\n", "\r\n", "\n\n", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\xA8",
      "\xC2\x85", "\x1F", "\x0B", "a", "the", "The", "don", "'", "'s", "'t", "'re", "'ll", "'D",
      "x", "123", "7", "\xC2\xBD", "\xD9\xA3", "!", "?!", "(", ")", "{", "};", "==", "#", "$",
      "\xE4\xBD\xA0\xE5\xA5\xBD", "\xE3\x83\x86", "caf\xC3\xA9", "e\xCC\x81", "\xCC\x81",
      "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "\xE2\x80\x8D", "\xD0\xB4\xD0\xB0",
      "<|bos|>", "<|eos|>", "<code>", "</code>", "<|", "|>", "_", "-", "\\", "\"", "."};
  util::SplitMix64 rng(20261124);
  for (int i = 0; i < 1500; ++i) {
    std::string text;
    const int len = 1 + static_cast<int>(rng.Below(12));
    for (int j = 0; j < len; ++j) text += atoms[rng.Below(atoms.size())];
    texts.push_back(text);
  }
  return texts;
}

class CrossCheckTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string venv = BuildDir() + "/tokenizer_venv";
    std::string out;
    const int rc = RunShell("sh " + std::string(HARNESS_SOURCE_DIR) +
                           "/scripts/tokenizer_crosscheck_venv.sh '" + venv + "'",
                       &out);
    status_ = new int(rc);
    python_ = new std::string(out.substr(0, out.find('\n')));
  }
  static void TearDownTestSuite() {
    delete status_;
    delete python_;
  }
  void SetUp() override {
    if (*status_ == 3) {
      GTEST_SKIP() << "pip could not install the pinned Hugging Face tokenizers (no package index?)";
    }
    ASSERT_EQ(*status_, 0) << "virtualenv setup failed";
  }

  // Saves `tok`, runs the reference on `texts`, and compares everything it reports.
  void Compare(const Tokenizer& tok, const std::string& name, const std::vector<std::string>& texts) {
    const std::string dir = testing::TempDir();
    const std::string tok_path = dir + "crosscheck_" + name + ".json";
    const std::string texts_path = dir + "crosscheck_" + name + "_texts.json";
    const std::string out_path = dir + "crosscheck_" + name + "_out.json";
    tok.Save(tok_path);
    util::WriteFileAtomic(texts_path, Json(texts).dump());
    std::string log;
    ASSERT_EQ(RunShell("'" + *python_ + "' " + HARNESS_SOURCE_DIR + "/scripts/tokenizer_crosscheck.py '" +
                      tok_path + "' '" + texts_path + "' '" + out_path + "' 2>&1",
                  &log),
              0)
        << log;
    const Json out = Json::parse(util::ReadFile(out_path));
    EXPECT_EQ(out["tokenizers_version"], "0.21.1");
    const Json& results = out["results"];
    ASSERT_EQ(results.size(), texts.size());
    int mismatches = 0;
    size_t total_ids = 0;
    for (size_t i = 0; i < texts.size() && mismatches < 10; ++i) {
      const std::string& text = texts[i];
      const std::vector<int> ids = tok.Encode(text);
      total_ids += ids.size();
      std::vector<std::string> pieces;
      for (const std::string& p : SplitGpt2(text)) pieces.push_back(BytesToTokenText(p));
      const bool ok = ids == results[i]["ids"].get<std::vector<int>>() &&
                      pieces == results[i]["pieces"].get<std::vector<std::string>>() &&
                      tok.Decode(ids) == results[i]["decoded"].get<std::string>() &&
                      tok.Decode(ids) == text &&
                      tok.Decode(ids, true) == results[i]["decoded_skip_special"].get<std::string>();
      if (!ok) {
        ++mismatches;
        ADD_FAILURE() << name << " text #" << i << " " << Json(text).dump() << "\n ours: " << Json(ids).dump()
                      << " " << Json(pieces).dump() << "\n   hf: " << results[i]["ids"].dump() << " "
                      << results[i]["pieces"].dump();
      }
    }
    EXPECT_EQ(mismatches, 0);
    EXPECT_GT(total_ids, 0u);
  }

  static int* status_;
  static std::string* python_;
};

int* CrossCheckTest::status_ = nullptr;
std::string* CrossCheckTest::python_ = nullptr;

TEST_F(CrossCheckTest, TrainedBpeMatchesHuggingFace) {
  const std::vector<std::string> texts = CorpusTexts();
  std::vector<std::string> training = {
      util::ReadFile(std::string(HARNESS_TEST_FIXTURES) + "/tokenizer/train_corpus.txt")};
  training.insert(training.end(), texts.begin(), texts.end());
  const Tokenizer tok = TrainBpe(training, 1200, DefaultSpecialTokens());
  ASSERT_GT(tok.num_merges(), 500);
  Compare(tok, "trained", texts);
}

TEST_F(CrossCheckTest, ByteLevelMatchesHuggingFace) {
  Compare(Tokenizer::ByteLevel(DefaultSpecialTokens()), "bytelevel", CorpusTexts());
}

// Digit splitting needs no rule at encode time (no merge contains a digit), so HF reads it as is.
TEST_F(CrossCheckTest, SplitDigitsMatchesHuggingFace) {
  Compare(TrainBpe(CorpusTexts(), 900, DefaultSpecialTokens(), BpeOptions{true}), "split_digits",
          CorpusTexts());
}

// Options a downloaded tokenizer.json may carry: ignore_merges (a pre-token found in the vocab is
// taken whole, even when merges could not build it) and a non-special added token.
TEST_F(CrossCheckTest, LoadedOptionsMatchHuggingFace) {
  std::vector<std::string> texts = CorpusTexts();
  const Tokenizer trained = TrainBpe(texts, 800, DefaultSpecialTokens());
  Json j = Json::parse(trained.ToJson());
  const int n = trained.vocab_size();
  j["model"]["ignore_merges"] = true;
  j["model"]["vocab"]["\xC4\xA0qzx"] = n;  // " qzx": no merge builds it
  j["added_tokens"].push_back({{"id", n + 1}, {"content", "[note]"}, {"single_word", false},
                               {"lstrip", false}, {"rstrip", false}, {"normalized", true},
                               {"special", false}});
  const std::string path = testing::TempDir() + "crosscheck_options_in.json";
  util::WriteFileAtomic(path, j.dump());
  const Tokenizer loaded = Tokenizer::Load(path);
  EXPECT_EQ(loaded.Encode(" qzx"), std::vector<int>{n});
  EXPECT_EQ(loaded.Encode("[note]"), std::vector<int>{n + 1});
  EXPECT_FALSE(loaded.IsSpecial(n + 1));
  texts.insert(texts.end(), {" qzx qzx qzxq", "a[note]b [note] <|eos|>[note]", "[note"});
  Compare(loaded, "options", texts);
}

// Code points in a context where letter, number, whitespace and other each split differently:
// checks our generated Unicode table against the categories HF's regex engine uses. Covered: all of
// U+0000..U+33FF (the dense alphabetic scripts), both sides of every range boundary in our table,
// and every 61st code point elsewhere. (A one-off run over all 1.1M code points also matched.)
TEST_F(CrossCheckTest, CodePointClassesMatchHuggingFace) {
  std::vector<char32_t> cps;
  for (char32_t cp = 1; cp < 0x3400; ++cp) cps.push_back(cp);
  for (int i = 0; i < kNumCodePointRanges; ++i) {
    const CodePointRange& r = kCodePointRanges[i];
    cps.insert(cps.end(), {static_cast<char32_t>(r.first - 1), r.first, r.last,
                           static_cast<char32_t>(r.last + 1)});
  }
  for (char32_t cp = 0x3400; cp <= 0x10FFFF; cp += 61) cps.push_back(cp);
  std::sort(cps.begin(), cps.end());
  cps.erase(std::unique(cps.begin(), cps.end()), cps.end());
  std::vector<std::string> texts;
  std::string text;
  const auto append_utf8 = [](std::string* s, char32_t cp) {
    if (cp < 0x80) {
      *s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *s += static_cast<char>(0xC0 | (cp >> 6));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *s += static_cast<char>(0xE0 | (cp >> 12));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *s += static_cast<char>(0xF0 | (cp >> 18));
      *s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  int in_text = 0;
  for (char32_t cp : cps) {
    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) continue;
    std::string c;
    append_utf8(&c, cp);
    text += "x" + c + "1 " + c + c + " \t" + c + ".";
    if (++in_text == 512) {
      texts.push_back(std::move(text));
      text.clear();
      in_text = 0;
    }
  }
  texts.push_back(text);
  Compare(Tokenizer::ByteLevel({}), "codepoints", texts);
}

// Realistic use: a tokenizer trained on GSM8K train, checked on GSM8K test (shared data, read only).
TEST_F(CrossCheckTest, Gsm8kTrainedMatchesHuggingFace) {
  const std::string dir = std::string(HARNESS_SHARED_DATA) + "/gsm8k/";
  if (!util::FileExists(dir + "train.jsonl")) GTEST_SKIP() << "no shared data at " << dir;
  const auto read = [](const std::string& path) {
    std::vector<std::string> texts;
    for (const util::JsonLine& row : util::ReadJsonLines(path)) {
      const util::Location where{path, row.line, ""};
      texts.push_back(util::RequireString(row.value, "question", where) + "\n" +
                      util::RequireString(row.value, "answer", where));
    }
    return texts;
  };
  const Tokenizer tok = TrainBpe(read(dir + "train.jsonl"), 4096, DefaultSpecialTokens());
  Compare(tok, "gsm8k", read(dir + "test.jsonl"));
}

}  // namespace
}  // namespace tokenizer
