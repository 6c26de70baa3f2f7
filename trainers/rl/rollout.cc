#include "trainers/rl/rollout.h"


#include <algorithm>
#include <limits>
#include <map>

#include <torch/torch.h>

#include "harness/sandbox/program_runner.h"
#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "trainers/sft/sft_data.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/checkpoint/weights.h"
#include "trainers/distributed/world.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::rl {

// The training questions of the chosen tasks, prompts rendered as evaluation renders them.
std::vector<Question> TrainingQuestions(const SftConfig& settings, const std::vector<std::string>& task_names,
                                            const std::string& data_dir) {
  std::vector<Question> questions;
  for (const DataSource& source : settings.train) {
    if (std::find(task_names.begin(), task_names.end(), source.task) == task_names.end()) continue;
    const tasks::Task& task = tasks::FindTask(source.task);
    std::vector<std::vector<std::string>> solutions, sources;
    std::vector<tasks::Record> records = LoadSourceRecords(source, "train", data_dir, &solutions, &sources);
    tasks::PromptOptions prompt;
    prompt.template_name = source.template_name.empty() ? task.templates().front() : source.template_name;
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].broken) continue;
      Question q;
      q.task = &task;
      q.prompt = source.condition + task.RenderPrompt(records[i], prompt);
      for (size_t s = 0; s < (solutions.empty() ? 0 : solutions[i].size()); ++s) {
        if (sources[i][s] == "expert") {
          q.gold_completion = solutions[i][s];
          break;
        }
      }
      if (q.gold_completion.empty()) q.gold_completion = records[i].gold_solution;
      q.program_answers = tasks::synth::AnswersByProgram(source.style);
      q.record = std::move(records[i]);
      questions.push_back(std::move(q));
    }
  }
  if (questions.empty()) throw util::InputError(util::Location{"", 0, "tasks"}, "no training questions in the chosen tasks");
  return questions;
}

std::vector<Sample> Rollout(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok,
                            const std::vector<Question>& questions, const RolloutOptions& options,
                            RolloutTiming* timing) {
  std::vector<GenerateRequest> requests;
  requests.reserve(questions.size());
  for (const Question& q : questions) {
    GenerateRequest r;
    r.prompt = tok.EncodePrompt(q.prompt, /*chat=*/false);
    r.n = options.samples;
    r.max_new_tokens = options.max_new_tokens;
    r.sampling.temperature = options.temperature;
    r.sampling.top_k = 0;
    r.sampling.top_p = options.top_p;
    r.seed = util::Fnv1a64(q.record.id, options.seed);
    if (tok.eos_id() >= 0) r.stop_token_ids.push_back(tok.eos_id());
    requests.push_back(std::move(r));
  }
  EngineOptions engine_options;
  engine_options.max_batch = options.max_batch;
  Engine engine(model, [&tok](const std::vector<int>& ids, bool skip) { return tok.Decode(ids, skip); },
                engine_options);
  std::vector<GenerateResult> results;
  {
    torch::NoGradGuard no_grad;
    results = options.generate ? options.generate(engine, requests) : engine.Generate(requests);
  }
  if (timing != nullptr) timing->prefill_seconds = engine.prefill_seconds();
  std::vector<Sample> samples;
  samples.reserve(questions.size() * options.samples);
  for (size_t i = 0; i < questions.size(); ++i) {
    for (auto& c : results[i].completions) {
      Sample s;
      s.question = static_cast<int>(i);
      s.prompt_ids = requests[i].prompt;
      s.response_ids = std::move(c.token_ids);
      s.action = std::move(c.generated);
      s.sampler_logprobs = std::move(c.logprobs);
      s.text = std::move(c.text);
      s.truncated = c.finish_reason == "length";
      samples.push_back(std::move(s));
    }
  }
  return samples;
}

