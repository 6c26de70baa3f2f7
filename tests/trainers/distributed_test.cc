// Data parallelism on c10d/Gloo (trainers/distributed/world.h, harness/cli/torch_launch.h): the launch
// environment, and real multi-process runs of the harness binary: 2 ranks train the same SFT model as 1
// rank with the same global batch, sharded evaluation equals unsharded sample for sample, a killed rank
// fails the run with a message naming it, and `harness run --nproc 2` gives the same rows.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "tests/harness_process.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/grad_reducer.h"
#include "trainers/distributed/world.h"
#include "trainers/model/llama.h"
#include "trainers/wsrl/control/study.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---- The launch environment -------------------------------------------------------------------------

struct EnvCase {
  std::map<std::string, std::string> env;
  int rank, size, local_rank, local_size;
  std::string launcher;
};

TEST(WorldFromEnvironment, ReadsTorchrunAndSlurm) {
  const std::vector<EnvCase> cases = {
      {{}, 0, 1, 0, 1, "none"},
      {{{"PATH", "/bin"}}, 0, 1, 0, 1, "none"},
      {{{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "node0"},
        {"MASTER_PORT", "29500"}},
       3, 4, 1, 2, "torchrun"},
      // Without LOCAL_*: one machine holding the whole world.
      {{{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1234"}}, 1, 2, 1, 2,
       "torchrun"},
      // A world of one needs no rendezvous.
      {{{"RANK", "0"}, {"WORLD_SIZE", "1"}}, 0, 1, 0, 1, "torchrun"},
      {{{"SLURM_PROCID", "5"}, {"SLURM_NTASKS", "6"}, {"SLURM_LOCALID", "2"}, {"SLURM_NTASKS_PER_NODE", "3(x2)"},
        {"MASTER_ADDR", "n1"}, {"MASTER_PORT", "29400"}},
       5, 6, 2, 3, "slurm"},
      // torchrun's variables win over Slurm's (torchrun inside an allocation).
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"SLURM_PROCID", "1"}, {"SLURM_NTASKS", "8"}, {"MASTER_ADDR", "a"},
        {"MASTER_PORT", "1"}},
       0, 2, 0, 2, "torchrun"},
  };
  for (const auto& c : cases) {
    const dist::WorldInfo w = dist::WorldFromEnvironment(c.env);
    EXPECT_EQ(w.rank, c.rank) << c.launcher;
    EXPECT_EQ(w.size, c.size) << c.launcher;
    EXPECT_EQ(w.local_rank, c.local_rank) << c.launcher;
    EXPECT_EQ(w.local_size, c.local_size) << c.launcher;
    EXPECT_EQ(w.launcher, c.launcher);
  }
}

