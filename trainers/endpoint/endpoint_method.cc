// endpoint: a model served by an OpenAI-compatible server (vLLM, llama.cpp, SGLang, `harness serve`),
// evaluated by `harness run` beside the run's own methods. It trains nothing and the runner loads no model
// for it: each evaluation step sends the task's rendered prompts (with the per-problem seeds a local
// evaluation uses) through harness/remote and scores the answers with the local evaluation's scoring. The
// answers are cached in the evaluation step's directory, so an interrupted run resumes without asking the
// server again for what it already answered.
//
// The evaluations' key holds what is evaluated (the served model's name and the route, chat or plain) but
// not where it is served (url) nor how it is reached (concurrency, retries, backoff, timeout): those change
// no answer, and a server restarted on another port (or another machine serving the same model) keeps the
// finished evaluations and the cache. A different model behind the same name needs another name
// (`serve --model-name`) or a fresh output directory.
#include <cstdio>

#include "harness/remote/openai_client.h"
#include "harness/remote/remote_generate.h"
#include "harness/util/config_fields.h"
#include "harness/util/error.h"
#include "trainers/eval/evaluate_endpoint.h"
#include "trainers/methods/method.h"

namespace trainers {
namespace {

// The config keys of remote::EndpointOptions, and the `harness eval` flags its validation names.
const std::pair<const char*, const char*> kFlagToField[] = {
    {"--endpoint", "url"},     {"--model", "model"},     {"--concurrency", "concurrency"},
    {"--retries", "retries"},  {"--backoff", "backoff"}, {"--request-timeout", "request_timeout"}};

const util::Fields<remote::EndpointOptions>& EndpointFields() {
  using E = remote::EndpointOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<E>();
    f->Add("url", &E::url, "the server, http(s)://host[:port][/prefix] (\"/v1\" is appended unless it ends in it)",
           util::NonEmpty())
        .Add("model", &E::model, "the served model's name (the requests' \"model\"; results rows name it)",
             util::NonEmpty())
        .Add("chat", &E::chat,
             "send each rendered prompt as one user message to /v1/chat/completions (the server applies its chat "
             "template) instead of /v1/completions")
        .Add("concurrency", &E::concurrency, "requests in flight")
        .Add("retries", &E::retries, "retries of a request after a connection error, timeout, 408, 429 or 5xx")
        .Add("backoff", &E::backoff_seconds, "seconds before the first retry (doubling after)")
        .Add("request_timeout", &E::timeout_seconds, "seconds to wait for a connection or the server's next bytes");
    // The ranges are the client's own (the same checks as `harness eval --endpoint`), reported by config key.
    f->Rule([](const E& e) {
      try {
        remote::ValidateEndpointOptions(e);
      } catch (const util::InputError& error) {
        for (const auto& [flag, field] : kFlagToField) {
          if (error.where().field == flag) return util::RuleFailure{field, error.detail()};
        }
        return util::RuleFailure{"url", error.detail()};
      }
      return util::Ok();
    });
    return f;
  }();
  return *fields;
}

class EndpointMethod : public Method {
 public:
  std::string name() const override { return "endpoint"; }
  std::string paper() const override { return ""; }
  std::string summary() const override {
    return "a model served by an OpenAI-compatible server (endpoint.url, endpoint.model), evaluated like the "
           "run's own models; trains nothing";
  }
  std::string starts_from() const override { return ""; }
  std::string options_section() const override { return "endpoint"; }
  nlohmann::json DescribeOptions() const override { return EndpointFields().Describe(); }
  nlohmann::json ResolveOptions(const nlohmann::json& section, const std::string& source) const override {
    return ResolveFieldOptions(EndpointFields(), section, source, "endpoint");
  }
  bool HasCheckpoint() const override { return false; }
  // What is evaluated: the served model's name and the route. (url and the transport options change no
  // answer; see the top of this file.)
  nlohmann::json TrainingOptions(const nlohmann::json& options) const override {
    return {{"model", options.at("model")}, {"chat", options.at("chat")}};
  }
  TrainOutput Train(const TrainRequest&) const override {
    throw util::InputError(util::Location{"", 0, "methods"},
                           "endpoint trains nothing: evaluate a served model with `harness run` (methods "
                           "[\"endpoint\"] and an \"endpoint\" section) or `harness eval --endpoint URL --model NAME`");
  }
  EvalSpec Evaluation(const nlohmann::json& options) const override {
    const remote::EndpointOptions endpoint = EndpointFields().Read(options, "endpoint options");
    EvalSpec spec;
    spec.model = endpoint.model;
    spec.evaluate = [endpoint](const tasks::Task& task, const std::vector<tasks::Record>& records,
                               const EvalOptions& eval_options, const std::string& step_dir) {
      const std::string cache = step_dir + "/remote_cache.jsonl";
      remote::GenerateStats stats;
      EvalOutput out = EvaluateEndpoint(endpoint, task, records, eval_options, cache, &stats);
      std::fprintf(stderr, "[run] endpoint %s: %d requests sent, %d answered from the cache %s\n",
                   endpoint.model.c_str(), stats.requests_sent, stats.cache_hits, cache.c_str());
      out.generation_stats = {{"requests_sent", stats.requests_sent}, {"cache_hits", stats.cache_hits},
                              {"prompt_tokens", stats.prompt_tokens}};
      return out;
    };
    return spec;
  }
};

}  // namespace

std::vector<const Method*> EndpointMethods() {
  static const EndpointMethod method;
  return {&method};
}

}  // namespace trainers
