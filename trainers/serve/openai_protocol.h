// The OpenAI request and response shapes `harness serve` speaks (no torch): parsing and validating a
// /v1/completions or /v1/chat/completions body, and writing the replies. A bad field is an ApiError
// naming it (HTTP 400, or 404 for another model's name), returned to the client as OpenAI's
// {"error": {"message", "type", "param"}}.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trainers::serve {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string param, const std::string& message)
      : std::runtime_error(message), status_(status), param_(std::move(param)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }

 private:
  int status_;
  std::string param_;
};

nlohmann::json ErrorBody(const ApiError& error);

// Fields shared by both routes, validated. Unknown fields are ignored, as OpenAI clients send many.
struct SamplingFields {
  int n = 1;                          // 1..128
  double temperature = 1.0;           // 0..2 (0 = greedy)
  double top_p = 1.0;                 // (0, 1]
  std::optional<int> max_tokens;      // >= 1 (the server bounds it by the context length)
  std::vector<std::string> stop;      // up to 4 non-empty strings
  std::optional<uint64_t> seed;
  bool logprobs = false;              // the sampled tokens' log-probabilities (no alternatives)
};

struct CompletionBody {
  std::vector<std::string> prompts;   // "prompt": a string or an array of strings
  SamplingFields sampling;
};

struct ChatBody {
  std::string user;                   // the single user turn the chat template renders
  SamplingFields sampling;
};

// `model_name`: the served name; a request naming another model gets a 404.
CompletionBody ParseCompletionBody(const nlohmann::json& body, const std::string& model_name);
ChatBody ParseChatBody(const nlohmann::json& body, const std::string& model_name);

// One generated choice, as the engine produced it.
struct Choice {
  std::string text;
  std::string finish_reason;                 // "stop" or "length"
  std::vector<std::string> tokens;           // with logprobs: token texts
  std::vector<float> token_logprobs;         // with logprobs: one per token
};

struct Usage {
  long long prompt_tokens = 0;
  long long completion_tokens = 0;
};

nlohmann::json CompletionResponse(const std::string& id, const std::string& model, const std::vector<Choice>& choices,
                                  bool logprobs, const Usage& usage);
nlohmann::json ChatResponse(const std::string& id, const std::string& model, const std::vector<Choice>& choices,
                            bool logprobs, const Usage& usage);
nlohmann::json ModelsResponse(const std::string& model);

}  // namespace trainers::serve
