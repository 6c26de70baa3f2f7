// `harness serve` on the loopback with a tiny random checkpoint: /v1/models, completions, chat
// completions, n > 1 with seeds, stop strings, bad requests, concurrent requests batched together,
// and `eval --endpoint` against it giving what `eval --checkpoint` gives on the same data.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "harness/util/files.h"

#include "tests/harness_process.h"
#include "tests/serve_process.h"

namespace {

namespace fs = std::filesystem;

int RunHarness(const std::vector<std::string>& args) { return testing_harness::SpawnHarness(args); }

const char kChatMl[] =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

class Serve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("serve_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    checkpoint_ = (dir_ / "tiny").string();
    ASSERT_EQ(testing_harness::InitTinyCheckpoint(checkpoint_), 0);
    // A ChatML template, so the chat route renders prompts as `--chat` does.
    const std::string config_path = checkpoint_ + "/tokenizer_config.json";
    nlohmann::json config = util::FileExists(config_path) ? nlohmann::json::parse(util::ReadFile(config_path))
                                                          : nlohmann::json::object();
    config["chat_template"] = kChatMl;
    util::WriteFileAtomic(config_path, config.dump(2));

    server_ = new testing_harness::ServeProcess(checkpoint_, (dir_ / "serve.out").string(), {"--max-batch", "8"});
    ASSERT_GT(server_->port(), 0) << "harness serve did not start";
  }

  static void TearDownTestSuite() { testing_harness::StopServer(server_, dir_); }

  // A suite whose server did not start fails each test (instead of skipping it).
  void SetUp() override { ASSERT_GT(server_->port(), 0) << "harness serve did not start"; }

  static std::string Url() { return server_->url(); }

  // POSTs `body`; returns {status, parsed reply}.
  static std::pair<int, nlohmann::json> Post(const std::string& route, const nlohmann::json& body) {
    httplib::Client client(Url());
    client.set_read_timeout(std::chrono::seconds(120));
    auto res = client.Post(route, body.dump(), "application/json");
    if (!res) return {-1, nullptr};
    return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
  }

  static nlohmann::json Complete(nlohmann::json body) {
    body["model"] = "tiny";
    auto [status, reply] = Post("/v1/completions", body);
    EXPECT_EQ(status, 200) << reply.dump();
    return reply;
  }

  static fs::path dir_;
  static std::string checkpoint_;
  static testing_harness::ServeProcess* server_;
};

fs::path Serve::dir_;
std::string Serve::checkpoint_;
testing_harness::ServeProcess* Serve::server_ = nullptr;

TEST_F(Serve, BadFlagsExitTwoBeforeLoading) {
  EXPECT_EQ(RunHarness({"serve", "--checkpoint", (dir_ / "nonexistent").string()}), 2);
  EXPECT_EQ(RunHarness({"serve", "--checkpoint", checkpoint_, "--port", "70000"}), 2);
  EXPECT_EQ(RunHarness({"serve", "--checkpoint", checkpoint_, "--max-batch", "0"}), 2);
  EXPECT_EQ(RunHarness({"serve", "--checkpoint", checkpoint_, "--host", ""}), 2);
}

TEST_F(Serve, ListsItsModel) {
  httplib::Client client(Url());
  auto res = client.Get("/v1/models");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200);
  nlohmann::json models = nlohmann::json::parse(res->body);
  EXPECT_EQ(models["object"], "list");
  EXPECT_EQ(models["data"][0]["id"], "tiny");
}

