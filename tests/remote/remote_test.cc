// harness/remote: flag validation, routes, the response cache (reload, torn last line), and the
// client's retries, timeouts and resumable batch runs against scripted servers on the loopback.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "harness/remote/openai_client.h"
#include "harness/remote/remote_generate.h"
#include "harness/remote/response_cache.h"
#include "harness/util/error.h"
#include "tests/remote/fake_server.h"

namespace {

namespace fs = std::filesystem;
using remote_test::FakeServer;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("remote_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

remote::EndpointOptions Options(const std::string& url) {
  remote::EndpointOptions o;
  o.url = url;
  o.model = "fake";
  o.backoff_seconds = 0.01;
  o.timeout_seconds = 30;
  return o;
}

std::string FieldOf(const remote::EndpointOptions& o) {
  try {
    remote::ValidateEndpointOptions(o);
  } catch (const util::InputError& e) {
    return e.where().field;
  }
  return "";
}

TEST(EndpointOptions, EachBadFlagIsNamed) {
  auto o = Options("http://127.0.0.1:8000");
  EXPECT_EQ(FieldOf(o), "");
  o.url = "127.0.0.1:8000";
  EXPECT_EQ(FieldOf(o), "--endpoint");
  o.url = "ftp://example.com";
  EXPECT_EQ(FieldOf(o), "--endpoint");
  o.url = "https://example.com/v1";
  EXPECT_EQ(FieldOf(o), "");
  o.url = "http://127.0.0.1:99999";
  EXPECT_EQ(FieldOf(o), "--endpoint");
  o = Options("http://127.0.0.1:8000");
  o.model = "";
  EXPECT_EQ(FieldOf(o), "--model");
  o = Options("http://127.0.0.1:8000");
  o.concurrency = 0;
  EXPECT_EQ(FieldOf(o), "--concurrency");
  o = Options("http://127.0.0.1:8000");
  o.retries = -1;
  EXPECT_EQ(FieldOf(o), "--retries");
  o = Options("http://127.0.0.1:8000");
  o.timeout_seconds = 0;
  EXPECT_EQ(FieldOf(o), "--request-timeout");
}

TEST(EndpointOptions, RoutesUnderTheUrlsPrefix) {
  auto o = Options("http://127.0.0.1:8000");
  EXPECT_EQ(remote::Route(o), "/v1/completions");
  o.url = "http://127.0.0.1:8000/v1/";
  EXPECT_EQ(remote::Route(o), "/v1/completions");
  o.url = "http://localhost/api";
  o.chat = true;
  EXPECT_EQ(remote::Route(o), "/api/v1/chat/completions");
}

TEST(RequestBody, CompletionAndChatShapes) {
  remote::SamplingRequest r;
  r.prompt = "2+2=";
  r.n = 2;
  r.temperature = 0.5;
  r.max_tokens = 7;
  r.seed = 9;
  auto o = Options("http://127.0.0.1:8000");
  nlohmann::json body = remote::RequestBody(o, r);
  EXPECT_EQ(body["prompt"], "2+2=");
  EXPECT_EQ(body["n"], 2);
  EXPECT_EQ(body["max_tokens"], 7);
  EXPECT_EQ(body["seed"], 9);
  o.chat = true;
  body = remote::RequestBody(o, r);
  EXPECT_FALSE(body.contains("prompt"));
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_EQ(body["messages"][0]["content"], "2+2=");
}

TEST(ParseReply, OrdersChoicesAndNamesMissingFields) {
  nlohmann::json reply = {{"choices", {{{"index", 1}, {"text", "b"}}, {{"index", 0}, {"text", "a"}}}},
                          {"usage", {{"prompt_tokens", 4}, {"completion_tokens", 2}}}};
  remote::RemoteReply r = remote::ParseReply(reply, false, 2);
  EXPECT_EQ(r.texts, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.completion_tokens, 2);
  EXPECT_THROW(remote::ParseReply(reply, false, 3), remote::RemoteError);
  EXPECT_THROW(remote::ParseReply(reply, true, 2), remote::RemoteError);  // no message.content
  EXPECT_THROW(remote::ParseReply(nlohmann::json::object(), false, 1), remote::RemoteError);
}

TEST(ResponseCache, ReloadsAndCutsATornLastLine) {
  const fs::path dir = TempDir("cache");
  const std::string path = (dir / "c.jsonl").string();
  {
    remote::ResponseCache cache(path);
    cache.Add("k1", {{"x", 1}});
    cache.Add("k2", {{"x", 2}});
  }
  {
    std::ofstream torn(path, std::ios::app);
    torn << R"({"key":"k3","respo)";  // an append cut short by a crash
  }
  remote::ResponseCache cache(path);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ((*cache.Find("k2"))["x"], 2);
  EXPECT_FALSE(cache.Find("k3"));
  cache.Add("k3", {{"x", 3}});  // appends after the cut, on a line of its own
  EXPECT_EQ(remote::ResponseCache(path).size(), 3u);
}

TEST(ResponseCache, MalformedLineIsAnInputErrorWithItsLine) {
  const fs::path dir = TempDir("bad_cache");
  const std::string path = (dir / "c.jsonl").string();
  std::ofstream(path) << "{\"key\":\"a\",\"response\":{}}\nnot json\n{\"key\":\"b\",\"response\":{}}\n";
  try {
    remote::ResponseCache cache(path);
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().line, 2);
  }
}

