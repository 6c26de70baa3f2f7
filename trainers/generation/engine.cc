// Generation loop: prefill distinct prompts, fan out to samples, decode with stops and hooks.
#include "trainers/generation/engine.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "trainers/model/cpu_decoder.h"

namespace trainers {
namespace {

// Feeds per-row token chunks to the model and returns next-token logits [B, V] at each row's last
// token. Rows can be dropped/replicated with Select.
class StepRunner {
 public:
  virtual ~StepRunner() = default;
  virtual at::Tensor Step(const std::vector<std::vector<int>>& chunks) = 0;
  virtual void Select(const std::vector<int64_t>& rows) = 0;
  // A copy of one row's state (a sequence leaving the batch to wait on a tool call), and its return
  // as the last row.
  struct Parked {
    KvCache cache;
    std::vector<int> history;
  };
  virtual Parked Park(int64_t row) const = 0;
  // Appends the parked rows, in order, after the current rows (one copy of the cache for all of them).
  virtual void Unpark(const std::vector<const Parked*>& parked) = 0;
};

at::Tensor ToTensor(const std::vector<std::vector<int>>& rows, int64_t width, bool left_pad,
                    at::Tensor* mask, const c10::Device& device) {
  const int64_t B = static_cast<int64_t>(rows.size());
  auto ids = at::zeros({B, width}, at::TensorOptions().dtype(at::kLong));
  auto m = at::zeros({B, width}, at::TensorOptions().dtype(at::kLong));
  auto acc = ids.accessor<int64_t, 2>();
  auto macc = m.accessor<int64_t, 2>();
  for (int64_t b = 0; b < B; ++b) {
    const int64_t n = static_cast<int64_t>(rows[b].size());
    const int64_t offset = left_pad ? width - n : 0;
    for (int64_t t = 0; t < n; ++t) {
      acc[b][offset + t] = rows[b][t];
      macc[b][offset + t] = 1;
    }
  }
  if (mask != nullptr) *mask = m.to(device);
  return ids.to(device);
}

class CachedRunner : public StepRunner {
 public:
  CachedRunner(LlamaForCausalLM& model, int64_t batch, int64_t capacity, bool cpu_kernels)
      : model_(model), cache_(KvCache::Allocate(model->config(), batch, capacity, model->options())) {
    if (cpu_kernels && CpuDecoder::Supports(*model)) decoder_ = std::make_unique<CpuDecoder>(*model);
  }

  at::Tensor Step(const std::vector<std::vector<int>>& chunks) override {
    const int64_t B = static_cast<int64_t>(chunks.size());
    if (decoder_ && std::all_of(chunks.begin(), chunks.end(), [](const auto& c) { return c.size() == 1; })) {
      std::vector<int> ids;
      ids.reserve(B);
      for (const auto& c : chunks) ids.push_back(c[0]);
      return decoder_->Step(ids, &cache_);
    }
    int64_t width = 0;
    std::vector<int64_t> num_new(B);
    for (int64_t b = 0; b < B; ++b) {
      num_new[b] = static_cast<int64_t>(chunks[b].size());
      width = std::max(width, num_new[b]);
    }
    const auto device = model_->options().device();
    auto ids = ToTensor(chunks, width, /*left_pad=*/false, nullptr, device);
    auto hidden = model_->ForwardCached(ids, num_new, &cache_);  // [B, T, H]
    at::Tensor last;
    if (width == 1) {
      last = hidden.select(1, 0);
    } else {
      std::vector<int64_t> pos(num_new);
      for (auto& p : pos) p -= 1;
      auto index = at::tensor(pos, at::TensorOptions().dtype(at::kLong)).to(device);
      last = hidden.index({at::arange(B, index.options()), index});
    }
    return model_->Logits(last);
  }

  void Select(const std::vector<int64_t>& rows) override { cache_.SelectRows(rows); }
  Parked Park(int64_t row) const override { return {cache_.ExtractRows({row}), {}}; }
  void Unpark(const std::vector<const Parked*>& parked) override {
    if (parked.empty()) return;
    KvCache rows = parked.front()->cache;  // one row each: gathering them first is cheap
    for (size_t i = 1; i < parked.size(); ++i) rows.AppendRows(parked[i]->cache);
    cache_.AppendRows(rows);
  }

