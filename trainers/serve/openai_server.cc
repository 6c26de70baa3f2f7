#include "trainers/serve/openai_server.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include <httplib.h>
#include <torch/torch.h>

#include "harness/util/error.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/generation/engine.h"
#include "trainers/serve/openai_protocol.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::serve {
namespace {

using Results = std::vector<GenerateResult>;

// Requests of one HTTP call, waiting for the generation thread.
struct Job {
  std::vector<GenerateRequest> requests;
  int sequences = 0;
  std::promise<Results> done;
};

// Collects jobs while a batch runs; Take() hands the generation thread everything queued, up to
// max_batch sequences (always at least one job).
class BatchQueue {
 public:
  explicit BatchQueue(int max_batch) : max_batch_(max_batch) {}

  std::future<Results> Submit(std::vector<GenerateRequest> requests) {
    auto job = std::make_shared<Job>();
    for (const auto& r : requests) job->sequences += r.n;
    job->requests = std::move(requests);
    std::future<Results> future = job->done.get_future();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) throw ApiError(503, "", "the server is shutting down");
      queue_.push_back(std::move(job));
    }
    ready_.notify_one();
    return future;
  }

  // Blocks until there is work; empty once closed and drained.
  std::vector<std::shared_ptr<Job>> Take() {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return closed_ || !queue_.empty(); });
    std::vector<std::shared_ptr<Job>> batch;
    int sequences = 0;
    while (!queue_.empty() && (batch.empty() || sequences + queue_.front()->sequences <= max_batch_)) {
      sequences += queue_.front()->sequences;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    if (!batch.empty()) ++batches_;
    requests_ += static_cast<long long>(batch.size());
    return batch;
  }

  // Batches handed out and HTTP requests they carried, for /health.
  nlohmann::json Stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {{"batches", batches_}, {"requests", requests_}};
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  const int max_batch_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Job>> queue_;
  bool closed_ = false;
  long long batches_ = 0, requests_ = 0;
};

// The generation thread: one Engine::Generate call per batch of queued jobs.
void GenerationLoop(BatchQueue* queue, Engine* engine, int threads) {
  SetTorchThreads(threads);  // OpenMP's thread count is per calling thread
  torch::NoGradGuard no_grad;
  engine->model()->eval();
  for (;;) {
    std::vector<std::shared_ptr<Job>> batch = queue->Take();
    if (batch.empty()) return;
    std::vector<GenerateRequest> all;
    for (const auto& job : batch) all.insert(all.end(), job->requests.begin(), job->requests.end());
    try {
      Results results = engine->Generate(all);
      size_t at = 0;
      for (const auto& job : batch) {
        Results mine(results.begin() + at, results.begin() + at + job->requests.size());
        at += job->requests.size();
        job->done.set_value(std::move(mine));
      }
    } catch (...) {
      for (const auto& job : batch) job->done.set_exception(std::current_exception());
    }
  }
}

// Turns parsed requests into engine requests and engine results into OpenAI replies.
class Service {
 public:
  Service(const ServeOptions& options, LlamaForCausalLM model, tokenizer::Tokenizer tok)
      : options_(options),
        tok_(std::move(tok)),
        max_positions_(model->config().max_position_embeddings),
        queue_(options.max_batch) {
    EngineOptions engine_options;
    engine_options.max_batch = options.max_batch;
    const tokenizer::Tokenizer* t = &tok_;
    engine_ = std::make_unique<Engine>(
        model, [t](const std::vector<int>& ids, bool skip) { return t->Decode(ids, skip); }, engine_options);
  }

  void StartGeneration(int threads) { generation_ = std::thread(GenerationLoop, &queue_, engine_.get(), threads); }
  void StopGeneration() {
    queue_.Close();
    if (generation_.joinable()) generation_.join();
  }

  nlohmann::json Health() {
    nlohmann::json health = queue_.Stats();
    health["status"] = "ok";
    return health;
  }