std::vector<Reward> AnswerRewards(const std::vector<Question>& questions, const std::vector<Sample>& samples,
                                  const RewardOptions& options) {
  std::vector<Reward> rewards(samples.size());
  std::vector<std::pair<const tasks::Record*, std::string>> code_jobs;
  std::vector<size_t> code_rows;
  // P-CoT responses: every program of the batch in one call to the runner (run in parallel there).
  std::vector<scoring::TaskRecord> program_owners;
  std::vector<std::string> program_texts;
  std::vector<size_t> program_rows;
  for (size_t i = 0; i < samples.size(); ++i) {
    const Question& q = questions.at(samples[i].question);
    if (!q.program_answers || q.record.kind == tasks::AnswerKind::kCode) continue;
    program_owners.emplace_back(q.task, &q.record);
    program_texts.push_back(samples[i].text);
    program_rows.push_back(i);
  }
  std::vector<tasks::ExtractedAnswer> program_answers;
  if (!program_rows.empty()) {
    program_answers = scoring::ProgramAnswers(
        program_owners, program_texts, options.program_runner ? options.program_runner : sandbox::MakeProgramRunner());
  }
  for (size_t i = 0, next_program = 0; i < samples.size(); ++i) {
    const Question& q = questions.at(samples[i].question);
    const std::string preset = options.preset.empty() ? q.task->extraction_presets().front() : options.preset;
    const bool by_program = next_program < program_rows.size() && program_rows[next_program] == i;
    const tasks::ExtractedAnswer answer =
        by_program ? program_answers[next_program++] : q.task->Extract(samples[i].text, q.record, preset);
    Reward& r = rewards[i];
    r.extracted = answer.valid;
    r.answer = answer.valid ? answer.value : "";
    if (!answer.valid) continue;
    if (q.record.kind == tasks::AnswerKind::kCode) {
      code_jobs.emplace_back(&q.record, answer.value);
      code_rows.push_back(i);
      continue;
    }
    r.correct = q.task->IsCorrect(answer, q.record);
    const bool choice = q.record.kind == tasks::AnswerKind::kChoice || q.record.kind == tasks::AnswerKind::kChoiceSet;
    r.score = r.correct ? 1.0 : (!choice || options.partial_on_choice ? options.partial : 0.0);
  }
  if (!code_jobs.empty()) {
    if (!options.code_grader) throw std::logic_error("AnswerRewards: a code task needs a code grader");
    // One call for the whole batch: the grader runs the programs in parallel.
    const std::vector<nlohmann::json> graded = options.code_grader(code_jobs);
    for (size_t j = 0; j < code_rows.size(); ++j) {
      Reward& r = rewards[code_rows[j]];
      r.correct = graded.at(j).value("passed", false);
      r.score = r.correct ? 1.0 : options.partial;
    }
  }
  return rewards;
}

TokenBatch MakeTokenBatch(const std::vector<Sample>& samples, const std::vector<int>& rows, int pad_id,
                          const c10::Device& device) {
  int64_t T = 1, L = 1;
  for (int r : rows) {
    const Sample& s = samples.at(r);
    T = std::max<int64_t>(T, s.prompt_ids.size() + s.response_ids.size());
    L = std::max<int64_t>(L, s.response_ids.size());
  }
  const int64_t B = static_cast<int64_t>(rows.size());
  TokenBatch b;
  at::Tensor ids = torch::full({B, T}, pad_id, torch::kLong), attention = torch::zeros({B, T}, torch::kLong);
  at::Tensor index = torch::zeros({B, L}, torch::kLong), response = torch::full({B, L}, pad_id, torch::kLong);
  at::Tensor mask = torch::zeros({B, L}, torch::kFloat);
  auto ia = ids.accessor<int64_t, 2>(), aa = attention.accessor<int64_t, 2>();
  auto xa = index.accessor<int64_t, 2>(), ra = response.accessor<int64_t, 2>();
  auto ma = mask.accessor<float, 2>();
  for (int64_t b_row = 0; b_row < B; ++b_row) {
    const Sample& s = samples[rows[b_row]];
    const int64_t P = static_cast<int64_t>(s.prompt_ids.size());
    if (P < 1) throw std::logic_error("MakeTokenBatch: empty prompt");
    int64_t t = 0;
    for (int id : s.prompt_ids) ia[b_row][t] = id, aa[b_row][t] = 1, ++t;
    for (size_t j = 0; j < s.response_ids.size(); ++j) {
      ia[b_row][t] = s.response_ids[j];
      aa[b_row][t] = 1;
      ++t;
      xa[b_row][j] = P + static_cast<int64_t>(j) - 1;
      ra[b_row][j] = s.response_ids[j];
      ma[b_row][j] = s.action.empty() || s.action[j] ? 1.0f : 0.0f;
    }
    b.tokens += t;
  }
  b.ids = ids.to(device);
  b.attention = attention.to(device);
  b.index = index.to(device);
  b.response = response.to(device);
  b.mask = mask.to(device);
  return b;
}

