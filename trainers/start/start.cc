#include "trainers/start/start.h"

#include <algorithm>
#include <set>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "tasks/registry.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/rl/rejection_sampling.h"
#include "trainers/rl/rollout.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::start {

const util::Fields<StartOptions>& StartOptionsFields() {
  using O = StartOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("tasks", &O::tasks,
           "families whose training problems are used (empty = every task of the run but code; code problems are "
           "graded by the sandbox on their tests and hinted with the debug hint)")
        .Add("questions", &O::questions, "training problems per stage (the first N)", util::InRange(1, 1000000))
        .Add("rounds", &O::rounds, "Hint-RFT: hint rounds of the hinted run", util::InRange(1, 16))
        .Add("samples", &O::samples, "RFT: samples per problem (START: 16)", util::InRange(1, 256))
        .Add("temperature", &O::temperature, "RFT sampling temperature (START: 0.6)", util::InRange(0.05, 2.0))
        .Add("top_p", &O::top_p, "RFT nucleus sampling (START: 0.95)", util::InRange(0.0, 1.0))
        .Add("keep", &O::keep, "RFT: unique correct samples kept per problem", util::InRange(1, 256))
        .Add("repetition_ngram", &O::repetition_ngram, "repetition filter n-gram in words (0 = off)",
             util::InRange(0, 64))
        .Add("max_repeats", &O::max_repeats, "repetition filter: most occurrences of one n-gram", util::AtLeast(1))
        .Add("max_new_tokens", &O::max_new_tokens, "generation cap (0 = training.eval_max_new_tokens)",
             util::InRange(0, 4096))
        .Add("eval_rounds", &O::eval_rounds, "hint rounds when the trained model is evaluated (START: 0)",
             util::InRange(0, 16));
    return f;
  }();
  return *fields;
}

std::vector<std::string> StartTasks(const SftConfig& settings, const std::vector<std::string>& chosen) {
  if (!chosen.empty()) return chosen;
  std::vector<std::string> tasks;
  for (const auto& source : settings.train) {
    if (tasks::GradedByTests(source.task)) continue;
    if (std::find(tasks.begin(), tasks.end(), source.task) == tasks.end()) tasks.push_back(source.task);
  }
  return tasks;
}

namespace {

int MaxNewTokens(const SftConfig& settings, const StartOptions& options) {
  return options.max_new_tokens > 0 ? options.max_new_tokens : settings.eval_max_new_tokens;
}

// Greedy generation with the tool protocol and `rounds` hints, as samples graded by the task's rules.
struct GradedRun {
  std::vector<rl::Sample> samples;
  std::vector<rl::Reward> rewards;
  std::vector<Trajectory> trajectories;
  long long tool_calls = 0;
};

GradedRun RunGreedy(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, const std::vector<rl::Question>& questions,
                    int rounds, const std::string& hint_kind, int max_new_tokens, const scoring::CodeGrader& code_grader) {
  GradedRun run;
  HintInferOptions hint;
  hint.rounds = rounds;
  hint.hint = hint_kind;
  rl::RolloutOptions rollout;
  rollout.samples = 1;
  rollout.temperature = 0;
  rollout.max_new_tokens = max_new_tokens;
  std::vector<std::vector<Trajectory>> trajectories;
  rollout.generate = [&](Engine& engine, const std::vector<GenerateRequest>& requests) {
    ToolGeneration g = GenerateWithTools(engine, tok, requests, hint);
    trajectories = std::move(g.trajectories);
    run.tool_calls += g.tool_calls;
    return std::move(g.results);
  };
  run.samples = rl::Rollout(model, tok, questions, rollout);
  for (auto& per_question : trajectories) run.trajectories.push_back(std::move(per_question.at(0)));
  rl::RewardOptions reward;
  reward.partial = 0;
  reward.code_grader = code_grader;
  run.rewards = rl::AnswerRewards(questions, run.samples, reward);
  return run;
}

bool IsCode(const rl::Question& q) { return q.record.kind == tasks::AnswerKind::kCode; }

// RunGreedy with the hint each problem's kind takes (START §3.1): code problems the debug hint (run the
// solution on the sample tests), the others the math hints in turn. Results in `questions`' order.
GradedRun RunGreedyByKind(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok,
                          const std::vector<rl::Question>& questions, int rounds, int max_new_tokens,
                          const scoring::CodeGrader& code_grader) {
  std::vector<size_t> rows[2];  // [0] math and multiple choice, [1] code
  for (size_t i = 0; i < questions.size(); ++i) rows[IsCode(questions[i])].push_back(i);
  GradedRun merged;
  merged.samples.resize(questions.size());
  merged.rewards.resize(questions.size());
  merged.trajectories.resize(questions.size());
  for (int code = 0; code < 2; ++code) {
    if (rows[code].empty()) continue;
    std::vector<rl::Question> part;
    for (size_t i : rows[code]) part.push_back(questions[i]);
    GradedRun run = RunGreedy(model, tok, part, rounds, code ? DebugHint().kind : "cycle", max_new_tokens, code_grader);
    merged.tool_calls += run.tool_calls;
    for (size_t j = 0; j < rows[code].size(); ++j) {
      const size_t i = rows[code][j];
      run.samples[j].question = static_cast<int>(i);
      merged.samples[i] = std::move(run.samples[j]);
      merged.rewards[i] = std::move(run.rewards[j]);
      merged.trajectories[i] = std::move(run.trajectories[j]);
    }
  }
  return merged;
}

}  // namespace

