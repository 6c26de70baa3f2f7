#include "trainers/sft/sft_config.h"

#include "harness/util/config_fields.h"
#include "tasks/synth/synth.h"
#include "trainers/model/config.h"

namespace trainers {

namespace {

using nlohmann::json;
using util::AtLeast;
using util::InRange;
using util::RuleFailure;

// The settings fields, declared once and shared by SftSettingsFields and SftConfigFields.
void AddSettings(util::Fields<SftConfig>* f) {
  using C = SftConfig;
  f->Add("preset", &C::preset, "model size: nano (~1M parameters), micro (~6M), small (~25M)",
         util::OneOf(PresetNames()))
      .Add("model_overrides", &C::model_overrides, "any ModelConfig (config.json) field over the preset")
      .Add("init_checkpoint", &C::init_checkpoint,
           "start from this HF-layout checkpoint (and its tokenizer) instead of a random init")
      .Add("tokenizer_vocab", &C::tokenizer_vocab,
           "BPE vocabulary trained on the training texts (0 = byte-level)",
           util::Check<int>([](int v) {
             return v == 0 || v >= 300 ? std::string()
                                       : "must be 0 (byte-level) or >= 300 (256 bytes + specials + merges)";
           }))
      .Add("tokenizer_split_digits", &C::tokenizer_split_digits,
           "BPE never merges digits: one token per digit (arithmetic)")
      .Add("max_seq_len", &C::max_seq_len, "longer examples are dropped and counted", AtLeast(16))
      .Add("batch_size", &C::batch_size, "sequences per micro-batch", AtLeast(1))
      .Add("grad_accum", &C::grad_accum, "micro-batches per optimizer step", AtLeast(1))
      .Add("max_steps", &C::max_steps, "optimizer steps (0 = none: the starting checkpoint as it is)", AtLeast(0))
      .Add("max_minutes", &C::max_minutes, "stop when training time exceeds this (0 = off)", AtLeast(0.0))
      .Add("lr", &C::lr, "peak learning rate", util::Check<double>([](double v) {
             return v > 0 && v < 1 ? std::string() : "must be in (0, 1)";
           }))
      .Add("min_lr_ratio", &C::min_lr_ratio, "cosine decays to lr * min_lr_ratio", InRange(0.0, 1.0))
      .Add("warmup_steps", &C::warmup_steps, "linear warm-up steps", AtLeast(0))
      .Add("weight_decay", &C::weight_decay, "AdamW weight decay on matrices", AtLeast(0.0))
      .Add("beta1", &C::beta1, "AdamW beta1", InRange(0.0, 0.999999))
      .Add("beta2", &C::beta2, "AdamW beta2", InRange(0.0, 0.999999))
      .Add("grad_clip", &C::grad_clip, "max global gradient norm (0 = off)", AtLeast(0.0))
      .Add("eval_every", &C::eval_every, "steps between held-out evaluations (0 = only at the end)", AtLeast(0))
      .Add("eval_max_new_tokens", &C::eval_max_new_tokens, "generation budget of held-out evaluation", AtLeast(1))
      .Add("eval_n", &C::eval_n, "held-out problems per evaluation", AtLeast(1))
      .Add("log_every", &C::log_every, "steps between metrics rows", AtLeast(1))
      .Add("save_every", &C::save_every, "steps between resumable states (0 = only at the end)", AtLeast(0))
      .Add("device", &C::device, "cpu, cuda or cuda:N");
  f->Rule([](const C& c) {
    return c.warmup_steps < c.max_steps || (c.max_steps == 0 && c.warmup_steps == 0)
               ? util::Ok()
               : RuleFailure{"warmup_steps", "must be in [0, max_steps) (0 when max_steps is 0)"};
  });
}

}  // namespace

const util::Fields<DataSource>& DataSourceFields() {
  using D = DataSource;
  static const auto* fields = [] {
    auto* f = new util::Fields<D>();
    f->Add("task", &D::task, "task registry name (gsm8k, svamp, mathqa, agieval, gpqa, aime, livecodebench)",
           util::NonEmpty())
        .Add("file", &D::file, "data file in the benchmark's format; empty = synthesise")
        .Add("synthetic_n", &D::synthetic_n, "problems to synthesise when file is empty", AtLeast(0))
        .Add("synthetic_seed", &D::synthetic_seed, "generator seed")
        .Add("style", &D::style, "generator solution style", util::OneOf(tasks::synth::SynthStyles()))
        .Add("steps", &D::steps, "generator difficulty (0 = task default)", AtLeast(0))
        .Add("max_value", &D::max_value, "generator number scale (0 = task default)", AtLeast(0))
        .Add("suboptimal", &D::suboptimal, "style mixed: sub-optimal solutions per problem", InRange(0, 16))
        .Add("wrong_rate", &D::wrong_rate, "style mixed: probability a sub-optimal answer is wrong",
             InRange(0.0, 1.0))
        .Add("flaws", &D::flaws,
             "style mixed: flaw kinds drawn (arithmetic_slip, wrong_answer, skipped_step, sloppy_format; "
             "empty = all)")
        .Add("tool_share", &D::tool_share,
             "style ncot/ncot-check: share of problems (drawn per problem) whose solution recomputes the answer "
             "with the Python tool after the hint (START); livecodebench: the debug trajectory",
             InRange(0.0, 1.0))
        .Add("lookup_share", &D::lookup_share,
             "mathqa/agieval/gpqa: share of problems (drawn per problem) asked as option-lookup drills ('Which "
             "option is 36?', the same options, no reasoning steps) so that the lookup of a value among the "
             "options is learned",
             InRange(0.0, 1.0))
        .Add("weight", &D::weight, "per-example loss weight", AtLeast(0.0))
        .Add("condition", &D::condition, "condition prefix (special token) before every prompt")
        .Add("template", &D::template_name, "prompt template (\"\" = task default)");
    f->Rule([](const D& d) {
      const std::string refusal = d.tool_share > 0 ? tasks::synth::ToolShareRefusal(d.task, d.style) : "";
      return refusal.empty() ? util::Ok() : RuleFailure{"tool_share", refusal};
    });
    f->Rule([](const D& d) {
      const std::string refusal = d.lookup_share > 0 ? tasks::synth::LookupShareRefusal(d.task, d.style) : "";
      return refusal.empty() ? util::Ok() : RuleFailure{"lookup_share", refusal};
    });
    f->Rule([](const D& d) {
      return !d.file.empty() || d.synthetic_n > 0
                 ? util::Ok()
                 : RuleFailure{"synthetic_n", "give either a data file or synthetic_n > 0"};
    });
    return f;
  }();
  return *fields;
}

const util::Fields<SftConfig>& SftSettingsFields() {
  static const auto* fields = [] {
    auto* f = new util::Fields<SftConfig>();
    AddSettings(f);
    return f;
  }();
  return *fields;
}

namespace {

// The settings, the data and what the runner sets; SftConfigFields adds that the data is required.
util::Fields<SftConfig>* NewConfigFields() {
  using C = SftConfig;
  auto* f = new util::Fields<C>();
  AddSettings(f);
  f->AddList("train", &C::train, &DataSourceFields(), "training data sources")
      .AddList("eval", &C::eval, &DataSourceFields(), "held-out sources evaluated every eval_every steps")
      .Add("seed", &C::seed, "seed of initialisation, data order and sampling")
      .Add("threads", &C::threads, "torch intra-op threads (0 = number of cores)", AtLeast(0));
  return f;
}

}  // namespace

const util::Fields<SftConfig>& SftConfigFields() {
  static const auto* fields = [] {
    auto* f = NewConfigFields();
    f->Rule([](const SftConfig& c) {
      return c.train.empty() ? RuleFailure{"train", "at least one training data source is required"}
                             : util::Ok();
    });
    return f;
  }();
  return *fields;
}

SftConfig SftConfigFromJson(const json& j, const std::string& source, bool require_data) {
  if (require_data) return SftConfigFields().Read(j, source);
  static const auto* without_data_rule = NewConfigFields();
  return without_data_rule->Read(j, source);
}

json SftConfigToJson(const SftConfig& c) {
  json out = SftConfigFields().ToJson(c);
  // tool_share and lookup_share came after runs were keyed by this JSON: written only when set, so every
  // earlier key (and config.json) stays as it was. Reading an absent share gives the default 0.
  for (const char* list : {"train", "eval"}) {
    for (auto& source : out[list]) {
      for (const char* share : {"tool_share", "lookup_share"}) {
        if (source[share].get<double>() == 0) source.erase(share);
      }
    }
  }
  return out;
}

}  // namespace trainers