TEST(WorldFromEnvironment, RejectsBadValuesNamingTheVariable) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"RANK", "0"}}, "WORLD_SIZE"},
      {{{"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "x"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "1"}}, "RANK"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "WORLD_SIZE"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "1"}}, "MASTER_ADDR"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}}, "MASTER_PORT"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"},
        {"MASTER_PORT", "1"}},
       "LOCAL_RANK"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_NTASKS_PER_NODE", "x"}}, "SLURM_NTASKS_PER_NODE"},
  };
  for (const auto& [env, field] : cases) {
    try {
      dist::WorldFromEnvironment(env);
      ADD_FAILURE() << "accepted, expected an error on " << field;
    } catch (const util::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

TEST(World, OneRankDoesNothing) {
  EXPECT_FALSE(dist::Active());
  EXPECT_TRUE(dist::IsWriter());
  EXPECT_EQ(dist::ShareOf({4, 5, 6}), (std::vector<int>{4, 5, 6}));
  std::vector<at::Tensor> t{torch::ones({3})};
  dist::AllReduceSum(t);
  EXPECT_EQ(t[0].sum().item<float>(), 3.0f);
  EXPECT_EQ(dist::GatherToRoot("x"), std::vector<std::string>{"x"});
  EXPECT_EQ(dist::ThreadsPerRank(4), 4);
}

TEST(GradientReducer, PlansBucketsFromTheLastParameter) {
  // Parameter sizes in bytes, in registration order; buckets hold indices from the last parameter back,
  // the first up to first_mb, the rest up to mb; a parameter larger than a bucket gets one of its own.
  constexpr int64_t kMB = 1 << 20;
  struct Case {
    std::vector<int64_t> bytes;
    double first_mb, mb;
    std::vector<std::vector<size_t>> buckets;
  };
  const std::vector<Case> cases = {
      {{}, 1, 25, {}},
      {{10, 20, 30}, 1, 25, {{2, 1, 0}}},
      {{kMB / 2, kMB / 2, kMB / 2, kMB / 2}, 1, 25, {{3, 2}, {1, 0}}},
      {{kMB / 2, kMB / 2, kMB / 2, kMB / 2}, 1, 1.5, {{3, 2}, {1, 0}}},
      {{kMB, 3 * kMB, kMB, kMB, kMB}, 1, 2, {{4}, {3, 2}, {1}, {0}}},
      {{5 * kMB, 100}, 1, 25, {{1}, {0}}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(dist::GradientReducer::Plan(c.bytes, c.first_mb, c.mb), c.buckets) << c.bytes.size() << " parameters";
  }
}

// ---- Multi-process runs of the binary ----------------------------------------------------------------

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("distributed_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The tiny SFT config of the trainer tests (tests/methods/tiny_config.h), as a file; threads 2 = one
// per rank at --nproc 2.
fs::path TinySftConfigFile(const fs::path& dir, int max_steps, int save_every = 0) {
  const json config = {
      {"preset", "nano"},
      {"model_overrides", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
                           {"num_attention_heads", 2}, {"num_key_value_heads", 1}}},
      {"tokenizer_vocab", 320},
      {"train", {{{"task", "gsm8k"}, {"synthetic_n", 48}, {"synthetic_seed", 3}}}},
      {"batch_size", 5}, {"grad_accum", 2}, {"max_steps", max_steps}, {"warmup_steps", 2}, {"lr", 0.01},
      {"log_every", 1}, {"save_every", save_every}, {"seed", 5}, {"threads", 2}};
  fs::create_directories(dir);
  const fs::path path = dir / "sft.json";
  std::ofstream(path) << config.dump(2);
  return path;
}

std::vector<double> Losses(const fs::path& metrics) {
  std::vector<double> losses;
  for (const auto& line : util::ReadJsonLines(metrics.string())) {
    if (line.value.contains("loss")) losses.push_back(line.value["loss"].get<double>());
  }
  return losses;
}

// The largest absolute difference between two checkpoints' parameters.
double LargestDifference(const fs::path& a_dir, const fs::path& b_dir) {
  trainers::RuntimeConfig runtime{"cpu", "float32", 1};
  trainers::LlamaForCausalLM a = trainers::LoadCheckpoint(a_dir.string(), runtime);
  trainers::LlamaForCausalLM b = trainers::LoadCheckpoint(b_dir.string(), runtime);
  auto pa = a->named_parameters(), pb = b->named_parameters();
  EXPECT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (const auto& p : pa) worst = std::max(worst, (p.value() - pb[p.key()]).abs().max().item<double>());
  return worst;
}

// Trains the tiny model once with one rank; the reference for the data-parallel run and the checkpoint
// the evaluation tests use.
class DataParallel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(TempDir("suite"));
    const fs::path config = TinySftConfigFile(*root_, kSteps);
    ASSERT_EQ(testing_harness::SpawnHarness({"train", "sft", "--config", config.string(), "--out",
                                             (*root_ / "one").string()}),
              0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(root_->parent_path());
    delete root_;
  }
  static constexpr int kSteps = 30;
  static fs::path* root_;
};
fs::path* DataParallel::root_ = nullptr;

TEST_F(DataParallel, TwoRanksTrainTheSameModelAsOneWithTheSameGlobalBatch) {
  const fs::path dir = TempDir("two");
  const fs::path config = TinySftConfigFile(dir, kSteps);
  const fs::path err = dir.string() + ".stderr";
  ASSERT_EQ(testing_harness::SpawnHarness({"train", "sft", "--config", config.string(), "--out", (dir / "out").string(),
                                           "--nproc", "2"},
                                          "", err.string()),
            0)
      << ReadAll(err);
  // Each step's loss is the global batch's (rank 0 logs the sum of both shares).
  const std::vector<double> one = Losses(*root_ / "one" / "metrics.jsonl");
  const std::vector<double> two = Losses(dir / "out" / "metrics.jsonl");
  ASSERT_EQ(one.size(), static_cast<size_t>(kSteps));
  ASSERT_EQ(two.size(), one.size());
  for (size_t i = 0; i < one.size(); ++i) EXPECT_NEAR(two[i], one[i], 1e-5 * std::max(1.0, one[i])) << "step " << i + 1;
  // Same parameters: the only difference is the order in which the two shares' gradients are summed.
  const double worst = LargestDifference(*root_ / "one" / "checkpoint", dir / "out" / "checkpoint");
  std::cerr << "largest parameter difference after " << kSteps << " steps, 2 ranks vs 1: " << worst << "\n";
  EXPECT_LT(worst, 1e-4);
  // Only rank 0 wrote the checkpoint and the log; rank 1's output went to its log file.
  EXPECT_TRUE(fs::exists(dir / "out" / "ranks" / "rank1.log"));
  EXPECT_NE(ReadAll(dir / "out" / "ranks" / "rank1.log").find("rank 1 of 2"), std::string::npos);
}

TEST_F(DataParallel, SumsOverlappedWithBackwardEqualSumsAfterIt) {
  // Buckets of ~1 KB: nearly every parameter has its own, started from the backward hooks as soon as its
  // gradient is complete. Each element is still the same sum of the two ranks' gradients, so the weights
  // are bit for bit those of the sums after backward.
  const fs::path dir = TempDir("overlap");
  const fs::path config = TinySftConfigFile(dir, 8);
  std::map<std::string, std::string> logs;
  for (const std::string mode : {"overlap", "after"}) {
    std::vector<std::string> args = {"train", "sft", "--config", config.string(), "--out", (dir / mode).string(),
                                     "--nproc", "2"};
    if (mode == "overlap") args.insert(args.end(), {"--dist-bucket-mb", "0.001"});
    if (mode == "after") args.push_back("--no-dist-overlap");
    const fs::path err = dir / (mode + ".stderr");
    ASSERT_EQ(testing_harness::SpawnHarness(args, "", err.string()), 0) << ReadAll(err);
    logs[mode] = ReadAll(err);
  }
  std::smatch m;
  ASSERT_TRUE(std::regex_search(logs["overlap"], m, std::regex(R"(summed in (\d+) bucket\(s\), (\d+) started while)")))
      << logs["overlap"];
  const int buckets = std::stoi(m[1]), during = std::stoi(m[2]);
  EXPECT_GT(buckets, 10);  // 2 layers of 9 tensors, the embeddings, the final norm
  EXPECT_EQ(during, buckets);  // every parameter is in the graph of every micro-batch of SFT
  EXPECT_NE(logs["after"].find("0 started while"), std::string::npos) << logs["after"];
  EXPECT_EQ(LargestDifference(dir / "overlap" / "checkpoint", dir / "after" / "checkpoint"), 0.0);
  EXPECT_EQ(Losses(dir / "overlap" / "metrics.jsonl"), Losses(dir / "after" / "metrics.jsonl"));
}

TEST_F(DataParallel, PpoWithTwoRanksMatchesOneRank) {
  // ReFT's PPO from the suite's SFT model: each rank rolls out half of the step's questions (seeded by
  // question id), whitening and the KL are global, each loss enters as the rank's share of the global mean.
  const fs::path dir = TempDir("ppo");
  fs::create_directories(dir);
  const json config = {
      {"init_checkpoint", (*root_ / "one" / "checkpoint").string()},
      {"train", {{{"task", "gsm8k"}, {"synthetic_n", 24}, {"synthetic_seed", 9}}}},
      {"batch_size", 6}, {"max_steps", 3}, {"warmup_steps", 1}, {"lr", 0.002}, {"log_every", 1},
      {"seed", 5}, {"threads", 2}, {"eval_max_new_tokens", 12},
      {"reft", {{"samples", 2}, {"ppo_epochs", 2}}}};
  std::ofstream(dir / "reft.json") << config.dump(2);
  for (const std::string name : {"one", "two"}) {
    std::vector<std::string> args = {"train", "reft", "--config", (dir / "reft.json").string(), "--out", (dir / name).string()};
    if (name == "two") args.insert(args.end(), {"--nproc", "2"});
    const std::string err = (dir / (name + ".stderr")).string();
    ASSERT_EQ(testing_harness::SpawnHarness(args, "", err), 0) << ReadAll(err);
  }
  std::vector<json> one, two;
  for (const auto& l : util::ReadJsonLines((dir / "one" / "metrics.jsonl").string())) one.push_back(l.value);
  for (const auto& l : util::ReadJsonLines((dir / "two" / "metrics.jsonl").string())) two.push_back(l.value);
  ASSERT_EQ(one.size(), 3u);
  ASSERT_EQ(two.size(), one.size());
  for (size_t i = 0; i < one.size(); ++i) {
    // The same samples were drawn and graded: the same rewards and response lengths (up to the order of
    // the sums).
    EXPECT_NEAR(two[i]["reward"].get<double>(), one[i]["reward"].get<double>(), 1e-12) << "step " << i + 1;
    EXPECT_NEAR(two[i]["response_tokens"].get<double>(), one[i]["response_tokens"].get<double>(), 1e-12);
    for (const char* key : {"kl", "loss", "policy_loss", "value_loss"}) {
      EXPECT_NEAR(two[i][key].get<double>(), one[i][key].get<double>(), 1e-4) << key << " at step " << i + 1;
    }
  }
  const double worst = LargestDifference(dir / "one" / "checkpoint", dir / "two" / "checkpoint");
  std::cerr << "largest parameter difference after 3 PPO steps, 2 ranks vs 1: " << worst << "\n";
  EXPECT_LT(worst, 1e-4);
}

TEST_F(DataParallel, SampledAndOfflineTrainersWithTwoRanksMatchOneRank) {
  // Offline-ST and the ORM sample k responses per question, sharded by question across ranks and shared
  // with every rank; then fine-tune (SFT loop) or train the classifier on each rank's rows of every batch.
  // WSRL-text's offline phase trains on each rank's rows of its mixed-quality trajectories.
  const fs::path dir = TempDir("sampled");
  fs::create_directories(dir);
  for (const std::string method : {"offline-st", "orm", "wsrl-text-offline"}) {
    json config = {
        {"init_checkpoint", (*root_ / "one" / "checkpoint").string()},
        {"train", {{{"task", "gsm8k"}, {"synthetic_n", 20}, {"synthetic_seed", 9}}}},
        {"batch_size", 6}, {"max_steps", 4}, {"warmup_steps", 1}, {"lr", 0.002}, {"log_every", 1},
        {"seed", 5}, {"threads", 2}, {"eval_max_new_tokens", 12}};
    if (method == "offline-st") config["offline_st"] = {{"k", 3}, {"keep", 2}};
    if (method == "orm") config["orm"] = {{"k", 3}};
    if (method == "wsrl-text-offline") config["wsrl_text_offline"] = {{"probe", 4}}, config["grad_accum"] = 2;
    const fs::path config_path = dir / (method + ".json");
    std::ofstream(config_path) << config.dump(2);
    for (const std::string name : {"one", "two"}) {
      const fs::path out = dir / (method + "-" + name);
      std::vector<std::string> args = {"train", method, "--config", config_path.string(), "--out", out.string()};
      if (name == "two") args.insert(args.end(), {"--nproc", "2"});
      const std::string err = out.string() + ".stderr";
      ASSERT_EQ(testing_harness::SpawnHarness(args, "", err), 0) << ReadAll(err);
    }
    const fs::path one = dir / (method + "-one"), two = dir / (method + "-two");
    // The same texts were sampled and kept (offline-st's data) or graded (the ORM's samples).
    const std::vector<double> l1 = Losses(one / "metrics.jsonl"), l2 = Losses(two / "metrics.jsonl");
    ASSERT_EQ(l1.size(), 4u) << method;
    ASSERT_EQ(l2.size(), l1.size()) << method;
    for (size_t i = 0; i < l1.size(); ++i) EXPECT_NEAR(l2[i], l1[i], 1e-5 * std::max(1.0, l1[i])) << method << " step " << i + 1;
    const double worst = LargestDifference(one / "checkpoint", two / "checkpoint");
    std::cerr << method << ": largest parameter difference, 2 ranks vs 1: " << worst << "\n";
    EXPECT_LT(worst, 1e-4) << method;
  }
}

// Runs `harness eval` on the suite's checkpoint and returns id -> completions.
std::map<std::string, json> EvalCompletions(const fs::path& checkpoint, const fs::path& out,
                                           const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"eval",     "--checkpoint", checkpoint.string(), "--task", "gsm8k",
                                   "--synthetic", "13",        "--seed",            "4",      "--max-new-tokens",
                                   "24",       "--threads",    "2",                 "--out",  out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const fs::path err = out.string() + ".stderr";
  EXPECT_EQ(testing_harness::SpawnHarness(args, "", err.string()), 0) << ReadAll(err);
  std::map<std::string, json> by_id;
  for (const auto& line : util::ReadJsonLines((out / "samples.jsonl").string())) {
    by_id[line.value["id"].get<std::string>()] = {line.value["completions"], line.value["correct"]};
  }
  return by_id;
}

TEST(DataParallelWsrl, ControlStudyUpdatesWithTwoRanksMatchOneRank) {
  // WSRL's control study: every rank steps the maze alike and takes every other row of each update's
  // batch (random draws made for the whole batch), with the gradients summed. Cal-QL offline, then the
  // WSRL arm online from each run's own pre-trained agent: the same agents and curves as one rank, up to
  // float summation order.
  const fs::path dir = TempDir("wsrl");
  fs::create_directories(dir);
  const json wsrl = {{"maze", "open"}, {"horizon", 30}, {"dataset_episodes", 20}, {"episode_steps", 20},
                     {"ensemble", 2}, {"critic_hidden", 16}, {"actor_hidden", 16}, {"batch_size", 16},
                     {"offline_steps", 30}, {"offline_eval_every", 10}, {"online_steps", 60}, {"warmup_steps", 20},
                     {"eval_episodes", 4}, {"eval_every", 20}, {"dense_until", 20}, {"dense_every", 10},
                     {"q_probe", 50}};
  const auto write_config = [&](const std::string& name, const std::string& init) {
    json config = {{"seed", 3}, {"threads", 2}, {"train", {{{"task", "gsm8k"}, {"synthetic_n", 4}}}}, {"wsrl", wsrl}};
    if (!init.empty()) config["init_checkpoint"] = init;
    std::ofstream(dir / name) << config.dump(2);
    return (dir / name).string();
  };
  std::map<std::string, std::string> logs;
  for (const std::string ranks : {"1", "2"}) {
    const std::vector<std::pair<std::string, std::string>> stages = {
        {"wsrl-offline", write_config("offline" + ranks + ".json", "")},
        {"wsrl", write_config("online" + ranks + ".json", (dir / ("offline" + ranks)).string())}};
    for (const auto& [method, config] : stages) {
      const std::string out = (dir / ((method == "wsrl" ? "online" : "offline") + ranks)).string();
      const std::string err = out + ".stderr";
      ASSERT_EQ(testing_harness::SpawnHarness({"train", method, "--config", config, "--out", out, "--nproc", ranks}, "",
                                              err),
                0)
          << ReadAll(err);
      logs[method + ranks] = ReadAll(err);
    }
  }
  // The studies' curves (success, steps, the Q diagnostics), from the summary line each run prints.
  const auto study = [&](const std::string& key) {
    const std::string& log = logs[key];
    const std::string prefix = key.substr(0, key.size() - 1) + ": ";
    const size_t at = log.find(prefix);
    EXPECT_NE(at, std::string::npos) << log;
    return json::parse(log.substr(at + prefix.size(), log.find('\n', at) - at - prefix.size()))["study"];
  };
  for (const std::string method : {"wsrl-offline", "wsrl"}) {
    const json one = study(method + "1"), two = study(method + "2");
    for (const auto& [name, curve] : one["curves"].items()) {
      ASSERT_EQ(two["curves"][name]["y"].size(), curve["y"].size()) << method << " " << name;
      for (size_t i = 0; i < curve["y"].size(); ++i) {
        EXPECT_NEAR(two["curves"][name]["y"][i].get<double>(), curve["y"][i].get<double>(), 1e-4)
            << method << " " << name << " point " << i;
      }
    }
  }
  EXPECT_GT(study("wsrl1")["scalars"]["updates"].get<int>(), 0);
  // The saved agents: rank 0's, the same weights.
  const auto options = trainers::wsrl::WsrlOptionsFields().Read(wsrl, "test");
  for (const std::string stage : {"offline", "online"}) {
    trainers::wsrl::Agent one(trainers::wsrl::MakeAgentSpec(options), 1), two(trainers::wsrl::MakeAgentSpec(options), 2);
    one.Load((dir / (stage + "1") / "agent.pt").string());
    two.Load((dir / (stage + "2") / "agent.pt").string());
    const auto pa = one.critic().Parameters(), pb = two.critic().Parameters();
    double worst = 0;
    for (size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, (pa[i] - pb[i]).abs().max().item<double>());
    const auto aa = one.actor().Parameters(), ab = two.actor().Parameters();
    for (size_t i = 0; i < aa.size(); ++i) worst = std::max(worst, (aa[i] - ab[i]).abs().max().item<double>());
    std::cerr << "wsrl " << stage << ": largest parameter difference, 2 ranks vs 1: " << worst << "\n";
    EXPECT_LT(worst, 1e-4) << stage;
  }
}

TEST_F(DataParallel, ShardedEvaluationEqualsUnshardedSampleForSample) {
  const fs::path checkpoint = *root_ / "one" / "checkpoint";
  const fs::path dir = TempDir("eval");
  for (const auto& mode : std::vector<std::vector<std::string>>{
           {}, {"--k", "3", "--temperature", "1.0"}}) {
    const auto one = EvalCompletions(checkpoint, dir / "one", mode);
    std::vector<std::string> sharded = mode;
    sharded.insert(sharded.end(), {"--nproc", "2"});
    const auto two = EvalCompletions(checkpoint, dir / "two", sharded);
    ASSERT_EQ(one.size(), 13u);
    EXPECT_EQ(two, one);  // the same completions and verdicts for every record
    const json results = util::ReadJsonFile((dir / "two" / "results.json").string());
    EXPECT_EQ(results["results"][0]["n"], 13);
    // Not a degenerate model: the sampled completions differ across records.
    std::set<std::string> distinct;
    for (const auto& [id, v] : one) distinct.insert(v[0].dump());
    if (!mode.empty()) {
      EXPECT_GT(distinct.size(), 6u);
    }
  }
}

// Starts `harness args` with extra environment variables; returns its pid (stderr to err_path).
pid_t SpawnWithEnv(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                   const std::string& err_path) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::string bin = HARNESS_BINARY;
    std::vector<std::string> copy = args;
    std::vector<char*> argv{bin.data()};
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(err, 2);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to `limit` for the process; returns {exit status or -signal, seconds}.
std::pair<int, double> WaitFor(pid_t pid, std::chrono::seconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), seconds};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return {-999, limit.count()};
}

