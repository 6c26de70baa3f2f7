#include "trainers/serve/openai_protocol.h"

#include <cstdint>
#include <ctime>
#include <sstream>

namespace trainers::serve {
namespace {

ApiError BadField(const std::string& field, const std::string& message) { return ApiError(400, field, message); }

const nlohmann::json* Field(const nlohmann::json& body, const std::string& name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

void CheckModel(const nlohmann::json& body, const std::string& model_name) {
  const nlohmann::json* model = Field(body, "model");
  if (model == nullptr) return;
  if (!model->is_string()) throw BadField("model", "must be a string");
  if (model->get<std::string>() != model_name) {
    throw ApiError(404, "model", "model '" + model->get<std::string>() + "' is not served here (this server has '" +
                                     model_name + "')");
  }
}

double NumberIn(const nlohmann::json& body, const std::string& name, double fallback, double lo, double hi,
                bool lo_open) {
  const nlohmann::json* v = Field(body, name);
  if (v == nullptr) return fallback;
  if (!v->is_number()) throw BadField(name, "must be a number");
  const double x = v->get<double>();
  if (!(lo_open ? x > lo : x >= lo) || !(x <= hi)) {
    std::ostringstream range;
    range << "must be in " << (lo_open ? "(" : "[") << lo << ", " << hi << "]";
    throw BadField(name, range.str());
  }
  return x;
}

std::optional<long long> Integer(const nlohmann::json& body, const std::string& name, long long lo, long long hi) {
  const nlohmann::json* v = Field(body, name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) throw BadField(name, "must be an integer");
  const bool too_big = v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi);
  const long long x = too_big ? hi : v->get<long long>();
  if (too_big || x < lo || x > hi) throw BadField(name, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
  return x;
}

std::vector<std::string> StopStrings(const nlohmann::json& body) {
  const nlohmann::json* v = Field(body, "stop");
  if (v == nullptr) return {};
  std::vector<std::string> stop;
  if (v->is_string()) {
    stop.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    for (const auto& s : *v) {
      if (!s.is_string()) throw BadField("stop", "must be a string or an array of strings");
      stop.push_back(s.get<std::string>());
    }
  } else {
    throw BadField("stop", "must be a string or an array of strings");
  }
  if (stop.size() > 4) throw BadField("stop", "at most 4 stop strings");
  for (const auto& s : stop) {
    if (s.empty()) throw BadField("stop", "stop strings must be non-empty");
  }
  return stop;
}

SamplingFields ParseSampling(const nlohmann::json& body, bool chat) {
  const nlohmann::json* stream = Field(body, "stream");
  if (stream != nullptr && !(stream->is_boolean() && !stream->get<bool>())) {
    throw BadField("stream", "streaming is not supported");
  }
  SamplingFields s;
  s.n = static_cast<int>(Integer(body, "n", 1, 128).value_or(1));
  s.temperature = NumberIn(body, "temperature", 1.0, 0.0, 2.0, false);
  s.top_p = NumberIn(body, "top_p", 1.0, 0.0, 1.0, true);
  if (auto m = Integer(body, "max_tokens", 1, 1 << 20)) s.max_tokens = static_cast<int>(*m);
  if (chat && !s.max_tokens) {
    if (auto m = Integer(body, "max_completion_tokens", 1, 1 << 20)) s.max_tokens = static_cast<int>(*m);
  }
  s.stop = StopStrings(body);
  if (const nlohmann::json* seed = Field(body, "seed")) {  // any 64-bit value, as the engine's seeds
    if (!seed->is_number_integer() || (!seed->is_number_unsigned() && seed->get<long long>() < 0)) {
      throw BadField("seed", "must be a non-negative integer below 2^64");
    }
    s.seed = seed->get<uint64_t>();
  }
  const nlohmann::json* logprobs = Field(body, "logprobs");
  if (chat) {
    if (logprobs != nullptr && !logprobs->is_boolean()) throw BadField("logprobs", "must be true or false");
    s.logprobs = logprobs != nullptr && logprobs->get<bool>();
    if (Integer(body, "top_logprobs", 0, 20).value_or(0) > 0) {
      throw BadField("top_logprobs", "alternatives are not supported; only the sampled tokens' log-probabilities");
    }
  } else if (logprobs != nullptr) {
    if (!logprobs->is_number_integer() || logprobs->get<long long>() < 0 || logprobs->get<long long>() > 5) {
      throw BadField("logprobs", "must be an integer in 0..5");
    }
    if (logprobs->get<long long>() > 0) {
      throw BadField("logprobs", "only 0 is supported (the sampled tokens' log-probabilities, no alternatives)");
    }
    s.logprobs = true;
  }
  return s;
}

nlohmann::json UsageJson(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

}  // namespace

nlohmann::json ErrorBody(const ApiError& error) {
  nlohmann::json e = {{"message", error.what()},
                      {"type", error.status() == 404 ? "not_found_error"
                               : error.status() >= 500 ? "server_error" : "invalid_request_error"},
                      {"param", error.param().empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param())},
                      {"code", nullptr}};
  return {{"error", e}};
}

CompletionBody ParseCompletionBody(const nlohmann::json& body, const std::string& model_name) {
  if (!body.is_object()) throw BadField("", "the request body must be a JSON object");
  CheckModel(body, model_name);
  CompletionBody out;
  const nlohmann::json* prompt = Field(body, "prompt");
  if (prompt == nullptr) throw BadField("prompt", "required");
  if (prompt->is_string()) {
    out.prompts.push_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty() && prompt->size() <= 256) {
    for (const auto& p : *prompt) {
      if (!p.is_string()) {
        throw BadField("prompt", "must be a string or an array of strings (token arrays are not supported)");
      }
      out.prompts.push_back(p.get<std::string>());
    }
  } else {
    throw BadField("prompt", "must be a string or an array of 1..256 strings");
  }
  out.sampling = ParseSampling(body, false);
  return out;
}

ChatBody ParseChatBody(const nlohmann::json& body, const std::string& model_name) {
  if (!body.is_object()) throw BadField("", "the request body must be a JSON object");
  CheckModel(body, model_name);
  const nlohmann::json* messages = Field(body, "messages");
  if (messages == nullptr || !messages->is_array() || messages->empty()) {
    throw BadField("messages", "required: a non-empty array of {role, content}");
  }
  if (messages->size() != 1) {
    throw BadField("messages", "this server renders one user turn with the checkpoint's chat template; got " +
                                   std::to_string(messages->size()) + " messages");
  }
  const auto& m = messages->front();
  if (!m.is_object() || !m.contains("role") || m["role"] != "user") {
    throw BadField("messages[0].role", "must be \"user\"");
  }
  if (!m.contains("content") || !m["content"].is_string()) {
    throw BadField("messages[0].content", "must be a string");
  }
  ChatBody out;
  out.user = m["content"].get<std::string>();
  out.sampling = ParseSampling(body, true);
  return out;
}

nlohmann::json CompletionResponse(const std::string& id, const std::string& model, const std::vector<Choice>& choices,
                                  bool logprobs, const Usage& usage) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    nlohmann::json c = {{"index", i}, {"text", choices[i].text}, {"finish_reason", choices[i].finish_reason},
                        {"logprobs", nullptr}};
    if (logprobs) {
      std::vector<size_t> offsets;
      size_t at = 0;
      for (const auto& t : choices[i].tokens) {
        offsets.push_back(at);
        at += t.size();
      }
      c["logprobs"] = {{"tokens", choices[i].tokens}, {"token_logprobs", choices[i].token_logprobs},
                       {"top_logprobs", nullptr}, {"text_offset", offsets}};
    }
    list.push_back(std::move(c));
  }
  return {{"id", id}, {"object", "text_completion"}, {"created", static_cast<long long>(std::time(nullptr))},
          {"model", model}, {"choices", list}, {"usage", UsageJson(usage)}};
}

