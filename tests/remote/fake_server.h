// A scripted OpenAI-compatible server on the loopback for client tests: counts the requests it
// receives and answers each through a behaviour function (which may fail or stall).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace remote_test {

class FakeServer {
 public:
  // Gets the request number (1-based) and body; fills the response.
  using Behaviour = std::function<void(int number, const nlohmann::json& body, httplib::Response& res)>;

  explicit FakeServer(Behaviour behaviour) : behaviour_(std::move(behaviour)) {
    auto handle = [this](const httplib::Request& req, httplib::Response& res) {
      const int number = ++requests_;
      behaviour_(number, nlohmann::json::parse(req.body, nullptr, false), res);
    };
    server_.Post("/v1/completions", handle);
    server_.Post("/v1/chat/completions", handle);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    stopping_ = true;
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  bool stopping() const { return stopping_; }

  // An OpenAI reply with n choices of `text` (completions and chat fields both filled).
  static void Answer(const nlohmann::json& body, const std::string& text, httplib::Response& res) {
    const int n = body.is_object() && body.contains("n") ? body["n"].get<int>() : 1;
    nlohmann::json choices = nlohmann::json::array();
    for (int i = 0; i < n; ++i) {
      choices.push_back({{"index", i}, {"text", text}, {"message", {{"role", "assistant"}, {"content", text}}},
                         {"finish_reason", "stop"}});
    }
    nlohmann::json reply = {{"choices", choices}, {"usage", {{"prompt_tokens", 5}, {"completion_tokens", 3}}}};
    res.set_content(reply.dump(), "application/json");
  }
  static void Fail(int status, httplib::Response& res) {
    res.status = status;
    res.set_content(R"({"error":{"message":"scripted failure"}})", "application/json");
  }
  // Holds the connection without answering, for at most `limit` (or until the server stops).
  void Stall(std::chrono::seconds limit) const {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!stopping_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  Behaviour behaviour_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<int> requests_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace remote_test
