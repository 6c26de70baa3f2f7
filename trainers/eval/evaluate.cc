#include "trainers/eval/evaluate.h"

#include <chrono>
#include <cmath>
#include <map>

#include <torch/torch.h>

#include "harness/sandbox/program_runner.h"
#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "trainers/distributed/world.h"
#include "trainers/generation/engine.h"
#include "trainers/model/llama.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

std::vector<std::string> RenderEvalPrompts(const tasks::Task& task, const std::vector<tasks::Record>& records,
                                           const EvalOptions& options) {
  tasks::PromptOptions prompt_options;
  prompt_options.template_name = options.template_name.empty() ? task.templates().front() : options.template_name;
  std::vector<std::string> prompts;
  for (const auto& record : records) prompts.push_back(options.prompt_prefix + task.RenderPrompt(record, prompt_options));
  return prompts;
}

void ValidateEvalSampling(const EvalOptions& options) {
  if (options.k < 1) throw util::InputError(util::Location{"", 0, "k"}, "must be >= 1");
  if (options.temperature == 0 && options.k > 1) {
    throw util::InputError(util::Location{"", 0, "k"}, "greedy decoding (temperature 0) gives k identical samples; "
                                                       "use k=1 or a temperature > 0");
  }
}

void ScoreEvalCompletions(const tasks::Task& task, const std::vector<tasks::Record>& records,
                          const std::vector<std::string>& prompts,
                          const std::vector<std::vector<std::string>>& completions, const EvalOptions& options,
                          EvalOutput* out) {
  using Clock = std::chrono::steady_clock;
  std::vector<scoring::Prediction> predictions;
  const std::vector<std::vector<double>> scores =
      options.scorer ? options.scorer(prompts, completions) : std::vector<std::vector<double>>{};
  for (size_t i = 0; i < records.size(); ++i) {
    scoring::Prediction p;
    p.id = records[i].id;
    p.file = "<generated>";
    p.line = static_cast<long>(i) + 1;
    p.completions = completions[i];
    if (!scores.empty()) p.scores = scores[i];
    predictions.push_back(std::move(p));
  }
  scoring::ScoreOptions score_options;
  score_options.preset = options.preset;
  score_options.k = options.k;
  score_options.allow_missing = false;
  score_options.code_block = options.code_block;
  score_options.code_grader = options.code_grader;
  score_options.program_answers = options.program_answers;
  if (options.program_answers) {
    score_options.program_runner = options.program_runner ? options.program_runner : sandbox::MakeProgramRunner();
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < records.size(); ++i) index[records[i].id] = i;
  const auto start = Clock::now();
  out->scored = scoring::Score(task, records, predictions, score_options,
                               [&](const tasks::Record& r) { return prompts[index[r.id]]; });
  out->score_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  out->generated_tokens_per_second = out->generate_seconds > 0 ? out->generated_tokens / out->generate_seconds : 0;
  out->scored_completions_per_second =
      out->score_seconds > 0 ? records.size() * options.k / out->score_seconds : 0;
}

// Each problem's trajectories into its sample record, and the tool figures into the metrics: tool calls
// and hint rounds per problem (mean over the problem's completions, then over problems, with a normal CI).
void AttachTrajectories(const std::vector<tasks::Record>& records,
                        const std::vector<std::vector<nlohmann::json>>& trajectories, EvalOutput* out) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < records.size(); ++i) index[records[i].id] = i;
  std::vector<double> calls, rounds;
  for (auto& sample : out->scored.samples) {
    auto it = index.find(sample.value("id", ""));
    if (it == index.end()) continue;
    const auto& per_completion = trajectories[it->second];
    sample["trajectories"] = per_completion;
    double c = 0, r = 0;
    for (const auto& t : per_completion) {
      c += t["tool_calls"].size();
      r += t.value("hint_rounds", 0);
    }
    const double n = per_completion.empty() ? 1.0 : static_cast<double>(per_completion.size());
    calls.push_back(c / n);
    rounds.push_back(r / n);
  }
  auto put = [&](const std::string& name, const std::vector<double>& values) {
    if (values.empty()) return;
    double mean = 0, var = 0;
    for (double v : values) mean += v;
    mean /= values.size();
    for (double v : values) var += (v - mean) * (v - mean);
    const double se = values.size() > 1 ? std::sqrt(var / (values.size() - 1) / values.size()) : 0.0;
    scoring::PutMetric(out->scored.metrics, name, mean, se, mean - 1.96 * se, mean + 1.96 * se);
  };
  put("tool_calls", calls);
  put("hint_rounds", rounds);
}