TEST(ResponseCache, KeyIgnoresTheServerAddressButNotTheRequest) {
  nlohmann::json a = {{"prompt", "p"}, {"n", 1}};
  nlohmann::json b = {{"n", 1}, {"prompt", "p"}};
  EXPECT_EQ(remote::ResponseCache::Key("/v1/completions", a), remote::ResponseCache::Key("/v1/completions", b));
  b["n"] = 2;
  EXPECT_NE(remote::ResponseCache::Key("/v1/completions", a), remote::ResponseCache::Key("/v1/completions", b));
  EXPECT_NE(remote::ResponseCache::Key("/v1/completions", a), remote::ResponseCache::Key("/v1/chat/completions", a));
}

TEST(OpenAiClient, RetriesServerErrorsThenSucceeds) {
  FakeServer server([](int number, const nlohmann::json& body, httplib::Response& res) {
    if (number <= 2) return FakeServer::Fail(number == 1 ? 500 : 503, res);
    FakeServer::Answer(body, "ok", res);
  });
  auto o = Options(server.url());
  remote::OpenAiClient client(o);
  remote::SamplingRequest r;
  r.prompt = "hi";
  nlohmann::json reply = client.Post(remote::RequestBody(o, r));
  EXPECT_EQ(remote::ParseReply(reply, false, 1).texts[0], "ok");
  EXPECT_EQ(server.requests(), 3);
}

TEST(OpenAiClient, GivesUpAfterItsRetriesAndDoesNotRetryABadRequest) {
  FakeServer failing([](int, const nlohmann::json&, httplib::Response& res) { FakeServer::Fail(500, res); });
  auto o = Options(failing.url());
  o.retries = 2;
  remote::SamplingRequest r;
  r.prompt = "hi";
  EXPECT_THROW(remote::OpenAiClient(o).Post(remote::RequestBody(o, r)), remote::RemoteError);
  EXPECT_EQ(failing.requests(), 3);

  FakeServer rejecting([](int, const nlohmann::json&, httplib::Response& res) { FakeServer::Fail(400, res); });
  o.url = rejecting.url();
  EXPECT_THROW(remote::OpenAiClient(o).Post(remote::RequestBody(o, r)), remote::RemoteError);
  EXPECT_EQ(rejecting.requests(), 1);
}

TEST(OpenAiClient, AStalledServerTimesOut) {
  FakeServer* self = nullptr;
  FakeServer server([&self](int, const nlohmann::json&, httplib::Response&) { self->Stall(std::chrono::seconds(20)); });
  self = &server;
  auto o = Options(server.url());
  o.timeout_seconds = 0.5;
  o.retries = 1;
  remote::SamplingRequest r;
  r.prompt = "hi";
  const auto start = std::chrono::steady_clock::now();
  try {
    remote::OpenAiClient(o).Post(remote::RequestBody(o, r));
    FAIL() << "expected a timeout";
  } catch (const remote::RemoteError& e) {
    EXPECT_NE(std::string(e.what()).find("after 2 attempts"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));  // generous: 2 x 0.5 s
  EXPECT_EQ(server.requests(), 2);
}

TEST(GenerateRemote, AnInterruptedRunResumesFromTheCache) {
  const fs::path dir = TempDir("resume");
  const std::string cache = (dir / "cache.jsonl").string();
  std::vector<remote::SamplingRequest> requests(6);
  for (size_t i = 0; i < requests.size(); ++i) requests[i].prompt = "question " + std::to_string(i);

  // The first server answers three requests, then fails for good.
  FakeServer flaky([](int number, const nlohmann::json& body, httplib::Response& res) {
    if (number > 3) return FakeServer::Fail(500, res);
    FakeServer::Answer(body, "answer to " + body["prompt"].get<std::string>(), res);
  });
  auto o = Options(flaky.url());
  o.concurrency = 1;
  o.retries = 0;
  remote::GenerateStats stats;
  EXPECT_THROW(remote::GenerateRemote(o, requests, cache, &stats), remote::RemoteError);
  EXPECT_EQ(stats.requests_sent, 3);

  // The rerun (another server, another port) asks only for the three missing answers.
  FakeServer healthy([](int, const nlohmann::json& body, httplib::Response& res) {
    FakeServer::Answer(body, "answer to " + body["prompt"].get<std::string>(), res);
  });
  o.url = healthy.url();
  o.concurrency = 3;
  remote::GenerateStats resumed;
  std::vector<remote::RemoteReply> replies = remote::GenerateRemote(o, requests, cache, &resumed);
  EXPECT_EQ(healthy.requests(), 3);
  EXPECT_EQ(resumed.cache_hits, 3);
  EXPECT_EQ(resumed.requests_sent, 3);
  ASSERT_EQ(replies.size(), 6u);
  for (size_t i = 0; i < replies.size(); ++i) EXPECT_EQ(replies[i].texts[0], "answer to question " + std::to_string(i));

  // A third run is served entirely from the cache.
  remote::GenerateStats cached;
  remote::GenerateRemote(o, requests, cache, &cached);
  EXPECT_EQ(cached.cache_hits, 6);
  EXPECT_EQ(healthy.requests(), 3);
}

}  // namespace
