// A client for OpenAI-compatible servers (vLLM, llama.cpp, SGLang, `harness serve`): builds the
// /v1/completions or /v1/chat/completions body for one prompt, posts it with a timeout, and retries
// transient failures (connection errors, timeouts, HTTP 429 and 5xx) with exponential backoff.
//
//   remote::EndpointOptions options;  options.url = "http://127.0.0.1:8000";  options.model = "m";
//   remote::ValidateEndpointOptions(options);           // util::InputError naming the flag
//   remote::OpenAiClient client(options);
//   remote::RemoteReply r = client.Post(remote::RequestBody(options, request));   // r.texts[0..n)
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace remote {

struct EndpointOptions {
  std::string url;                  // http(s)://host[:port][/prefix]; "/v1" is appended unless it ends in it
  std::string model;                // the "model" field of every request
  bool chat = false;                // /v1/chat/completions with one user message instead of /v1/completions
  int concurrency = 4;              // requests in flight
  int retries = 3;                  // extra attempts after a transient failure
  double backoff_seconds = 0.5;     // wait before the first retry; doubles for each further one
  double timeout_seconds = 300;     // connect, and each wait for the server's bytes
};

// Throws util::InputError naming the flag (--endpoint, --model, --concurrency, --retries, --backoff,
// --request-timeout).
void ValidateEndpointOptions(const EndpointOptions& options);

// One prompt's sampling request.
struct SamplingRequest {
  std::string prompt;
  int n = 1;
  double temperature = 0;
  double top_p = 1;
  int max_tokens = 256;
  uint64_t seed = 0;
  std::vector<std::string> stop;
};

// The JSON body sent for `request` (also the cache key's input, together with the route).
nlohmann::json RequestBody(const EndpointOptions& options, const SamplingRequest& request);
// "/v1/completions" or "/v1/chat/completions" under the URL's prefix.
std::string Route(const EndpointOptions& options);

struct RemoteReply {
  std::vector<std::string> texts;   // one per choice, in choice-index order
  long long prompt_tokens = 0;      // from "usage" (0 when the server gives none)
  long long completion_tokens = 0;
};

// Parses a response body; throws std::runtime_error naming the missing or malformed field.
RemoteReply ParseReply(const nlohmann::json& response, bool chat, int n);

// A request that failed for good (after its retries, or at once for a non-transient error).
class RemoteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OpenAiClient {
 public:
  explicit OpenAiClient(EndpointOptions options);
  // Posts `body` and returns the parsed JSON response; throws RemoteError. Thread-safe (one
  // connection per call).
  nlohmann::json Post(const nlohmann::json& body) const;

 private:
  EndpointOptions options_;
  std::string scheme_host_port_;    // "http://host:port" (or https)
  std::string route_;
};

}  // namespace remote
