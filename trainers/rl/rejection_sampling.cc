#include "trainers/rl/rejection_sampling.h"

#include <set>

#include <torch/torch.h>

#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/rl/rollout.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::rl {

std::vector<TextExample> RejectionSampledTexts(const SftConfig& settings, const std::string& checkpoint,
                                               const RejectionSamplingOptions& options,
                                               const std::string& data_dir, nlohmann::json* stats) {
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(checkpoint);
  LlamaForCausalLM model = LoadCheckpoint(checkpoint, RuntimeConfig{settings.device, "float32", settings.threads});
  RolloutOptions rollout;
  rollout.samples = options.k;
  rollout.temperature = options.temperature;
  rollout.max_new_tokens = options.max_new_tokens;
  rollout.seed = options.seed;
  const GradedSamples graded = SampleAndGrade(model, tok, settings, options.tasks, options.questions, rollout, data_dir);
  const std::vector<Question>& questions = graded.questions;
  const std::vector<Sample>& samples = graded.samples;
  const std::vector<Reward>& rewards = graded.rewards;

  std::vector<TextExample> texts;
  for (const Question& q : questions) {
    if (!q.gold_completion.empty()) texts.push_back({q.prompt, q.gold_completion, 1.0, q.task->name()});
  }
  std::vector<std::set<std::string>> seen(questions.size());
  long correct = 0, kept = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!rewards[i].correct) continue;
    ++correct;
    const int q = samples[i].question;
    // The text as trained on: the decoded response without its EOS (TokenizeExamples appends one).
    std::vector<int> ids = samples[i].response_ids;
    if (!ids.empty() && ids.back() == tok.eos_id()) ids.pop_back();
    const std::string text = tok.Decode(ids, /*skip_special_tokens=*/false);
    if (text == questions[q].gold_completion) continue;  // already in as the gold text
    if (static_cast<int>(seen[q].size()) >= options.keep || !seen[q].insert(text).second) continue;
    texts.push_back({questions[q].prompt, text, 1.0, questions[q].task->name() + ":sampled"});
    ++kept;
  }
  if (stats) {
    *stats = {{"questions", questions.size()}, {"samples", samples.size()}, {"correct", correct}, {"kept", kept},
              {"sample_accuracy", samples.empty() ? 0.0 : static_cast<double>(correct) / samples.size()}};
  }
  return texts;
}

}  // namespace trainers::rl