 private:
  LlamaForCausalLM& model_;
  KvCache cache_;
  std::unique_ptr<CpuDecoder> decoder_;  // one-token decode steps on the CPU (fp32)
};

// Recomputes every sequence from scratch each step (left-padded, attention mask): the reference
// the cached path is tested against.
class UncachedRunner : public StepRunner {
 public:
  explicit UncachedRunner(LlamaForCausalLM& model) : model_(model) {}

  at::Tensor Step(const std::vector<std::vector<int>>& chunks) override {
    if (!started_) history_.resize(chunks.size());
    started_ = true;
    int64_t width = 0;
    for (size_t b = 0; b < chunks.size(); ++b) {
      history_[b].insert(history_[b].end(), chunks[b].begin(), chunks[b].end());
      width = std::max<int64_t>(width, static_cast<int64_t>(history_[b].size()));
    }
    at::Tensor mask;
    auto ids = ToTensor(history_, width, /*left_pad=*/true, &mask, model_->options().device());
    auto hidden = model_->Hidden(ids, mask);
    return model_->Logits(hidden.select(1, width - 1));
  }

  void Select(const std::vector<int64_t>& rows) override {
    std::vector<std::vector<int>> kept;
    for (int64_t r : rows) kept.push_back(history_[r]);
    history_ = std::move(kept);
  }
  Parked Park(int64_t row) const override { return {KvCache{}, history_.at(row)}; }
  void Unpark(const std::vector<const Parked*>& parked) override {
    for (const Parked* p : parked) history_.push_back(p->history);
  }