Sample TextSample(const tokenizer::Tokenizer& tok, const std::string& prompt, const std::string& completion) {
  Sample s;
  s.prompt_ids = tok.EncodePrompt(prompt, false);
  s.response_ids = tok.Encode(completion);
  if (tok.eos_id() >= 0) s.response_ids.push_back(tok.eos_id());
  s.action.assign(s.response_ids.size(), 1);
  return s;
}

std::vector<size_t> ChunkEnds(const std::vector<int64_t>& sorted_lengths, int64_t forward_cost_tokens) {
  const size_t n = sorted_lengths.size();
  if (n == 0) return {};
  if (forward_cost_tokens < 0) return {n};
  // best[j]: the cheapest cut of the first j rows; a chunk [i, j) costs (j - i) * length[i] (its first row is
  // its longest) plus the fixed cost. On ties the longer first chunk wins (fewer forwards).
  std::vector<int64_t> best(n + 1, std::numeric_limits<int64_t>::max());
  std::vector<size_t> from(n + 1, 0);
  best[0] = 0;
  for (size_t j = 1; j <= n; ++j) {
    for (size_t i = 0; i < j; ++i) {
      const int64_t cost = best[i] + static_cast<int64_t>(j - i) * sorted_lengths[i] + forward_cost_tokens;
      if (cost < best[j]) best[j] = cost, from[j] = i;
    }
  }
  std::vector<size_t> ends;
  for (size_t j = n; j > 0; j = from[j]) ends.push_back(j);
  std::reverse(ends.begin(), ends.end());
  return ends;
}

ChunkedBatch MakeChunkedBatch(const std::vector<Sample>& samples, const std::vector<int>& rows, int pad_id,
                              const c10::Device& device, int64_t forward_cost_tokens) {
  ChunkedBatch out;
  out.whole = MakeTokenBatch(samples, rows, pad_id, device);
  const auto length = [&](size_t k) {
    const Sample& s = samples.at(rows[k]);
    return static_cast<int64_t>(s.prompt_ids.size() + s.response_ids.size());
  };
  std::vector<size_t> order(rows.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  if (forward_cost_tokens >= 0) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return length(a) > length(b); });
  }
  std::vector<int64_t> sorted;
  for (size_t k : order) sorted.push_back(length(k));
  const std::vector<size_t> ends = ChunkEnds(sorted, forward_cost_tokens);
  size_t begin = 0;
  for (size_t end : ends) {
    std::vector<int> chunk_rows;
    std::vector<int64_t> positions;
    for (size_t k = begin; k < end; ++k) chunk_rows.push_back(rows[order[k]]), positions.push_back(static_cast<int64_t>(order[k]));
    const bool as_whole = forward_cost_tokens < 0;  // one chunk, the rows in their order: `whole` itself
    out.chunks.push_back(as_whole ? out.whole : MakeTokenBatch(samples, chunk_rows, pad_id, device));
    out.rows.push_back(torch::tensor(positions, torch::kLong).to(device));
    out.padded_tokens += out.chunks.back().ids.numel();
    begin = end;
  }
  return out;
}

at::Tensor ChunkedBatch::Gather(const at::Tensor& x, size_t c) const {
  return x.index_select(0, rows.at(c)).narrow(1, 0, chunks.at(c).mask.size(1));
}