std::vector<TextExample> HintRftTexts(const SftConfig& settings, const std::string& checkpoint,
                                      const StartOptions& options, const std::string& data_dir,
                                      const scoring::CodeGrader& code_grader, nlohmann::json* stats) {
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(checkpoint);
  LlamaForCausalLM model = LoadCheckpoint(checkpoint, RuntimeConfig{settings.device, "float32", settings.threads});
  std::vector<rl::Question> questions = rl::TrainingQuestions(settings, StartTasks(settings, options.tasks), data_dir);
  if (static_cast<int>(questions.size()) > options.questions) questions.resize(options.questions);
  // Data parallel: each rank runs its share of the problems through steps 1-3; every rank then merges all
  // of them in problem order (step 4's deduplication keeps the first occurrence, as one rank would).
  std::vector<int> all(questions.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  const std::vector<int> mine = dist::ShareOf(all);
  std::vector<rl::Question> my_questions;
  for (int q : mine) my_questions.push_back(questions[q]);
  // 1. Greedy (the tool protocol on, no hint) and Hint-infer on every problem.
  const GradedRun greedy = RunGreedyByKind(model, tok, my_questions, 0, MaxNewTokens(settings, options), code_grader);
  const GradedRun hinted =
      RunGreedyByKind(model, tok, my_questions, options.rounds, MaxNewTokens(settings, options), code_grader);
  // 2. Keep hinted-right, greedy-wrong; 3. drop repetitive ones and normalise the hint text (START §3.1).
  // Each kind's canonical hint: the first math hint, or the debug hint on code.
  const auto canonical = [](const rl::Question& q) { return IsCode(q) ? DebugHint().text : MathHints().front().text; };
  nlohmann::json share = {{"problems", nlohmann::json::array()},
                          {"greedy_tool_calls", greedy.tool_calls}, {"hinted_tool_calls", hinted.tool_calls}};
  for (size_t j = 0; j < my_questions.size(); ++j) {
    const Trajectory& t = hinted.trajectories[j];
    nlohmann::json problem = {{"q", mine[j]}, {"greedy_correct", greedy.rewards[j].correct},
                              {"hinted_correct", hinted.rewards[j].correct},
                              {"dump", {{"id", my_questions[j].record.id}, {"gold", my_questions[j].record.gold},
                                        {"greedy_correct", greedy.rewards[j].correct},
                                        {"hinted_correct", hinted.rewards[j].correct},
                                        {"greedy", greedy.trajectories[j].ToJson()}, {"hinted", t.ToJson()}}}};
    if (KeepForHintRft(greedy.rewards[j].correct, hinted.rewards[j].correct)) {
      problem["candidate"] = true;
      problem["repetitive"] = options.repetition_ngram > 0 && rl::HasRepeatedNgram(t.text, options.repetition_ngram, options.max_repeats);
      problem["text"] = NormalizeHints(t.text, t.hints, canonical(my_questions[j]));
      problem["with_tool"] = !t.calls.empty();
    }
    share["problems"].push_back(std::move(problem));
  }
  std::vector<nlohmann::json> problems;
  long long greedy_calls = 0, hinted_calls = 0;
  const std::vector<uint8_t> bytes = nlohmann::json::to_cbor(share);  // CBOR: texts are raw bytes
  for (const std::string& part : dist::AllGather(std::string(bytes.begin(), bytes.end()))) {
    nlohmann::json other = nlohmann::json::from_cbor(part);
    greedy_calls += other["greedy_tool_calls"].get<long long>();
    hinted_calls += other["hinted_tool_calls"].get<long long>();
    for (auto& p : other["problems"]) problems.push_back(std::move(p));
  }
  std::stable_sort(problems.begin(), problems.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) { return a["q"].get<int>() < b["q"].get<int>(); });
  // 4. Deduplicate, in problem order.
  std::vector<TextExample> texts;
  std::set<std::string> seen;
  long kept = 0, candidates = 0, repetitive = 0, with_tool = 0;
  double greedy_right = 0, hinted_right = 0;
  std::string dump;
  for (const auto& p : problems) {
    const rl::Question& question = questions[p["q"].get<int>()];
    greedy_right += p["greedy_correct"].get<bool>();
    hinted_right += p["hinted_correct"].get<bool>();
    dump += p["dump"].dump() + "\n";
    if (!p.contains("candidate")) continue;
    ++candidates;
    if (p["repetitive"].get<bool>()) {
      ++repetitive;
      continue;
    }
    const std::string text = p["text"].get<std::string>();
    if (!seen.insert(question.prompt + "\x1f" + text).second) continue;
    with_tool += p["with_tool"].get<bool>();
    texts.push_back({question.prompt, text, 1.0, question.task->name() + ":hint-rft"});
    ++kept;
  }
  // The inputs of the selection, inspectable: every problem's greedy and hinted trajectory and verdicts.
  const double n = questions.empty() ? 1.0 : static_cast<double>(questions.size());
  if (dist::IsWriter()) {
    util::MakeDirs(data_dir);
    util::WriteFileAtomic(data_dir + "/hint_rft_trajectories.jsonl", dump);
  }
  if (stats) {
    *stats = {{"questions", questions.size()}, {"greedy_accuracy", greedy_right / n},
              {"hinted_accuracy", hinted_right / n}, {"greedy_tool_calls", greedy_calls},
              {"hinted_tool_calls", hinted_calls}, {"hinted_right_greedy_wrong", candidates},
              {"repetitive", repetitive}, {"kept", kept}, {"kept_with_tool_call", with_tool}};
  }
  if (texts.empty()) {
    throw std::runtime_error("Hint-RFT kept no trajectory: no problem was right with hints and wrong without "
                             "(greedy " + std::to_string(greedy_right / n) + ", hinted " +
                             std::to_string(hinted_right / n) + ")");
  }
  return texts;
}