TEST_F(Serve, CompletesAPrompt) {
  nlohmann::json reply = Complete({{"prompt", "Q: 2+3?\nA:"}, {"max_tokens", 8}, {"temperature", 0}});
  EXPECT_EQ(reply["object"], "text_completion");
  ASSERT_EQ(reply["choices"].size(), 1u);
  EXPECT_TRUE(reply["choices"][0]["text"].is_string());
  const std::string finish = reply["choices"][0]["finish_reason"];
  EXPECT_TRUE(finish == "stop" || finish == "length") << finish;
  EXPECT_GT(reply["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_LE(reply["usage"]["completion_tokens"].get<int>(), 8);
  // logprobs 0: one log-probability per returned token, none positive.
  nlohmann::json with_logprobs =
      Complete({{"prompt", "Q: 2+3?\nA:"}, {"max_tokens", 8}, {"temperature", 0}, {"logprobs", 0}});
  const auto& lp = with_logprobs["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.is_object());
  EXPECT_EQ(lp["tokens"].size(), lp["token_logprobs"].size());
  for (const auto& x : lp["token_logprobs"]) EXPECT_LE(x.get<double>(), 1e-4);
  EXPECT_EQ(with_logprobs["choices"][0]["text"], reply["choices"][0]["text"]);
}

TEST_F(Serve, CompletesAChat) {
  auto [status, reply] = Post("/v1/chat/completions", {{"model", "tiny"},
                                                       {"messages", {{{"role", "user"}, {"content", "Hello"}}}},
                                                       {"max_tokens", 8},
                                                       {"temperature", 0}});
  ASSERT_EQ(status, 200) << reply.dump();
  EXPECT_EQ(reply["object"], "chat.completion");
  EXPECT_EQ(reply["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(reply["choices"][0]["message"]["content"].is_string());
  // The chat template wraps the prompt: more prompt tokens than the bare text.
  nlohmann::json bare = Complete({{"prompt", "Hello"}, {"max_tokens", 1}});
  EXPECT_GT(reply["usage"]["prompt_tokens"].get<int>(), bare["usage"]["prompt_tokens"].get<int>());
}

TEST_F(Serve, SamplesNChoicesReproduciblyBySeed) {
  nlohmann::json body = {{"prompt", "Once"}, {"max_tokens", 12}, {"temperature", 1.0}, {"n", 3}, {"seed", 5}};
  nlohmann::json a = Complete(body);
  nlohmann::json b = Complete(body);
  ASSERT_EQ(a["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a["choices"][i]["index"], i);
    EXPECT_EQ(a["choices"][i]["text"], b["choices"][i]["text"]);
  }
  const auto& c = a["choices"];
  EXPECT_FALSE(c[0]["text"] == c[1]["text"] && c[1]["text"] == c[2]["text"]);  // sampled, not greedy
}

TEST_F(Serve, CutsAtAStopString) {
  nlohmann::json full = Complete({{"prompt", "Once upon"}, {"max_tokens", 32}, {"temperature", 0}});
  const std::string text = full["choices"][0]["text"];
  // An ASCII character from inside the greedy text, as the stop string.
  size_t at = 1;
  while (at < text.size() && !(text[at] >= 0x21 && text[at] < 0x7f)) ++at;
  if (at >= text.size()) GTEST_SKIP() << "no ASCII character in the greedy text";
  const std::string stop(1, text[at]);
  nlohmann::json cut = Complete({{"prompt", "Once upon"}, {"max_tokens", 32}, {"temperature", 0}, {"stop", {stop}}});
  EXPECT_EQ(cut["choices"][0]["text"], text.substr(0, text.find(stop)));
  EXPECT_EQ(cut["choices"][0]["finish_reason"], "stop");
}

TEST_F(Serve, RejectsBadRequestsNamingTheField) {
  auto [status, reply] = Post("/v1/completions", {{"prompt", "x"}, {"temperature", 5}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(reply["error"]["param"], "temperature");
  std::tie(status, reply) = Post("/v1/completions", {{"prompt", "x"}, {"model", "other"}});
  EXPECT_EQ(status, 404);
  std::tie(status, reply) = Post("/v1/completions", {{"max_tokens", 3}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(reply["error"]["param"], "prompt");
  std::tie(status, reply) = Post("/v1/completions", {{"prompt", "x"}, {"max_tokens", 1000000}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(reply["error"]["param"], "max_tokens");
  std::tie(status, reply) = Post("/v1/chat/completions", {{"messages", "hi"}});
  EXPECT_EQ(status, 400);
  EXPECT_EQ(reply["error"]["param"], "messages");
  httplib::Client client(Url());
  auto res = client.Post("/v1/completions", "{not json", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

nlohmann::json Health(const std::string& url) {
  httplib::Client client(url);
  auto res = client.Get("/health");
  return res && res->status == 200 ? nlohmann::json::parse(res->body) : nlohmann::json();
}

TEST_F(Serve, BatchesConcurrentRequestsTogether) {
  const nlohmann::json before = Health(Url());
  ASSERT_EQ(before["status"], "ok");
  const int kRequests = 12;
  std::vector<std::future<nlohmann::json>> replies;
  for (int i = 0; i < kRequests; ++i) {
    replies.push_back(std::async(std::launch::async, [i] {
      return Complete({{"prompt", "Request " + std::to_string(i)}, {"max_tokens", 24}, {"n", 2}, {"seed", i}});
    }));
  }
  for (auto& r : replies) EXPECT_EQ(r.get()["choices"].size(), 2u);
  const nlohmann::json after = Health(Url());
  const long long requests = after["requests"].get<long long>() - before["requests"].get<long long>();
  const long long batches = after["batches"].get<long long>() - before["batches"].get<long long>();
  EXPECT_EQ(requests, kRequests);
  // Requests that arrive while a batch runs wait and go together in the next (max batch 8 sequences,
  // so at most 4 of these n=2 requests per batch: at least 3 batches, and fewer than one per request).
  EXPECT_GE(batches, 3);
  EXPECT_LT(batches, kRequests);
}

// The same greedy completions and accuracy through the server as from the checkpoint directly.
void ExpectSameEvaluation(const fs::path& local, const fs::path& remote) {
  nlohmann::json a = nlohmann::json::parse(util::ReadFile((local / "results.json").string()));
  nlohmann::json b = nlohmann::json::parse(util::ReadFile((remote / "results.json").string()));
  EXPECT_EQ(a["results"][0]["metrics"], b["results"][0]["metrics"]);
  std::ifstream la(local / "samples.jsonl"), lb(remote / "samples.jsonl");
  std::string x, y;
  int lines = 0;
  while (std::getline(la, x) && std::getline(lb, y)) {
    nlohmann::json sa = nlohmann::json::parse(x), sb = nlohmann::json::parse(y);
    EXPECT_EQ(sa["completions"], sb["completions"]) << "line " << lines;
    ++lines;
  }
  EXPECT_EQ(lines, 6);
}

TEST_F(Serve, EvalThroughTheEndpointMatchesTheCheckpoint) {
  const std::vector<std::string> common = {"--task", "gsm8k", "--synthetic", "6", "--max-new-tokens", "24"};
  for (bool chat : {false, true}) {
    const std::string tag = chat ? "chat" : "plain";
    std::vector<std::string> local = {"eval", "--checkpoint", checkpoint_, "--threads", "1", "--out",
                                      (dir_ / ("local_" + tag)).string()};
    std::vector<std::string> remote = {"eval", "--endpoint", Url(), "--model", "tiny", "--concurrency", "3",
                                       "--request-timeout", "120", "--out", (dir_ / ("remote_" + tag)).string()};
    for (auto* args : {&local, &remote}) {
      args->insert(args->end(), common.begin(), common.end());
      if (chat) args->push_back("--chat");
    }
    ASSERT_EQ(RunHarness(local), 0) << tag;
    ASSERT_EQ(RunHarness(remote), 0) << tag;
    SCOPED_TRACE(tag);
    ExpectSameEvaluation(dir_ / ("local_" + tag), dir_ / ("remote_" + tag));
  }
}

}  // namespace