at::Tensor ChunkedBatch::Scatter(const std::vector<at::Tensor>& parts) const {
  const int64_t B = whole.mask.size(0), L = whole.mask.size(1);
  at::Tensor out = torch::zeros({B, L}, parts.at(0).options().requires_grad(false));
  for (size_t c = 0; c < parts.size(); ++c) {
    const at::Tensor part = parts[c].detach();
    at::Tensor block = torch::zeros({part.size(0), L}, out.options());
    block.narrow(1, 0, part.size(1)).copy_(part);
    out.index_copy_(0, rows.at(c), block);
  }
  return out;
}

at::Tensor ResponseStates(LlamaForCausalLM& model, const TokenBatch& batch) {
  const at::Tensor hidden = model->Hidden(batch.ids, batch.attention);  // [B, T, H]
  const int64_t B = batch.index.size(0), L = batch.index.size(1), H = hidden.size(2);
  return hidden.gather(1, batch.index.unsqueeze(-1).expand({B, L, H}));  // [B, L, H]
}

TokenScores ScoreTokens(LlamaForCausalLM& model, const TokenBatch& batch, bool with_values, bool with_entropy) {
  // Only the positions that score a response token go through lm_head.
  const at::Tensor picked = ResponseStates(model, batch);
  const at::Tensor logits = model->Logits(picked).to(torch::kFloat);                          // [B, L, V]
  const at::Tensor logp_all = torch::log_softmax(logits, -1);
  TokenScores out;
  out.logp = logp_all.gather(2, batch.response.unsqueeze(-1)).squeeze(-1);
  if (with_entropy) {  // logged, never a loss term: no graph for it
    torch::NoGradGuard no_grad;
    const at::Tensor l = logp_all.detach();
    out.entropy = -(l.exp() * l).sum(-1);
  }
  if (with_values) out.values = model->Values(picked).squeeze(-1).to(torch::kFloat);
  return out;
}

TokenScores ScoreChunks(LlamaForCausalLM& model, const ChunkedBatch& batch, bool with_values, bool with_entropy) {
  std::vector<at::Tensor> logp, entropy, values;
  for (const TokenBatch& chunk : batch.chunks) {
    TokenScores s = ScoreTokens(model, chunk, with_values, with_entropy);
    logp.push_back(s.logp);
    if (with_entropy) entropy.push_back(s.entropy);
    if (with_values) values.push_back(s.values);
  }
  TokenScores out;
  out.logp = batch.Scatter(logp);
  if (with_entropy) out.entropy = batch.Scatter(entropy);
  if (with_values) out.values = batch.Scatter(values);
  return out;
}

at::Tensor ChunkValues(LlamaForCausalLM& model, const ChunkedBatch& batch) {
  std::vector<at::Tensor> values;
  for (const TokenBatch& chunk : batch.chunks) {
    values.push_back(model->Values(ResponseStates(model, chunk)).squeeze(-1).to(torch::kFloat));
  }
  return batch.Scatter(values);
}

