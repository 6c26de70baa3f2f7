// End-to-end checks of `harness init` / `harness generate` against Python: the reference script
// (Debian python3-torch) and Hugging Face transformers (pinned, in a venv under the build dir).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"

namespace {

const std::string kBinary = HARNESS_BINARY;
const std::string kSource = HARNESS_SOURCE_DIR;
const std::string kPython = "/usr/bin/python3";
// transformers 4.36.2 is the newest line we found that imports with Debian's torch 1.13.
const std::string kTransformersPin = "transformers==4.36.2";

struct ShellResult {
  int code = -1;
  std::string out;
};

ShellResult Shell(const std::string& command) {
  ShellResult r;
  FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) r.out.append(buf, n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string Join(const std::vector<int>& ids) {
  std::string s;
  for (int id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

class EngineCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "engine_cli_" + std::to_string(::getpid());
    init_ = Shell(kBinary + " init --preset nano --seed 3 --threads 1 --out " + dir_);
  }
  static std::string dir_;
  static ShellResult init_;

  nlohmann::json Generate(const std::string& flags) {
    ShellResult r = Shell(kBinary + " generate --checkpoint " + dir_ + " --threads 1 --json " + flags);
    EXPECT_EQ(r.code, 0) << r.out;
    return nlohmann::json::parse(r.out);
  }
};
std::string EngineCli::dir_;
ShellResult EngineCli::init_;

TEST_F(EngineCli, InitWritesHfLayoutAndGenerateJsonIsDeterministic) {
  ASSERT_EQ(init_.code, 0) << init_.out;
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}) {
    EXPECT_TRUE(util::FileExists(dir_ + "/" + f)) << f;
  }
  auto a = Generate("--prompt 'The sum of 2 and 3 is' --max-new-tokens 6 --temperature 0.8 --top-p 0.9 --n 3 --seed 5");
  auto b = Generate("--prompt 'The sum of 2 and 3 is' --max-new-tokens 6 --temperature 0.8 --top-p 0.9 --n 3 --seed 5");
  EXPECT_EQ(a, b);
  ASSERT_EQ(a["completions"].size(), 3u);
  EXPECT_FALSE(a["prompt_token_ids"].empty());
  for (const auto& c : a["completions"]) {
    EXPECT_TRUE(c.contains("text"));
    EXPECT_LE(c["token_ids"].size(), 6u);
    EXPECT_EQ(c["logprobs"].size(), c["token_ids"].size());
    const std::string reason = c["finish_reason"];
    EXPECT_TRUE(reason == "length" || reason == "stop") << reason;
  }
}

TEST_F(EngineCli, BadInputExitsWithCode2) {
  EXPECT_EQ(Shell(kBinary + " generate --checkpoint /nonexistent/ckpt --prompt hi").code, 2);
  EXPECT_EQ(Shell(kBinary + " init --preset huge --out " + dir_ + "_huge").code, 2);
  EXPECT_EQ(Shell(kBinary + " init --preset nano --device cuda:7 --out " + dir_ + "_gpu").code, 2);
  EXPECT_EQ(Shell(kBinary + " profile --preset nano --checkpoint " + dir_).code, 2);
}

TEST_F(EngineCli, GreedyMatchesReferenceScript) {
  ASSERT_EQ(init_.code, 0);
  if (Shell(kPython + " -c 'import torch, numpy'").code != 0) GTEST_SKIP() << "python3-torch not installed";
  auto ours = Generate("--prompt 'Q: what is 7*6?' --max-new-tokens 12 --temperature 0");
  const auto& c = ours["completions"][0];
  ShellResult ref = Shell(kPython + " " + kSource + "/scripts/reference_model.py greedy --checkpoint " + dir_ +
                  " --ids " + Join(ours["prompt_token_ids"].get<std::vector<int>>()) + " --new 12");
  ASSERT_EQ(ref.code, 0);
  auto expected = nlohmann::json::parse(ref.out);
  const size_t n = c["token_ids"].size();
  ASSERT_GE(expected["token_ids"].size(), n);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(c["token_ids"][i], expected["token_ids"][i]) << i;
    EXPECT_NEAR(c["logprobs"][i].get<double>(), expected["logprobs"][i].get<double>(), 1e-4) << i;
  }
}

TEST_F(EngineCli, CheckpointLoadsInHfTransformers) {
  ASSERT_EQ(init_.code, 0);
  const std::string venv = std::string(HARNESS_BUILD_DIR) + "/venv-transformers";
  if (!util::FileExists(venv + "/bin/python")) {
    ShellResult make = Shell(kPython + " -m venv --system-site-packages " + venv + " && " + venv +
                     "/bin/pip install -q '" + kTransformersPin + "'");
    if (make.code != 0) GTEST_SKIP() << "could not install " << kTransformersPin << " into " << venv;
  }
  if (Shell(venv + "/bin/python -c 'import transformers'").code != 0) {
    GTEST_SKIP() << kTransformersPin << " does not import with this machine's torch";
  }
  for (const std::string& ckpt : {dir_, std::string(HARNESS_TEST_FIXTURES) + "/trainers/tiny_llama"}) {
    // The script runs `harness generate --prompt-ids ... --temperature 0 --json` and HF's greedy
    // loop, and requires the same tokens and log-probabilities within 1e-4.
    const std::vector<int> prompt = {5, 17, 33, 2, 9, 40, 11};
    ShellResult hf = Shell(venv + "/bin/python " + kSource + "/tests/trainers/hf_compat.py --checkpoint " + ckpt +
                   " --harness " + kBinary + " --ids " + Join(prompt) + " --new 8");
    EXPECT_EQ(hf.code, 0) << ckpt << "\n" << hf.out;
  }
}

// A method that trains no text model (the WSRL control study) trains from a config without data: the
// seed and its own section are enough, and the summary carries its study. A text method still exits 2
// naming "train" for a config without data.
TEST(EngineCliStudy, ControlStudyTrainsWithoutTextData) {
  const std::string dir = ::testing::TempDir() + "engine_cli_study_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const nlohmann::json config = {
      {"seed", 2},
      {"threads", 1},
      {"wsrl", {{"maze", "open"}, {"horizon", 30}, {"dataset_episodes", 20}, {"episode_steps", 20}, {"ensemble", 2},
                {"critic_hidden", 16}, {"actor_hidden", 16}, {"batch_size", 16}, {"offline_steps", 20},
                {"offline_eval_every", 10}, {"eval_episodes", 2}}}};
  util::WriteFileAtomic(dir + "/config.json", config.dump());
  const ShellResult trained =
      Shell("{ " + kBinary + " train wsrl-offline --config " + dir + "/config.json --out " + dir + "/offline 2>&1; }");
  EXPECT_EQ(trained.code, 0) << trained.out;
  EXPECT_NE(trained.out.find("\"study\""), std::string::npos) << trained.out;
  EXPECT_TRUE(std::filesystem::exists(dir + "/offline/agent.pt")) << trained.out;
  util::WriteFileAtomic(dir + "/seed_only.json", nlohmann::json{{"seed", 2}}.dump());
  const ShellResult text =
      Shell("{ " + kBinary + " train sft --config " + dir + "/seed_only.json --out " + dir + "/sft 2>&1; }");
  EXPECT_EQ(text.code, 2) << text.out;
  EXPECT_NE(text.out.find("field 'train': at least one training data source is required"), std::string::npos)
      << text.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