nlohmann::json ChatResponse(const std::string& id, const std::string& model, const std::vector<Choice>& choices,
                            bool logprobs, const Usage& usage) {
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    nlohmann::json c = {{"index", i},
                        {"message", {{"role", "assistant"}, {"content", choices[i].text}}},
                        {"finish_reason", choices[i].finish_reason},
                        {"logprobs", nullptr}};
    if (logprobs) {
      nlohmann::json content = nlohmann::json::array();
      for (size_t t = 0; t < choices[i].tokens.size(); ++t) {
        content.push_back({{"token", choices[i].tokens[t]}, {"logprob", choices[i].token_logprobs[t]},
                           {"bytes", nullptr}, {"top_logprobs", nlohmann::json::array()}});
      }
      c["logprobs"] = {{"content", content}};
    }
    list.push_back(std::move(c));
  }
  return {{"id", id}, {"object", "chat.completion"}, {"created", static_cast<long long>(std::time(nullptr))},
          {"model", model}, {"choices", list}, {"usage", UsageJson(usage)}};
}

nlohmann::json ModelsResponse(const std::string& model) {
  return {{"object", "list"},
          {"data", nlohmann::json::array(
                       {{{"id", model}, {"object", "model"}, {"created", 0}, {"owned_by", "harness"}}})}};
}

}  // namespace trainers::serve