GradedSamples SampleAndGrade(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, const SftConfig& settings,
                             const std::vector<std::string>& task_names, int max_questions,
                             const RolloutOptions& rollout, const std::string& data_dir,
                             const scoring::CodeGrader& code_grader) {
  GradedSamples out;
  out.questions = TrainingQuestions(settings, task_names, data_dir);
  if (max_questions > 0 && static_cast<int>(out.questions.size()) > max_questions) out.questions.resize(max_questions);
  model->eval();
  RewardOptions reward;
  reward.partial = 0;
  reward.code_grader = code_grader;  // code tasks: the sandbox runs each sample against the problem's tests
  if (!dist::Active()) {
    out.samples = Rollout(model, tok, out.questions, rollout);
    out.rewards = AnswerRewards(out.questions, out.samples, reward);
    return out;
  }
  // Data parallel: each rank samples and grades its share of the questions (samples are seeded by question
  // id, so they are the ones one rank would draw), then every rank gets all of them, in question order.
  std::vector<int> all(out.questions.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  const std::vector<int> mine = dist::ShareOf(all);
  std::vector<Question> my_questions;
  for (int i : mine) my_questions.push_back(out.questions[i]);
  const std::vector<Sample> samples = Rollout(model, tok, my_questions, rollout);
  const std::vector<Reward> rewards = AnswerRewards(my_questions, samples, reward);
  nlohmann::json share = nlohmann::json::array();
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& x = samples[i];
    const Reward& r = rewards[i];
    share.push_back({{"question", mine[x.question]}, {"prompt_ids", x.prompt_ids}, {"response_ids", x.response_ids},
                     {"action", x.action}, {"logprobs", x.sampler_logprobs}, {"text", x.text},
                     {"truncated", x.truncated}, {"score", r.score}, {"correct", r.correct},
                     {"extracted", r.extracted}, {"answer", r.answer}});
  }
  // CBOR keeps a response's raw bytes (it may stop inside a UTF-8 sequence).
  const std::vector<uint8_t> bytes = nlohmann::json::to_cbor(share);
  std::vector<std::pair<Sample, Reward>> gathered;
  for (const std::string& part : dist::AllGather(std::string(bytes.begin(), bytes.end()))) {
    for (const auto& j : nlohmann::json::from_cbor(part)) {
      Sample x;
      x.question = j["question"].get<int>();
      x.prompt_ids = j["prompt_ids"].get<std::vector<int>>();
      x.response_ids = j["response_ids"].get<std::vector<int>>();
      x.action = j["action"].get<std::vector<uint8_t>>();
      x.sampler_logprobs = j["logprobs"].get<std::vector<float>>();
      x.text = j["text"].get<std::string>();
      x.truncated = j["truncated"].get<bool>();
      Reward r;
      r.score = j["score"].get<double>();
      r.correct = j["correct"].get<bool>();
      r.extracted = j["extracted"].get<bool>();
      r.answer = j["answer"].get<std::string>();
      gathered.emplace_back(std::move(x), std::move(r));
    }
  }
  // A question's samples all come from one rank, in order: a stable sort by question restores one rank's order.
  std::stable_sort(gathered.begin(), gathered.end(),
                   [](const auto& a, const auto& b) { return a.first.question < b.first.question; });
  for (auto& [x, r] : gathered) {
    out.samples.push_back(std::move(x));
    out.rewards.push_back(std::move(r));
  }
  return out;
}

LlamaForCausalLM LoadWithValueHead(const std::string& path, const RuntimeConfig& runtime, uint64_t seed,
                                   const std::string& value_head_from, bool fresh_head) {
  if (fresh_head && !value_head_from.empty()) {
    throw std::logic_error("LoadWithValueHead: a fresh head and a head from a checkpoint at once");
  }
  ModelConfig config = ReadCheckpointConfig(path);
  config.value_head = true;
  LlamaForCausalLM model = BuildModel(config, runtime, seed);  // the head: InitWeights(seed)
  WeightSource trunk = SafetensorsWeights(path);
  WeightSource head;
  if (!value_head_from.empty()) head = SafetensorsWeights(value_head_from);
  std::map<std::string, at::Tensor> own;
  for (const auto& p : model->named_parameters()) own[p.key()] = p.value().detach().to(torch::kCPU).clone();
  WeightSource merged;
  merged.files = trunk.files;
  for (const std::string name : {"value_head.weight", "value_head.bias"}) {
    if (!value_head_from.empty()) {
      if (!head.files.count(name)) {
        throw util::InputError(util::Location{value_head_from, 0, name}, "this checkpoint has no value head");
      }
      merged.files[name] = head.files.at(name);
    } else if (fresh_head || !trunk.files.count(name)) {
      merged.files[name] = "(fresh value head, seed " + std::to_string(seed) + ")";
    }
  }
  const bool fresh = value_head_from.empty() && (fresh_head || !trunk.files.count("value_head.weight"));
  merged.get = [&](const std::string& name) -> at::Tensor {
    if (name.rfind("value_head.", 0) == 0) {
      if (!value_head_from.empty()) return head.get(name);
      if (fresh) return own.at(name);
    }
    return trunk.get(name);
  };
  CopyWeights(model, merged);
  return model;
}

}  // namespace trainers::rl