 private:
  LlamaForCausalLM& model_;
  std::vector<std::vector<int>> history_;
  bool started_ = false;
};

struct Sequence {
  int request = 0, sample = 0;
  util::SplitMix64 rng{0};
  Completion completion;
  int generated = 0;          // model-sampled tokens so far
  int64_t length = 0;         // prompt + completion tokens
  size_t scan_from = 0;       // stop strings are only searched in tokens from here on
  std::vector<int> pending;   // tokens to push through the model next step
  // While waiting on a deferred hook reply: the reply and the row's saved state.
  HookReply waiting;
  StepRunner::Parked parked;
};

// Checks every request; returns the longest stop string (how far back stop strings are searched).
size_t ValidateRequests(const std::vector<GenerateRequest>& requests, const ModelConfig& config, bool can_decode) {
  size_t max_stop_len = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    const util::Location where{"", 0, "requests[" + std::to_string(i) + "]"};
    if (r.prompt.empty()) throw util::InputError(where, "empty prompt");
    if (r.n < 1) throw util::InputError(where, "n must be >= 1");
    if (r.max_new_tokens < 0) throw util::InputError(where, "max_new_tokens must be >= 0");
    if (static_cast<int64_t>(r.prompt.size()) >= config.max_position_embeddings) {
      throw util::InputError(where, "prompt of " + std::to_string(r.prompt.size()) +
                                        " tokens does not fit max_position_embeddings " +
                                        std::to_string(config.max_position_embeddings));
    }
    for (int id : r.prompt) {
      if (id < 0 || id >= config.vocab_size) {
        throw util::InputError(where, "prompt token id " + std::to_string(id) + " outside the vocabulary");
      }
    }
    if (!r.stop_strings.empty() && !can_decode) {
      throw util::InputError(where, "stop strings need an engine with a decode function");
    }
    for (const auto& stop : r.stop_strings) max_stop_len = std::max(max_stop_len, stop.size());
  }
  return max_stop_len;
}

// Whether the token just appended to the sequence completes a stop token or a stop string; fills the
// event's stop fields and the completion's matched_stop.
bool DetectStop(const GenerateRequest& req, Sequence& s, int tok, size_t max_stop_len, const DecodeFn& decode,
                StopEvent* event) {
  Completion& c = s.completion;
  if (std::find(req.stop_token_ids.begin(), req.stop_token_ids.end(), tok) != req.stop_token_ids.end()) {
    event->stop_token_id = tok;
    c.matched_stop = decode ? decode({tok}, false) : std::string();
    return true;
  }
  if (req.stop_strings.empty()) return false;
  // Only text that this token completed can hold a new match: compare the window with and without it.
  const size_t n = c.token_ids.size();
  const size_t from = std::max(s.scan_from, n > max_stop_len ? n - max_stop_len : size_t{0});
  std::vector<int> window(c.token_ids.begin() + from, c.token_ids.end());
  const std::string text = decode(window, false);
  window.pop_back();
  const std::string before = decode(window, false);
  for (const auto& stop : req.stop_strings) {
    if (stop.empty()) continue;
    const size_t start = before.size() >= stop.size() ? before.size() - stop.size() + 1 : 0;
    if (text.find(stop, start) != std::string::npos) {
      event->matched_stop = stop;
      c.matched_stop = stop;
      return true;
    }
  }
  return false;
}

// The hook's tokens for a stopped sequence, checked against the vocabulary; nullopt = finish it.
void CheckHookTokens(const std::vector<int>& ids, const ModelConfig& config) {
  for (int id : ids) {
    if (id < 0 || id >= config.vocab_size) {
      throw util::InputError(util::Location{"", 0, "hook"},
                             "appended token id " + std::to_string(id) + " outside the vocabulary");
    }
  }
}

std::optional<HookReply> AskHook(const StopHook& hook, StopEvent event, const Sequence& s,
                                 const GenerateRequest& req, const ModelConfig& config) {
  event.request = s.request;
  event.sample = s.sample;
  event.prompt = &req.prompt;
  event.completion = &s.completion;
  std::optional<HookReply> reply = hook(event);
  if (!reply) return reply;
  CheckHookTokens(reply->append, config);
  const bool deferred = reply->ready.valid();
  if (reply->drop_stop && event.stop_token_id < 0) {
    throw util::InputError(util::Location{"", 0, "hook"}, "drop_stop applies to a stop token, not a stop string");
  }
  if (reply->drop_stop && reply->append.empty() && !deferred) {
    throw util::InputError(util::Location{"", 0, "hook"}, "a reply that drops the stop token must append tokens");
  }
  if (deferred && !reply->resume) {
    throw util::InputError(util::Location{"", 0, "hook"}, "a deferred reply needs a resume function");
  }
  return reply;
}

// Removes the stop token just sampled (a hook replaces it); it is not in the cache yet.
void DropStopToken(Sequence& s) {
  Completion& c = s.completion;
  c.token_ids.pop_back();
  c.logprobs.pop_back();
  c.generated.pop_back();
  s.length -= 1;
  s.pending.clear();
}

// Appends hook tokens; they go through the model on the next step with whatever is pending (the stop token).
void AppendHookTokens(Sequence& s, const std::vector<int>& append) {
  Completion& c = s.completion;
  s.pending.insert(s.pending.end(), append.begin(), append.end());
  for (int id : append) {
    c.token_ids.push_back(id);
    c.logprobs.push_back(0.0f);
    c.generated.push_back(0);
  }
  s.length += static_cast<int64_t>(append.size());
  s.scan_from = c.token_ids.size();
  c.matched_stop.clear();
}

// Completion texts: decoded with special tokens skipped, cut before a matched stop string.
void DecodeTexts(const std::vector<GenerateRequest>& requests, const DecodeFn& decode,
                 std::vector<GenerateResult>* results) {
  for (size_t i = 0; i < requests.size(); ++i) {
    for (auto& c : (*results)[i].completions) {
      c.text = decode(c.token_ids, /*skip_special=*/true);
      const bool by_string = c.finish_reason == "stop" && !c.matched_stop.empty() &&
                             std::find(requests[i].stop_strings.begin(), requests[i].stop_strings.end(),
                                       c.matched_stop) != requests[i].stop_strings.end();
      if (by_string) {
        const size_t pos = c.text.rfind(c.matched_stop);
        if (pos != std::string::npos) c.text.resize(pos);
      }
    }
  }
}

// Keeps only the given rows of the runner's cache and of the logits.
void KeepRows(StepRunner& runner, at::Tensor& logits, const std::vector<int64_t>& rows) {
  runner.Select(rows);
  logits = logits.index_select(0, at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(logits.device()));
}

}  // namespace