EvalOutput EvaluateModel(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, const tasks::Task& task,
                         const std::vector<tasks::Record>& records, const EvalOptions& options) {
  using Clock = std::chrono::steady_clock;
  ValidateEvalSampling(options);
  const int max_positions = model->config().max_position_embeddings;
  const std::vector<std::string> prompts = RenderEvalPrompts(task, records, options);

  std::vector<GenerateRequest> requests;
  EvalOutput out;
  for (size_t i = 0; i < records.size(); ++i) {
    GenerateRequest request;
    request.prompt = tok.EncodePrompt(prompts[i], options.chat);
    // Keep the most recent context when a prompt would not fit (real benchmarks on tiny models).
    const int budget = max_positions - options.max_new_tokens;
    if (budget < 8) throw std::runtime_error("max_new_tokens leaves no room for the prompt");
    if (static_cast<int>(request.prompt.size()) > budget) {
      request.prompt.erase(request.prompt.begin(), request.prompt.end() - budget);
    }
    request.n = options.k;
    request.max_new_tokens = options.max_new_tokens;
    request.sampling.temperature = options.temperature;
    request.sampling.top_p = options.top_p;
    request.sampling.top_k = options.top_k;
    request.seed = util::Fnv1a64(records[i].id, options.seed);
    if (tok.eos_id() >= 0) request.stop_token_ids.push_back(tok.eos_id());
    out.prompt_tokens += static_cast<long long>(request.prompt.size());
    requests.push_back(std::move(request));
  }

  // Data parallel: this rank generates for its share of the records; rank 0 gathers every share and
  // scores the whole set (per-request seeds derive from the record id, so a share decodes as it would
  // unsharded). The other ranks return an output with nothing scored.
  std::vector<int> all(records.size());
  for (size_t i = 0; i < records.size(); ++i) all[i] = static_cast<int>(i);
  const std::vector<int> mine = dist::ShareOf(all);
  std::vector<GenerateRequest> my_requests;
  for (int i : mine) my_requests.push_back(std::move(requests[i]));

  EngineOptions engine_options;
  engine_options.max_batch = options.max_batch;
  Engine engine(model, [&tok](const std::vector<int>& ids, bool skip) { return tok.Decode(ids, skip); },
                engine_options);
  auto start = Clock::now();
  std::vector<GenerateResult> results;
  std::vector<std::vector<nlohmann::json>> my_trajectories;
  {
    torch::NoGradGuard no_grad;
    model->eval();
    if (options.generate) {
      GeneratedWithTools generated = options.generate(engine, tok, my_requests);
      results = std::move(generated.results);
      my_trajectories = std::move(generated.trajectories);
      out.generation_stats = std::move(generated.stats);
    } else {
      results = engine.Generate(my_requests);
    }
  }

  std::vector<std::vector<std::string>> completions(records.size());
  std::vector<std::vector<nlohmann::json>> trajectories;
  if (!my_trajectories.empty()) trajectories.resize(records.size());
  for (size_t j = 0; j < mine.size(); ++j) {
    for (const auto& c : results[j].completions) {
      completions[mine[j]].push_back(c.text);
      for (uint8_t g : c.generated) out.generated_tokens += g;
    }
    if (!my_trajectories.empty()) trajectories[mine[j]] = std::move(my_trajectories[j]);
  }
  if (dist::Active()) {
    nlohmann::json share = {{"rows", mine}, {"generated_tokens", out.generated_tokens},
                            {"stats", out.generation_stats}};
    for (int i : mine) share["completions"].push_back(completions[i]);
    for (int i : mine) share["trajectories"].push_back(trajectories.empty() ? nlohmann::json::array()
                                                                             : nlohmann::json(trajectories[i]));
    // CBOR, not JSON text: completions are raw bytes (a byte-level model can stop inside a UTF-8
    // sequence) and must reach rank 0's scoring unchanged.
    const std::vector<uint8_t> bytes = nlohmann::json::to_cbor(share);
    const std::vector<std::string> shares = dist::GatherToRoot(std::string(bytes.begin(), bytes.end()));
    if (!dist::IsWriter()) return out;
    nlohmann::json per_rank = nlohmann::json::array();
    out.generated_tokens = 0;
    for (const std::string& text : shares) {
      const nlohmann::json other = nlohmann::json::from_cbor(text);
      const auto rows = other["rows"].get<std::vector<int>>();
      for (size_t j = 0; j < rows.size(); ++j) {
        completions[rows[j]] = other["completions"][j].get<std::vector<std::string>>();
        if (!trajectories.empty()) trajectories[rows[j]] = other["trajectories"][j].get<std::vector<nlohmann::json>>();
      }
      out.generated_tokens += other["generated_tokens"].get<long long>();
      per_rank.push_back(other["stats"]);
    }
    // The figures of a GenerateFn (tool calls, rates) stay per rank; the top level is rank 0's.
    if (!out.generation_stats.empty()) out.generation_stats["ranks"] = per_rank;
  }
  out.generate_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  ScoreEvalCompletions(task, records, prompts, completions, options, &out);
  if (!trajectories.empty()) AttachTrajectories(records, trajectories, &out);
  return out;
}

}  // namespace trainers
