#include "trainers/crlft/crlft.h"

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"

namespace trainers {

const util::Fields<CrlftOptions>& CrlftOptionsFields() {
  using O = CrlftOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("expert_share", &O::expert_share, "share of problems solved by the expert source (OpenChat: ~0.09)",
           util::InRange(0.0, 1.0))
        .Add("suboptimal", &O::suboptimal, "sub-optimal solutions per sub-optimal problem", util::InRange(1, 16))
        .Add("wrong_rate", &O::wrong_rate, "probability that a sub-optimal solution's answer is wrong",
             util::InRange(0.0, 1.0))
        .Add("flaws", &O::flaws,
             "flaw kinds drawn: arithmetic_slip, wrong_answer, skipped_step, sloppy_format (empty = all)")
        .Add("include_suboptimal", &O::include_suboptimal, "false: train on the expert slice only")
        .Add("expert_weight", &O::expert_weight, "loss weight of expert solutions (coarse reward 1)",
             util::AtLeast(0.0))
        .Add("suboptimal_weight", &O::suboptimal_weight, "loss weight of sub-optimal solutions (alpha)",
             util::AtLeast(0.0))
        .Add("condition", &O::condition, "prefix each training prompt with its source's condition")
        .Add("condition_form", &O::condition_form,
             "token: <|gpt4|>/<|gpt3|> special tokens; text: OpenChat's \"GPT4 User: \"/\"GPT3 User: \"",
             util::OneOf({"token", "text"}))
        .Add("inference_condition", &O::inference_condition, "condition evaluation prompts carry",
             util::OneOf({"expert", "suboptimal"}));
    f->Rule([](const O& o) {
      return o.expert_weight + o.suboptimal_weight > 0 ? util::Ok()
                                                       : util::RuleFailure{"expert_weight", "some weight must be > 0"};
    });
    f->Rule([](const O& o) {
      // The generator's own check of the flaw kinds against the wrong rate.
      tasks::synth::SynthOptions knobs;
      knobs.task = "gsm8k";
      knobs.wrong_rate = o.wrong_rate;
      knobs.flaws = o.flaws;
      try {
        tasks::synth::ValidateOptions(knobs);
      } catch (const util::InputError& e) {
        return util::RuleFailure{e.where().field, e.detail()};
      }
      return util::Ok();
    });
    return f;
  }();
  return *fields;
}

std::string ConditionPrefix(const std::string& form, const std::string& source) {
  const bool expert = source == "expert";
  // Token form: one special token each, named after OpenChat's sources (GPT-4 expert, GPT-3.5
  // sub-optimal). Text form: the role prefixes of OpenChat's paper-era code
  // (ochat/config/model_config.py, _v3_2_conditional_prefix).
  if (form == "token") return expert ? "<|gpt4|>" : "<|gpt3|>";
  return expert ? "GPT4 User: " : "GPT3 User: ";
}

bool InExpertSlice(const std::string& record_id, uint64_t seed, double expert_share) {
  util::SplitMix64 rng(seed ^ util::Fnv1a64(record_id, 0xc41f7));
  return rng.Uniform() < expert_share;
}

std::vector<TextExample> CrlftTexts(const DataSource& source, const CrlftOptions& options,
                                    const std::string& data_dir) {
  DataSource mixed = source;
  mixed.style = "mixed";
  mixed.suboptimal = options.suboptimal;
  mixed.wrong_rate = options.wrong_rate;
  mixed.flaws = options.flaws;
  mixed.tool_share = 0;  // C-RLFT's own expert/sub-optimal data: START's tool solutions are not drawn
  std::vector<std::vector<std::string>> solutions, sources;
  const std::vector<tasks::Record> records = LoadSourceRecords(mixed, "train", data_dir, &solutions, &sources);
  const tasks::Task& task = tasks::FindTask(source.task);
  tasks::PromptOptions prompt_options;
  prompt_options.template_name = source.template_name.empty() ? task.templates().front() : source.template_name;
  std::vector<TextExample> out;
  for (size_t i = 0; i < records.size(); ++i) {
    if (records[i].broken) continue;
    const std::string prompt = task.RenderPrompt(records[i], prompt_options);
    const std::string wanted = InExpertSlice(records[i].id, source.synthetic_seed, options.expert_share)
                                   ? "expert" : "suboptimal";
    if (wanted == "suboptimal" && !options.include_suboptimal) continue;
    for (size_t s = 0; s < solutions[i].size(); ++s) {
      if (sources[i][s] != wanted) continue;
      const std::string prefix = options.condition ? ConditionPrefix(options.condition_form, wanted) : "";
      const double weight = wanted == "expert" ? options.expert_weight : options.suboptimal_weight;
      out.push_back({prefix + prompt, solutions[i][s], weight, source.task + ":" + wanted});
    }
  }
  return out;
}

}  // namespace trainers