  nlohmann::json Complete(const nlohmann::json& body) {
    CompletionBody parsed = ParseCompletionBody(body, options_.model_name);
    const SamplingFields& s = parsed.sampling;
    std::vector<GenerateRequest> requests;
    for (const auto& prompt : parsed.prompts) {
      requests.push_back(MakeRequest(tok_.EncodePrompt(prompt, false), s, 16, "prompt"));
    }
    std::vector<Choice> choices;
    Usage usage;
    Run(std::move(requests), s.logprobs, &choices, &usage);
    return CompletionResponse("cmpl-" + std::to_string(++ids_), options_.model_name, choices, s.logprobs, usage);
  }

  nlohmann::json Chat(const nlohmann::json& body) {
    ChatBody parsed = ParseChatBody(body, options_.model_name);
    std::vector<int> prompt;
    try {
      prompt = tok_.EncodePrompt(parsed.user, true);
    } catch (const util::InputError& e) {
      throw ApiError(400, "messages", e.what());
    }
    std::vector<GenerateRequest> requests = {MakeRequest(std::move(prompt), parsed.sampling, 256, "messages")};
    std::vector<Choice> choices;
    Usage usage;
    Run(std::move(requests), parsed.sampling.logprobs, &choices, &usage);
    return ChatResponse("chatcmpl-" + std::to_string(++ids_), options_.model_name, choices, parsed.sampling.logprobs,
                        usage);
  }

 private:
  GenerateRequest MakeRequest(std::vector<int> prompt, const SamplingFields& s, int default_max_tokens,
                              const std::string& prompt_field) {
    const int room = max_positions_ - 8;
    if (s.max_tokens && *s.max_tokens > room) {
      throw ApiError(400, "max_tokens", "at most " + std::to_string(room) + " for this model's context of " +
                                            std::to_string(max_positions_) + " tokens");
    }
    GenerateRequest r;
    r.max_new_tokens = s.max_tokens.value_or(std::min(default_max_tokens, room));
    // As `harness eval`: keep the most recent context when the prompt and max_tokens do not fit.
    const int budget = max_positions_ - r.max_new_tokens;
    if (static_cast<int>(prompt.size()) > budget) prompt.erase(prompt.begin(), prompt.end() - budget);
    if (prompt.empty()) throw ApiError(400, prompt_field, "the prompt encodes to no tokens");
    r.prompt = std::move(prompt);
    r.n = s.n;
    r.sampling.temperature = s.temperature;
    r.sampling.top_p = s.top_p;
    r.seed = s.seed ? *s.seed : next_seed_++;  // unseeded requests: distinct streams
    if (tok_.eos_id() >= 0) r.stop_token_ids.push_back(tok_.eos_id());
    r.stop_strings = s.stop;
    return r;
  }

  void Run(std::vector<GenerateRequest> requests, bool logprobs, std::vector<Choice>* choices, Usage* usage) {
    for (const auto& r : requests) usage->prompt_tokens += static_cast<long long>(r.prompt.size());
    std::vector<GenerateRequest> copy = requests;
    Results results = queue_.Submit(std::move(copy)).get();
    for (size_t i = 0; i < results.size(); ++i) {
      for (const Completion& c : results[i].completions) {
        choices->push_back(ToChoice(c, requests[i], logprobs));
        for (uint8_t g : c.generated) usage->completion_tokens += g;
      }
    }
  }

  Choice ToChoice(const Completion& c, const GenerateRequest& request, bool logprobs) const {
    Choice choice;
    choice.text = c.text;
    choice.finish_reason = c.finish_reason;
    if (!logprobs) return choice;
    size_t count = c.token_ids.size();
    const bool ended_by_token = c.finish_reason == "stop" && count > 0 &&
                                std::count(request.stop_token_ids.begin(), request.stop_token_ids.end(),
                                           c.token_ids.back()) > 0;
    if (ended_by_token) --count;  // the end-of-text token is not part of the answer
    for (size_t t = 0; t < count; ++t) {
      choice.tokens.push_back(tok_.Decode({c.token_ids[t]}, false));
      choice.token_logprobs.push_back(c.logprobs[t]);
    }
    return choice;
  }

  ServeOptions options_;
  tokenizer::Tokenizer tok_;
  int max_positions_;
  BatchQueue queue_;
  std::unique_ptr<Engine> engine_;
  std::thread generation_;
  std::atomic<long long> ids_{0};
  std::atomic<uint64_t> next_seed_{std::random_device{}()};
};

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // A sampled completion may end inside a multi-byte character: invalid UTF-8 becomes U+FFFD.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "application/json");
}

