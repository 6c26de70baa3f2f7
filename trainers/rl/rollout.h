// The on-policy pieces every text RL trainer shares (ReFT, START, WSRL on text):
//   Rollout       sample responses with the engine, keeping ids, the action mask and the sampler's log-probs;
//   AnswerRewards score them with the task's own extractor and equivalence (evaluation's code; code tasks
//                 through the caller's sandbox grader, one batch of programs per call, run in parallel);
//   TokenBatch /  one padded forward giving per-token log-probs, entropy and values at the response
//   ScoreTokens   positions (logits at position t-1 score token t; the value of the state before it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "harness/scoring/scoring.h"
#include "tasks/record.h"
#include "tasks/task.h"
#include "trainers/generation/engine.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_config.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers::rl {

// One training question: its task, record (gold answer), the prompt exactly as evaluation renders it, and
// the gold solution text (for losses that mix in the gold chain of thought).
struct Question {
  const tasks::Task* task = nullptr;
  tasks::Record record;
  std::string prompt;
  std::string gold_completion;
  bool program_answers = false;  // P-CoT: the response is a program whose printed value is the answer
};

// The training questions of `settings.train`'s sources whose task is in `task_names`, prompts rendered as
// evaluation renders them (condition prefix included), the generator's expert solution as the gold text.
std::vector<Question> TrainingQuestions(const SftConfig& settings, const std::vector<std::string>& task_names,
                                        const std::string& data_dir);

// Generation beyond plain sampling (START's tool calls and hints): runs the requests on the engine.
using RolloutGenerator =
    std::function<std::vector<GenerateResult>(Engine& engine, const std::vector<GenerateRequest>& requests)>;

struct RolloutOptions {
  int samples = 1;              // responses per question
  int max_new_tokens = 160;
  double temperature = 1.0;     // ReFT samples with T=1, no top-k or top-p
  double top_p = 1.0;           // START's RFT samples with T=0.6, top-p 0.95
  uint64_t seed = 0;            // sample k of question q draws from stream (seed, question id, k)
  int max_batch = 64;
  RolloutGenerator generate;    // empty = engine.Generate
};

// One sampled response. action[j] = 1 for tokens the policy sampled, 0 for tokens a hook appended.
struct Sample {
  int question = 0;             // index into the questions
  std::vector<int> prompt_ids;  // bos + prompt
  std::vector<int> response_ids;  // including the EOS token when it stopped
  std::vector<uint8_t> action;
  std::vector<float> sampler_logprobs;  // the engine's, one per response token (0 for appended ones)
  std::string text;             // decoded response (special tokens skipped)
  bool truncated = false;       // hit max_new_tokens without EOS
};

// Where a rollout's time went (for the PPO step profile).
struct RolloutTiming {
  double prefill_seconds = 0;  // setting up the engine's waves and prefilling the prompts; the rest is decoding
};

// Samples options.samples responses per question (questions[i] gives samples [i*n, (i+1)*n)).
std::vector<Sample> Rollout(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok,
                            const std::vector<Question>& questions, const RolloutOptions& options,
                            RolloutTiming* timing = nullptr);

struct RewardOptions {
  double partial = 0.1;            // extractable but wrong (ReFT §3.1; numeric answers)
  bool partial_on_choice = false;  // also for multiple choice (ReFT's code does; the paper says numeric only)
  std::string preset;              // extraction preset ("" = the task's default, as evaluation)
  scoring::CodeGrader code_grader; // required when a question is a code task
  scoring::ProgramRunner program_runner;  // P-CoT questions; empty = a sandbox pool for the call
};

struct Reward {
  double score = 0;        // 1 correct, `partial` extractable but wrong, 0 otherwise
  bool correct = false;
  bool extracted = false;
  std::string answer;      // the extracted value ("" when none)
};

std::vector<Reward> AnswerRewards(const std::vector<Question>& questions, const std::vector<Sample>& samples,
                                  const RewardOptions& options);

// Right-padded prompt + response rows and the gather index of their response positions:
//   ids, attention [B, T]; index [B, L] (position whose logits score response token j: prompt_len + j - 1);
//   response [B, L] (the token ids), mask [B, L] float (action tokens; optionally every response token).
struct TokenBatch {
  at::Tensor ids, attention, index, response, mask;
  long long tokens = 0;     // real tokens in the batch (prompts + responses)
};
TokenBatch MakeTokenBatch(const std::vector<Sample>& samples, const std::vector<int>& rows, int pad_id,
                          const c10::Device& device);

