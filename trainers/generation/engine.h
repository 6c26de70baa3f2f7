// Batched text generation on a LlamaForCausalLM with a preallocated KV cache.
//
//   Engine engine(model, decode_fn);             // decode_fn: ids -> text, needed for stop strings
//   GenerateRequest req;
//   req.prompt = tokenizer.Encode("Q: 2+2?\nA:");
//   req.n = 4; req.max_new_tokens = 64; req.sampling = {0.7, 0, 0.95}; req.seed = 1;
//   req.stop_token_ids = {tokenizer.eos_id()};  req.stop_strings = {"\n\n"};
//   std::vector<GenerateResult> out = engine.Generate({req});
//   out[0].completions[k].token_ids / logprobs / finish_reason / text
//
// How it runs: every distinct prompt is prefilled once (ragged prompts share one forward, each at its
// own positions; no padding enters the cache), the cache rows are fanned out to the n samples, then
// all live sequences decode one token per step. Finished sequences are dropped from the batch.
//
// Determinism: sample k of a request draws its random numbers from its own stream, seeded by
// (request.seed, k), one uniform per generated token, so its tokens do not depend on which other
// requests share the batch (up to floating-point differences of batched matrix products).
//
// Hooks (tool calls, hints): when a sequence hits a stop token or stop string and a StopHook is
// given, the hook sees the sequence so far and may reply with tokens to append; they are pushed through
// the model on the next step together with the just-sampled token (only the new tokens are
// computed; the prefix stays in the cache) and decoding continues. Appended tokens appear in
// token_ids with generated = 0 and logprob 0, and do not count against max_new_tokens. A reply may
// drop the stop token it answers (a hint in place of end-of-sequence), and may be deferred (a tool
// call running in the sandbox): the sequence then leaves the batch with a copy of its cache rows while
// the others keep decoding, and rejoins with the reply's tokens once they are ready.
#pragma once

#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "trainers/generation/sampling.h"
#include "trainers/model/llama.h"

namespace trainers {

struct GenerateRequest {
  std::vector<int> prompt;               // token ids, non-empty
  int n = 1;                             // samples for this prompt
  int max_new_tokens = 256;              // model-generated tokens per sample
  SamplingParams sampling;               // temperature 0 = greedy
  uint64_t seed = 0;
  std::vector<int> stop_token_ids;       // e.g. eos; the stop token is kept in token_ids
  std::vector<std::string> stop_strings; // matched on decoded text; text is cut before the match
};

struct Completion {
  std::vector<int> token_ids;            // generated tokens and hook-appended tokens, in order
  std::vector<float> logprobs;           // one per token (0 for appended tokens), see SampledTokens
  std::vector<uint8_t> generated;        // 1 = sampled by the model, 0 = appended by a hook
  std::string finish_reason;             // "stop" (stop token or string) or "length"
  std::string matched_stop;              // the stop string or token text that ended it, if any
  std::string text;                      // decoded completion (specials skipped), cut at a stop string;
                                         // empty when the engine has no decode function
};

struct GenerateResult {
  std::vector<Completion> completions;   // request.n entries, in sample order
};

// A sequence just stopped; return tokens to append and continue, or nullopt to finish it.
struct StopEvent {
  int request = 0;                       // index into the requests vector
  int sample = 0;                        // 0..n-1
  const std::vector<int>* prompt = nullptr;
  const Completion* completion = nullptr;  // so far, including the stop token
  std::string matched_stop;              // stop string, or "" when a stop token id matched
  int stop_token_id = -1;                // the stop token id, or -1 when a stop string matched
};
// What a hook answers for a stopped sequence that should continue.
struct HookReply {
  std::vector<int> append;   // tokens to push after the stop (for a deferred reply: before resume's)
  // Remove the stop token just sampled (only for a stop token, not a stop string): `append` takes its
  // place, e.g. a hint instead of end-of-sequence. The reply must then append something.
  bool drop_stop = false;
  // Deferred: when `ready` is valid, the sequence leaves the batch until it is ready, then `resume`
  // (called on the engine's thread) gives the tokens appended after `append`.
  std::shared_future<void> ready;
  std::function<std::vector<int>()> resume;
};
// nullopt = finish the sequence.
using StopHook = std::function<std::optional<HookReply>(const StopEvent&)>;

// ids -> text; skip_special drops special tokens (used for Completion::text).
using DecodeFn = std::function<std::string(const std::vector<int>&, bool skip_special)>;

struct EngineOptions {
  bool use_kv_cache = true;  // false: recompute the whole (left-padded) sequence every step (tests)
  int max_batch = 64;        // sequences decoded together; more are processed in waves
  // One-token decode steps of fp32 CPU models run on trainers/model/decode_kernels (CpuDecoder)
  // instead of LibTorch ops; false keeps every step on the LibTorch path (tests compare the two).
  bool cpu_decode_kernels = true;
};

class Engine {
 public:
  Engine(LlamaForCausalLM model, DecodeFn decode = nullptr, EngineOptions options = {});

  // Runs all requests to completion; result i belongs to requests[i]. Throws util::InputError on an
  // empty prompt, n < 1, token ids outside the vocabulary, or stop strings without a decode function.
  std::vector<GenerateResult> Generate(const std::vector<GenerateRequest>& requests,
                                       const StopHook& hook = nullptr);

  LlamaForCausalLM& model() { return model_; }
  // Seconds Generate spent blocked on deferred hook replies with no other sequence to decode (since
  // construction): the share of wall time the batch waited on tools.
  double hook_wait_seconds() const { return hook_wait_seconds_; }
  // Seconds Generate spent setting up waves and prefilling their prompts (since construction): the rest of its
  // wall time is decoding, as `harness profile` separates its decode rate from its prefill.
  double prefill_seconds() const { return prefill_seconds_; }

 private:
  // One wave of requests [begin, end): prefill each prompt once, fan out to the samples, decode them all.
  void GenerateWave(const std::vector<GenerateRequest>& requests, size_t begin, size_t end, const StopHook& hook,
                    size_t max_stop_len, std::vector<GenerateResult>* results);

  LlamaForCausalLM model_;
  DecodeFn decode_;
  EngineOptions options_;
  double hook_wait_seconds_ = 0;
  double prefill_seconds_ = 0;
};

}  // namespace trainers