Engine::Engine(LlamaForCausalLM model, DecodeFn decode, EngineOptions options)
    : model_(std::move(model)), decode_(std::move(decode)), options_(options) {}

std::vector<GenerateResult> Engine::Generate(const std::vector<GenerateRequest>& requests,
                                             const StopHook& hook) {
  const size_t max_stop_len = ValidateRequests(requests, model_->config(), static_cast<bool>(decode_));
  c10::InferenceMode inference_guard;
  model_->eval();
  std::vector<GenerateResult> results(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) results[i].completions.resize(requests[i].n);

  // Waves of whole requests with at most max_batch sequences (a larger single request runs alone).
  size_t begin = 0;
  while (begin < requests.size()) {
    size_t end = begin;
    int64_t seqs = 0;
    while (end < requests.size() && (end == begin || seqs + requests[end].n <= options_.max_batch)) {
      seqs += requests[end].n;
      ++end;
    }
    GenerateWave(requests, begin, end, hook, max_stop_len, &results);
    begin = end;
  }
  if (decode_) DecodeTexts(requests, decode_, &results);
  return results;
}

void Engine::GenerateWave(const std::vector<GenerateRequest>& requests, size_t begin, size_t end,
                          const StopHook& hook, size_t max_stop_len, std::vector<GenerateResult>* results) {
  const ModelConfig& config = model_->config();
  const auto prefill_start = std::chrono::steady_clock::now();
  // 1. Prefill each distinct prompt once.
  std::vector<std::vector<int>> prompts;
  int64_t capacity = 1;
  for (size_t i = begin; i < end; ++i) {
    prompts.push_back(requests[i].prompt);
    capacity = std::max<int64_t>(capacity, requests[i].prompt.size() + requests[i].max_new_tokens + 1);
  }
  capacity = std::min<int64_t>(capacity, config.max_position_embeddings);
  std::unique_ptr<StepRunner> runner;
  if (options_.use_kv_cache) {
    runner = std::make_unique<CachedRunner>(model_, static_cast<int64_t>(prompts.size()), capacity,
                                            options_.cpu_decode_kernels);
  } else {
    runner = std::make_unique<UncachedRunner>(model_);
  }
  at::Tensor logits = runner->Step(prompts);
  prefill_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - prefill_start).count();

  // 2. Fan out to samples; sequences asked for zero tokens finish before sampling.
  auto finish = [&](Sequence& s, const char* reason) {
    s.completion.finish_reason = reason;
    (*results)[s.request].completions[s.sample] = std::move(s.completion);
  };
  std::vector<Sequence> live;
  std::vector<int64_t> fanout;
  for (size_t i = begin; i < end; ++i) {
    for (int k = 0; k < requests[i].n; ++k) {
      Sequence s;
      s.request = static_cast<int>(i);
      s.sample = k;
      s.rng = util::SplitMix64(util::Fnv1a64("sample" + std::to_string(k), requests[i].seed));
      s.length = static_cast<int64_t>(requests[i].prompt.size());
      if (requests[i].max_new_tokens == 0) {
        finish(s, "length");
        continue;
      }
      live.push_back(std::move(s));
      fanout.push_back(static_cast<int64_t>(i - begin));
    }
  }
  if (live.empty()) return;
  bool identity = fanout.size() == prompts.size();
  for (size_t r = 0; identity && r < fanout.size(); ++r) identity = fanout[r] == static_cast<int64_t>(r);
  if (!identity) KeepRows(*runner, logits, fanout);

  // 3. Decode until every sequence has finished: sample, detect stops (a hook may append and continue,
  //    or park the sequence while its tool call runs), drop finished and parked rows, let ready parked
  //    sequences rejoin, push the next tokens through the model.
  std::vector<Sequence> parked;
  while (!live.empty()) {
    const size_t B = live.size();
    std::vector<SamplingParams> params(B);
    std::vector<double> uniforms(B, 0.0);
    for (size_t b = 0; b < B; ++b) {
      params[b] = requests[live[b].request].sampling;
      if (params[b].temperature > 0) uniforms[b] = live[b].rng.Uniform();
    }
    SampledTokens sampled = SampleTokens(logits, params, uniforms);
    auto tokens = sampled.tokens.to(at::kCPU);
    auto logprobs = sampled.logprobs.to(at::kCPU);
    auto tok_acc = tokens.accessor<int64_t, 1>();
    auto lp_acc = logprobs.accessor<float, 1>();

    std::vector<int64_t> keep;
    std::vector<Sequence> next;
    for (size_t b = 0; b < B; ++b) {
      Sequence& s = live[b];
      const GenerateRequest& req = requests[s.request];
      const int tok = static_cast<int>(tok_acc[b]);
      s.completion.token_ids.push_back(tok);
      s.completion.logprobs.push_back(lp_acc[b]);
      s.completion.generated.push_back(1);
      ++s.generated;
      ++s.length;
      s.pending.assign(1, tok);
      StopEvent event;
      bool stopped = DetectStop(req, s, tok, max_stop_len, decode_, &event);
      if (stopped && hook) {
        if (std::optional<HookReply> reply = AskHook(hook, event, s, req, config)) {
          if (static_cast<int64_t>(reply->append.size()) >= config.max_position_embeddings - s.length) {
            finish(s, "length");  // the appended text does not fit the context
            continue;
          }
          if (reply->drop_stop) DropStopToken(s);
          AppendHookTokens(s, reply->append);
          if (s.generated >= req.max_new_tokens) {
            finish(s, "length");
            continue;
          }
          if (reply->ready.valid()) {  // wait outside the batch; the stop token is not in the cache yet
            s.parked = runner->Park(static_cast<int64_t>(b));
            s.waiting = std::move(*reply);
            parked.push_back(std::move(s));
            continue;
          }
          keep.push_back(static_cast<int64_t>(b));
          next.push_back(std::move(s));
          continue;
        }
      }
      if (stopped) {
        finish(s, "stop");
      } else if (s.generated >= req.max_new_tokens || s.length >= config.max_position_embeddings) {
        finish(s, "length");
      } else {
        keep.push_back(static_cast<int64_t>(b));
        next.push_back(std::move(s));
      }
    }
    if (next.size() != B) runner->Select(keep);
    // Parked sequences whose replies are ready rejoin as the last rows, in the order they left; when
    // nothing else is decoding, wait for the oldest.
    std::vector<Sequence> rejoining;
    for (size_t p = 0; p < parked.size();) {
      Sequence& s = parked[p];
      const bool must_wait = next.empty() && rejoining.empty() && p == 0;
      if (!must_wait && s.waiting.ready.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        ++p;
        continue;
      }
      if (must_wait) {
        const auto wait_start = std::chrono::steady_clock::now();
        s.waiting.ready.wait();
        hook_wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_start).count();
      }
      std::vector<int> resumed = s.waiting.resume();
      CheckHookTokens(resumed, config);
      s.waiting = HookReply{};
      if (static_cast<int64_t>(resumed.size()) >= config.max_position_embeddings - s.length ||
          (s.pending.empty() && resumed.empty())) {
        finish(s, "length");
      } else {
        AppendHookTokens(s, resumed);
        rejoining.push_back(std::move(s));
      }
      parked.erase(parked.begin() + static_cast<std::ptrdiff_t>(p));
    }
    if (!rejoining.empty()) {
      std::vector<const StepRunner::Parked*> rows;
      for (const auto& s : rejoining) rows.push_back(&s.parked);
      runner->Unpark(rows);
      for (auto& s : rejoining) {
        s.parked = StepRunner::Parked{};
        next.push_back(std::move(s));
      }
    }
    if (next.empty()) break;
    live = std::move(next);
    std::vector<std::vector<int>> chunks;
    chunks.reserve(live.size());
    for (auto& s : live) chunks.push_back(std::move(s.pending));
    logits = runner->Step(chunks);
  }
}

}  // namespace trainers
