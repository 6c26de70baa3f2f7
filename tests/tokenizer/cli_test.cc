// `harness tokenizer train|encode` end to end: output files, JSON output, exit codes on bad input.
#include <sys/wait.h>

#include <cstdio>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"
#include "trainers/tokenizer/tokenizer.h"

namespace tokenizer {
namespace {

struct Result {
  int code;
  std::string out;  // stdout and stderr
};

Result Harness(const std::string& args) {
  Result r{-1, ""};
  FILE* pipe = popen((std::string(HARNESS_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kCorpus = std::string(HARNESS_TEST_FIXTURES) + "/tokenizer/train_corpus.txt";

TEST(TokenizerCli, TrainThenEncode) {
  const std::string out = testing::TempDir() + "cli_tokenizer.json";
  const Result train = Harness("tokenizer train --corpus " + kCorpus +
                               " --vocab-size 320 --special '<|bos|>' --special '<|eos|>' --out " + out);
  ASSERT_EQ(train.code, 0) << train.out;
  EXPECT_NE(train.out.find("vocab 320 (2 special, 256 byte, 62 merges)"), std::string::npos)
      << train.out;
  const Tokenizer tok = Tokenizer::Load(out);
  EXPECT_EQ(tok.vocab_size(), 320);
  EXPECT_EQ(tok.bos_id(), 0);

  const std::string text = "<|bos|>The farmer has 12 cows.";
  const Result enc = Harness("tokenizer encode --tokenizer " + out + " --text '" + text + "' --json");
  ASSERT_EQ(enc.code, 0) << enc.out;
  const nlohmann::json j = nlohmann::json::parse(enc.out);
  EXPECT_EQ(j["ids"].get<std::vector<int>>(), tok.Encode(text));
  EXPECT_EQ(j["tokens"][0], "<|bos|>");
  EXPECT_EQ(j["num_tokens"], tok.Encode(text).size());

  const Result plain = Harness("tokenizer encode --byte-level --text 'hi'");
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_EQ(plain.out, "104 105\n");
}

TEST(TokenizerCli, BadInputExitsTwo) {
  const std::string bad = testing::TempDir() + "cli_bad_tokenizer.json";
  util::WriteFileAtomic(bad, "{\"model\": {\"type\": \"Unigram\"}}");
  const struct {
    std::string args;
    std::string message;
  } cases[] = {
      {"tokenizer train --corpus " + kCorpus + " --vocab-size 100 --out /tmp/x.json", "vocab_size"},
      {"tokenizer encode --tokenizer " + bad + " --text x", "model.type"},
      {"tokenizer encode --text x", "--tokenizer"},
      {"tokenizer train --corpus " + kCorpus + " --jsonl-field text --vocab-size 300 --out /tmp/x.json",
       kCorpus},
  };
  for (const auto& c : cases) {
    const Result r = Harness(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
}

}  // namespace
}  // namespace tokenizer
