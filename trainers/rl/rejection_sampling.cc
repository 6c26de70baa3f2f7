#include "trainers/rl/rejection_sampling.h"

#include <map>
#include <set>
#include <sstream>

#include <torch/torch.h>

#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/rl/rollout.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers::rl {

bool HasRepeatedNgram(const std::string& text, int ngram, int max_repeats) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  if (ngram < 1 || static_cast<int>(words.size()) < ngram) return false;
  std::map<std::string, int> counts;
  for (size_t i = 0; i + ngram <= words.size(); ++i) {
    std::string key;
    for (int j = 0; j < ngram; ++j) key += words[i + j] + '\x1f';
    if (++counts[key] > max_repeats) return true;
  }
  return false;
}

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
  rollout.top_p = options.top_p;
  rollout.generate = options.generate;
  const GradedSamples graded = SampleAndGrade(model, tok, settings, options.tasks, options.questions, rollout, data_dir,
                                              options.code_grader);
  const std::vector<Question>& questions = graded.questions;
  const std::vector<Sample>& samples = graded.samples;
  const std::vector<Reward>& rewards = graded.rewards;

  std::vector<TextExample> texts;
  for (const Question& q : questions) {
    if (options.include_gold && !q.gold_completion.empty()) texts.push_back({q.prompt, q.gold_completion, 1.0, q.task->name()});
  }
  std::vector<std::set<std::string>> seen(questions.size());
  long correct = 0, kept = 0, repetitive = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (!rewards[i].correct) continue;
    ++correct;
    const int q = samples[i].question;
    // The text as trained on: the decoded response without its EOS (TokenizeExamples appends one).
    std::vector<int> ids = samples[i].response_ids;
    if (!ids.empty() && ids.back() == tok.eos_id()) ids.pop_back();
    const std::string text = tok.Decode(ids, /*skip_special_tokens=*/false);
    if (options.include_gold && text == questions[q].gold_completion) continue;  // already in as the gold text
    if (options.repetition_ngram > 0 && HasRepeatedNgram(text, options.repetition_ngram, options.max_repeats)) {
      ++repetitive;
      continue;
    }
    if (static_cast<int>(seen[q].size()) >= options.keep || !seen[q].insert(text).second) continue;
    texts.push_back({questions[q].prompt, text, 1.0, questions[q].task->name() + ":sampled"});
    ++kept;
  }
  if (stats) {
    *stats = {{"questions", questions.size()}, {"samples", samples.size()}, {"correct", correct}, {"kept", kept},
              {"repetitive", repetitive},
              {"sample_accuracy", samples.empty() ? 0.0 : static_cast<double>(correct) / samples.size()}};
  }
  return texts;
}

}  // namespace trainers::rl