TEST_F(DataParallel, AKilledRankFailsTheLocalRunNamingItAndARerunResumes) {
  const fs::path dir = TempDir("killed");
  const fs::path config = TinySftConfigFile(dir, 12, /*save_every=*/2);
  const std::string err = dir.string() + ".stderr";
  const std::vector<std::string> args = {"train", "sft", "--config", config.string(), "--out", (dir / "out").string(),
                                         "--nproc", "2", "--dist-timeout", "30"};
  const pid_t pid = SpawnWithEnv(args, {{"HARNESS_TEST_KILL_RANK_AT_STEP", "1:5"}}, err);
  const auto [status, seconds] = WaitFor(pid, std::chrono::seconds(120));
  EXPECT_EQ(status, 1) << ReadAll(err);
  EXPECT_NE(ReadAll(err).find("rank 1 was killed by signal 9"), std::string::npos) << ReadAll(err);
  std::cerr << "the launcher failed the run " << seconds << " s after it started\n";
  // The rerun resumes from the state rank 0 saved at step 4 and ends where one uninterrupted rank does.
  const pid_t again = SpawnWithEnv(args, {}, err);
  const auto [status2, unused] = WaitFor(again, std::chrono::seconds(120));
  ASSERT_EQ(status2, 0) << ReadAll(err);
  EXPECT_NE(ReadAll(err).find("resumed at step 4"), std::string::npos) << ReadAll(err);
  const fs::path reference = TinySftConfigFile(dir / "reference", 12);
  ASSERT_EQ(testing_harness::SpawnHarness({"train", "sft", "--config", reference.string(), "--out",
                                           (dir / "reference" / "out").string()}),
            0);
  const std::vector<double> one = Losses(dir / "reference" / "out" / "metrics.jsonl");
  const std::vector<double> resumed = Losses(dir / "out" / "metrics.jsonl");
  ASSERT_EQ(resumed.size(), 12u);  // steps 1..4 before the kill (step 5's row dropped), 5..12 after
  for (size_t i = 0; i < resumed.size(); ++i) EXPECT_NEAR(resumed[i], one[i], 1e-5 * std::max(1.0, one[i]));
  EXPECT_LT(LargestDifference(dir / "reference" / "out" / "checkpoint", dir / "out" / "checkpoint"), 1e-4);
}