std::vector<TextExample> RftTexts(const SftConfig& settings, const std::string& checkpoint,
                                  const StartOptions& options, bool tools, const std::string& data_dir,
                                  const scoring::CodeGrader& code_grader, nlohmann::json* stats) {
  rl::RejectionSamplingOptions rs;
  rs.tasks = StartTasks(settings, options.tasks);
  rs.questions = options.questions;
  rs.k = options.samples;
  rs.keep = options.keep;
  rs.temperature = options.temperature;
  rs.top_p = options.top_p;
  rs.max_new_tokens = MaxNewTokens(settings, options);
  rs.seed = settings.seed;
  rs.include_gold = false;
  rs.repetition_ngram = options.repetition_ngram;
  rs.max_repeats = options.max_repeats;
  rs.code_grader = code_grader;
  long long tool_calls = 0;
  if (tools) {
    const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(checkpoint);
    rs.generate = [tok, &tool_calls](Engine& engine, const std::vector<GenerateRequest>& requests) {
      HintInferOptions hint;
      hint.rounds = 0;
      ToolGeneration g = GenerateWithTools(engine, tok, requests, hint);
      tool_calls += g.tool_calls;
      return std::move(g.results);
    };
  }
  std::vector<TextExample> texts = rl::RejectionSampledTexts(settings, checkpoint, rs, data_dir, stats);
  if (stats) (*stats)["tool_calls"] = tool_calls;
  for (auto& t : texts) t.source += tools ? ":rft" : ":rft-no-tool";
  if (texts.empty()) throw std::runtime_error("RFT kept no sample: none of the samples was correct");
  return texts;
}

}  // namespace trainers::start
