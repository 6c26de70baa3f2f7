#include "harness/remote/openai_client.h"

#include <chrono>
#include <cmath>
#include <thread>

#include <httplib.h>

#include "harness/util/error.h"

namespace remote {
namespace {

struct ParsedUrl {
  std::string scheme_host_port;  // "http://host:port" (or https)
  std::string prefix;            // path before "/completions", e.g. "/v1"
};

util::InputError FlagError(const std::string& flag, const std::string& message) {
  return util::InputError(util::Location{"", 0, flag}, message);
}

ParsedUrl ParseUrl(const std::string& url) {
  const bool https = url.rfind("https://", 0) == 0;
  if (!https && url.rfind("http://", 0) != 0) {
    throw FlagError("--endpoint", "must start with http:// or https:// (got '" + url + "')");
  }
  const size_t scheme = https ? 8 : 7;
  const size_t slash = url.find('/', scheme);
  ParsedUrl parsed;
  parsed.scheme_host_port = url.substr(0, slash);
  const std::string host = parsed.scheme_host_port.substr(scheme);
  if (host.empty() || host.front() == ':') throw FlagError("--endpoint", "has no host: '" + url + "'");
  const size_t colon = host.rfind(':');
  if (colon != std::string::npos) {
    const std::string port = host.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
        std::stoi(port) < 1 || std::stoi(port) > 65535) {
      throw FlagError("--endpoint", "bad port in '" + url + "'");
    }
  }
  std::string path = slash == std::string::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.pop_back();
  const bool ends_in_v1 = path.size() >= 3 && path.compare(path.size() - 3, 3, "/v1") == 0;
  parsed.prefix = ends_in_v1 ? path : path + "/v1";
  return parsed;
}

bool Transient(int status) { return status == 408 || status == 429 || status >= 500; }

}  // namespace

void ValidateEndpointOptions(const EndpointOptions& options) {
  ParseUrl(options.url);
  if (options.model.empty()) throw FlagError("--model", "required with --endpoint (the served model's name)");
  if (options.concurrency < 1 || options.concurrency > 256) throw FlagError("--concurrency", "must be in 1..256");
  if (options.retries < 0 || options.retries > 20) throw FlagError("--retries", "must be in 0..20");
  if (!(options.backoff_seconds >= 0) || options.backoff_seconds > 60) {
    throw FlagError("--backoff", "must be in 0..60 seconds");
  }
  if (!(options.timeout_seconds > 0) || options.timeout_seconds > 86400) {
    throw FlagError("--request-timeout", "must be > 0 and at most 86400 seconds");
  }
}

std::string Route(const EndpointOptions& options) {
  return ParseUrl(options.url).prefix + (options.chat ? "/chat/completions" : "/completions");
}

nlohmann::json RequestBody(const EndpointOptions& options, const SamplingRequest& request) {
  nlohmann::json body = {{"model", options.model},         {"n", request.n},
                         {"temperature", request.temperature}, {"top_p", request.top_p},
                         {"max_tokens", request.max_tokens},   {"seed", request.seed}};
  if (options.chat) {
    body["messages"] = nlohmann::json::array({{{"role", "user"}, {"content", request.prompt}}});
  } else {
    body["prompt"] = request.prompt;
  }
  if (!request.stop.empty()) body["stop"] = request.stop;
  return body;
}

RemoteReply ParseReply(const nlohmann::json& response, bool chat, int n) {
  auto fail = [](const std::string& what) { return RemoteError("malformed response: " + what); };
  if (!response.is_object() || !response.contains("choices") || !response["choices"].is_array()) {
    throw fail("no 'choices' array");
  }
  const auto& choices = response["choices"];
  if (static_cast<int>(choices.size()) != n) {
    throw fail("expected " + std::to_string(n) + " choices, got " + std::to_string(choices.size()));
  }
  RemoteReply reply;
  reply.texts.assign(n, "");
  std::vector<bool> seen(n, false);
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i];
    const bool indexed = c.contains("index") && c["index"].is_number_integer();
    const int index = indexed ? c["index"].get<int>() : static_cast<int>(i);
    if (index < 0 || index >= n || seen[index]) throw fail("choices[" + std::to_string(i) + "].index");
    seen[index] = true;
    const nlohmann::json* text = nullptr;
    if (chat && c.contains("message") && c["message"].is_object() && c["message"].contains("content")) {
      text = &c["message"]["content"];
    } else if (!chat && c.contains("text")) {
      text = &c["text"];
    }
    if (text == nullptr || !(text->is_string() || text->is_null())) {
      throw fail("choices[" + std::to_string(i) + (chat ? "].message.content" : "].text"));
    }
    reply.texts[index] = text->is_null() ? "" : text->get<std::string>();
  }
  if (response.contains("usage") && response["usage"].is_object()) {
    const auto& usage = response["usage"];
    if (usage.contains("prompt_tokens") && usage["prompt_tokens"].is_number()) {
      reply.prompt_tokens = usage["prompt_tokens"].get<long long>();
    }
    if (usage.contains("completion_tokens") && usage["completion_tokens"].is_number()) {
      reply.completion_tokens = usage["completion_tokens"].get<long long>();
    }
  }
  return reply;
}

OpenAiClient::OpenAiClient(EndpointOptions options) : options_(std::move(options)) {
  ValidateEndpointOptions(options_);
  scheme_host_port_ = ParseUrl(options_.url).scheme_host_port;
  route_ = Route(options_);
}

nlohmann::json OpenAiClient::Post(const nlohmann::json& body) const {
  const std::string payload = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  const auto timeout = std::chrono::duration<double>(options_.timeout_seconds);
  std::string last_error;
  for (int attempt = 0; attempt <= options_.retries; ++attempt) {
    if (attempt > 0) {
      const double wait = options_.backoff_seconds * std::pow(2.0, attempt - 1);
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
    }
    httplib::Client client(scheme_host_port_);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Result result = client.Post(route_, payload, "application/json");
    if (!result) {
      last_error = "no response (" + httplib::to_string(result.error()) + ")";
      continue;
    }
    if (result->status == 200) {
      try {
        return nlohmann::json::parse(result->body);
      } catch (const nlohmann::json::exception&) {
        throw RemoteError("POST " + route_ + ": response is not JSON");
      }
    }
    last_error = "HTTP " + std::to_string(result->status) + ": " + result->body.substr(0, 300);
    if (!Transient(result->status)) throw RemoteError("POST " + route_ + " failed: " + last_error);
  }
  throw RemoteError("POST " + route_ + " failed after " + std::to_string(options_.retries + 1) +
                    " attempts; last: " + last_error);
}

}  // namespace remote