TEST_F(DataParallel, UnderAnExternalLauncherTheSurvivorFailsWithinTheTimeout) {
  // Two ranks started as torchrun would (no --nproc); rank 1 dies at step 3. Rank 0 must not hang: it
  // exits 1 within the timeout, naming itself and the failed collective.
  const fs::path dir = TempDir("external");
  const fs::path config = TinySftConfigFile(dir, 40);
  const std::string port = std::to_string(20000 + ::getpid() % 20000);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < 2; ++rank) {
    pids.push_back(SpawnWithEnv({"train", "sft", "--config", config.string(), "--out", (dir / "out").string(),
                                 "--dist-timeout", "20"},
                                {{"RANK", std::to_string(rank)}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                                 {"MASTER_PORT", port}, {"HARNESS_TEST_KILL_RANK_AT_STEP", "1:3"}},
                                dir.string() + ".rank" + std::to_string(rank)));
  }
  const auto [dead, unused] = WaitFor(pids[1], std::chrono::seconds(120));
  EXPECT_EQ(dead, -SIGKILL);
  const auto [status, seconds] = WaitFor(pids[0], std::chrono::seconds(60));
  const std::string err = ReadAll(dir.string() + ".rank0");
  EXPECT_EQ(status, 1) << err;
  EXPECT_LT(seconds, 30.0);
  EXPECT_NE(err.find("rank 0 of 2"), std::string::npos) << err;
  std::cerr << "rank 0 failed " << seconds << " s after rank 1 died\n";
}