// A batch cut into length-sorted chunks, each padded only to its own longest row, for the scoring and update
// forwards: every padded position runs through every layer, and a rollout batch padded as one is largely
// padding (ReFT's responses: the longest of a batch about 1.6x the mean). `whole` keeps the step's [B, L]
// layout for the per-token arithmetic (KL, GAE, whitening); Gather and Scatter move [B, L] tensors between it
// and the chunks. Each row is computed as it would be in `whole` (rows do not interact in a forward).
struct ChunkedBatch {
  TokenBatch whole;
  std::vector<TokenBatch> chunks;
  std::vector<at::Tensor> rows;  // chunk c's rows of `whole`, [b_c] int64 on the batch's device
  long long padded_tokens = 0;   // positions the chunks' forwards compute (real tokens: whole.tokens)
  at::Tensor Gather(const at::Tensor& x, size_t c) const;          // [B, L] -> chunk c's [b_c, L_c]
  at::Tensor Scatter(const std::vector<at::Tensor>& parts) const;  // one [b_c, L_c] per chunk -> [B, L], 0 beyond
};
// The rows sorted by length (longest first) and cut where the padded positions plus `forward_cost_tokens` per
// chunk (a forward's fixed cost, counted in token positions) are fewest; forward_cost_tokens < 0: one chunk,
// the rows in their order, padded as one (MakeTokenBatch's layout).
ChunkedBatch MakeChunkedBatch(const std::vector<Sample>& samples, const std::vector<int>& rows, int pad_id,
                              const c10::Device& device, int64_t forward_cost_tokens);
// The chunk boundaries alone: for lengths sorted longest first, the end of each chunk (exclusive).
std::vector<size_t> ChunkEnds(const std::vector<int64_t>& sorted_lengths, int64_t forward_cost_tokens);

// A prompt with a given completion (+ EOS) as a sample whose every token counts (gold chains, reranked texts).
Sample TextSample(const tokenizer::Tokenizer& tok, const std::string& prompt, const std::string& completion);

// The final hidden states at the positions in batch.index, [B, L, hidden]: what lm_head and the value head read.
at::Tensor ResponseStates(LlamaForCausalLM& model, const TokenBatch& batch);

struct TokenScores {
  at::Tensor logp;      // [B, L] log pi(response_j | prefix)
  at::Tensor entropy;   // [B, L] (when asked; without gradient: it is logged, never a loss term)
  at::Tensor values;    // [B, L] V(state before response_j) (when asked; needs a value head)
};
// One forward of `model` over the batch. Gradients flow unless the caller holds a NoGradGuard.
TokenScores ScoreTokens(LlamaForCausalLM& model, const TokenBatch& batch, bool with_values, bool with_entropy);
// ScoreTokens over each chunk, put back in the whole batch's layout.
TokenScores ScoreChunks(LlamaForCausalLM& model, const ChunkedBatch& batch, bool with_values, bool with_entropy);
// The value head alone over each chunk (a separate value model's predictions), [B, L].
at::Tensor ChunkValues(LlamaForCausalLM& model, const ChunkedBatch& batch);

// Samples `rollout.samples` responses to each of the first `max_questions` (0 = all) training questions of
// `task_names` and grades them (no partial reward): the data of rejection sampling and of the reward model.
struct GradedSamples {
  std::vector<Question> questions;
  std::vector<Sample> samples;
  std::vector<Reward> rewards;
};
GradedSamples SampleAndGrade(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, const SftConfig& settings,
                             const std::vector<std::string>& task_names, int max_questions,
                             const RolloutOptions& rollout, const std::string& data_dir,
                             const scoring::CodeGrader& code_grader = {});

// A model with a value head from a checkpoint without one (an SFT warm-up): the trunk and lm_head from
// `path`, the head from `value_head_from` (a checkpoint that has one), else `path`'s own head when it has
// one, else freshly initialised from `seed` (InitWeights: normal(0, initializer_range) weight, zero bias;
// ReFT's trl ValueHead is also a random Linear on the warm-up model). fresh_head: always the fresh head,
// even when `path` has one (WSRL's freshly initialised critic arm); not together with value_head_from.
LlamaForCausalLM LoadWithValueHead(const std::string& path, const RuntimeConfig& runtime, uint64_t seed,
                                   const std::string& value_head_from = "", bool fresh_head = false);

}  // namespace trainers::rl