// POST handler: JSON in, JSON out, errors as OpenAI error objects.
httplib::Server::Handler JsonRoute(std::function<nlohmann::json(const nlohmann::json&)> route) {
  return [route](const httplib::Request& req, httplib::Response& res) {
    try {
      nlohmann::json body;
      try {
        body = nlohmann::json::parse(req.body);
      } catch (const nlohmann::json::exception&) {
        throw ApiError(400, "", "the request body is not JSON");
      }
      Reply(res, 200, route(body));
    } catch (const ApiError& e) {
      Reply(res, e.status(), ErrorBody(e));
    } catch (const util::InputError& e) {
      Reply(res, 400, ErrorBody(ApiError(400, e.where().field, e.what())));
    } catch (const std::exception& e) {
      Reply(res, 500, ErrorBody(ApiError(500, "", e.what())));
    }
  };
}

}  // namespace

std::string DefaultModelName(const std::string& checkpoint) {
  std::filesystem::path p(checkpoint);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "dir/" -> "dir"
  std::string name = p.filename().string();
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ".gguf") == 0) name.resize(name.size() - 5);
  return name;
}

void ValidateServeOptions(const ServeOptions& options) {
  auto bad = [](const std::string& flag, const std::string& message) {
    return util::InputError(util::Location{"", 0, flag}, message);
  };
  if (options.checkpoint.empty()) throw bad("--checkpoint", "required");
  if (!std::filesystem::exists(options.checkpoint)) {
    throw bad("--checkpoint", "no such file or directory: " + options.checkpoint);
  }
  if (options.host.empty()) throw bad("--host", "must not be empty");
  if (options.port < 0 || options.port > 65535) throw bad("--port", "must be in 0..65535 (0 = any free port)");
  if (options.max_batch < 1 || options.max_batch > 1024) throw bad("--max-batch", "must be in 1..1024");
  if (options.runtime.threads < 0) throw bad("--threads", "must be >= 0");
  if (options.model_name.empty() && DefaultModelName(options.checkpoint).empty()) {
    throw bad("--model-name", "give a name (the checkpoint path has none)");
  }
}

int RunServer(const ServeOptions& given) {
  ValidateServeOptions(given);
  ServeOptions options = given;
  if (options.model_name.empty()) options.model_name = DefaultModelName(options.checkpoint);

  // SIGINT/SIGTERM go to one waiting thread (every thread started from here inherits the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  options.runtime.threads = SetTorchThreads(options.runtime.threads);
  LlamaForCausalLM model = LoadCheckpoint(options.checkpoint, options.runtime);
  Service service(options, model, LoadCheckpointTokenizer(options.checkpoint));

  httplib::Server server;
  const int http_threads = std::min(256, std::max(8, options.max_batch + 4));
  server.new_task_queue = [http_threads] { return new httplib::ThreadPool(http_threads); };
  server.Get("/health", [&service](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, service.Health());
  });
  server.Get("/v1/models", [&options](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, ModelsResponse(options.model_name));
  });
  server.Post("/v1/completions", JsonRoute([&service](const nlohmann::json& b) { return service.Complete(b); }));
  server.Post("/v1/chat/completions", JsonRoute([&service](const nlohmann::json& b) { return service.Chat(b); }));

  const int port = options.port == 0 ? server.bind_to_any_port(options.host)
                                     : (server.bind_to_port(options.host, options.port) ? options.port : -1);
  if (port <= 0) throw std::runtime_error("cannot listen on " + options.host + ":" + std::to_string(options.port));

  std::thread([&server, stop_signals] {
    int signal = 0;
    sigwait(&stop_signals, &signal);
    server.stop();
  }).detach();
  service.StartGeneration(options.runtime.threads);
  std::printf("serving %s at http://%s:%d (max batch %d)\n", options.model_name.c_str(), options.host.c_str(), port,
              options.max_batch);
  std::fflush(stdout);
  server.listen_after_bind();
  service.StopGeneration();
  std::printf("stopped\n");
  return 0;
}

}  // namespace trainers::serve