TEST_F(DataParallel, AMethodThatIsNotDataParallelIsRefusedBeforeAnyWork) {
  // `harness train` of a method that trains on one rank only: exit 2 naming the flag, with --nproc or
  // under a launcher's environment, before anything is written.
  const fs::path dir = TempDir("refused");
  const fs::path config = TinySftConfigFile(dir, 4);
  const std::string err = dir.string() + ".stderr";
  EXPECT_EQ(testing_harness::SpawnHarness({"train", "base", "--config", config.string(), "--out", (dir / "a").string(),
                                           "--nproc", "2"}, "", err), 2);
  EXPECT_NE(ReadAll(err).find("--nproc"), std::string::npos) << ReadAll(err);
  const pid_t pid = SpawnWithEnv({"train", "base", "--config", config.string(), "--out", (dir / "b").string()},
                                 {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1"}},
                                 err);
  EXPECT_EQ(WaitFor(pid, std::chrono::seconds(60)).first, 2) << ReadAll(err);
  EXPECT_FALSE(fs::exists(dir / "a"));
  EXPECT_FALSE(fs::exists(dir / "b"));
}

TEST_F(DataParallel, RunWithTwoRanksGivesTheSameRows) {
  const fs::path dir = TempDir("run");
  const json experiment = {
      {"name", "tiny"},
      {"seeds", {7}},
      {"threads", 2},
      {"methods", {"base", "sft", "crlft"}},
      {"tasks", {{{"task", "gsm8k"}, {"train_n", 40}, {"test_n", 7}, {"steps", 1}}}},
      {"training", {{"preset", "nano"},
                    {"model_overrides", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
                                         {"num_attention_heads", 2}, {"num_key_value_heads", 1}}},
                    {"tokenizer_vocab", 320}, {"batch_size", 4}, {"max_steps", 6}, {"warmup_steps", 2},
                    {"log_every", 2}}},
      {"eval", {{"greedy", true}, {"k", 2}, {"temperature", 0.7}, {"max_new_tokens", 16}}}};
  fs::create_directories(dir);
  std::ofstream(dir / "experiment.json") << experiment.dump(2);
  std::map<std::string, std::set<std::string>> rows;
  for (const std::string name : {"one", "two"}) {
    std::vector<std::string> args = {"run", (dir / "experiment.json").string(), "--out", (dir / name).string()};
    if (name == "two") args.insert(args.end(), {"--nproc", "2"});
    const std::string err = (dir / (name + ".stderr")).string();
    ASSERT_EQ(testing_harness::SpawnHarness(args, "", err), 0) << ReadAll(err);
    const json results = util::ReadJsonFile((dir / name / "results.json").string());
    for (const auto& row : results["results"]) {
      std::string metrics;
      for (const auto& [k, v] : row["metrics"].items()) metrics += k + ",";
      rows[name].insert(row["method"].get<std::string>() + "/" + row["task"].get<std::string>() + "/" +
                        std::to_string(row["n"].get<int>()) + "/" + metrics);
    }
    if (name == "two") {
      EXPECT_EQ(results["environment"]["world_size"], 2);
      EXPECT_TRUE(fs::exists(dir / name / "ranks" / "rank1.log"));
    }
  }
  EXPECT_EQ(rows["one"].size(), 3u);  // base, sft, crlft on gsm8k
  EXPECT_EQ(rows["two"], rows["one"]);
}

}  // namespace
