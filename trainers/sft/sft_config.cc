#include "trainers/sft/sft_config.h"

#include <sstream>

#include "harness/util/config_json.h"
#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"

namespace trainers {

namespace {

using nlohmann::json;

void Require(bool ok, const std::string& source, const std::string& key,
             const std::string& message) {
  if (!ok) util::ConfigError(source, key, message);
}

}  // namespace

DataSource DataSourceFromJson(const json& j, const std::string& source, const std::string& path) {
  util::RejectUnknownKeys(j,
                          {"task", "file", "synthetic_n", "synthetic_seed", "style", "steps",
                           "max_value", "weight", "condition", "template"},
                          source, path);
  DataSource d;
  util::ReadOptional(j, "task", &d.task, source, path);
  util::ReadOptional(j, "file", &d.file, source, path);
  util::ReadOptional(j, "synthetic_n", &d.synthetic_n, source, path);
  util::ReadOptional(j, "synthetic_seed", &d.synthetic_seed, source, path);
  util::ReadOptional(j, "style", &d.style, source, path);
  util::ReadOptional(j, "steps", &d.steps, source, path);
  util::ReadOptional(j, "max_value", &d.max_value, source, path);
  util::ReadOptional(j, "weight", &d.weight, source, path);
  util::ReadOptional(j, "condition", &d.condition, source, path);
  util::ReadOptional(j, "template", &d.template_name, source, path);
  Require(!d.task.empty(), source, path + "task", "missing required key");
  Require(!d.file.empty() || d.synthetic_n > 0, source, path + "synthetic_n",
          "give either a data file or synthetic_n > 0");
  Require(d.weight >= 0, source, path + "weight", "must be >= 0");
  return d;
}

json DataSourceToJson(const DataSource& d) {
  return {{"task", d.task},
          {"file", d.file},
          {"synthetic_n", d.synthetic_n},
          {"synthetic_seed", d.synthetic_seed},
          {"style", d.style},
          {"steps", d.steps},
          {"max_value", d.max_value},
          {"weight", d.weight},
          {"condition", d.condition},
          {"template", d.template_name}};
}

SftConfig SftConfigFromJson(const json& j, const std::string& source) {
  util::RejectUnknownKeys(j,
                          {"preset",
                           "model_overrides",
                           "init_checkpoint",
                           "tokenizer_vocab",
                           "tokenizer_split_digits",
                           "train",
                           "eval",
                           "max_seq_len",
                           "batch_size",
                           "grad_accum",
                           "max_steps",
                           "max_minutes",
                           "lr",
                           "min_lr_ratio",
                           "warmup_steps",
                           "weight_decay",
                           "beta1",
                           "beta2",
                           "grad_clip",
                           "eval_every",
                           "eval_max_new_tokens",
                           "eval_n",
                           "log_every",
                           "save_every",
                           "seed",
                           "threads",
                           "device"},
                          source, "");
  SftConfig c;
  util::ReadOptional(j, "preset", &c.preset, source, "");
  if (j.contains("model_overrides")) {
    Require(j["model_overrides"].is_object(), source, "model_overrides", "expected an object");
    c.model_overrides = j["model_overrides"];
  }
  util::ReadOptional(j, "init_checkpoint", &c.init_checkpoint, source, "");
  util::ReadOptional(j, "tokenizer_vocab", &c.tokenizer_vocab, source, "");
  util::ReadOptional(j, "tokenizer_split_digits", &c.tokenizer_split_digits, source, "");
  for (const char* list : {"train", "eval"}) {
    if (!j.contains(list)) continue;
    Require(j[list].is_array(), source, list, "expected an array of data sources");
    auto& target = std::string(list) == "train" ? c.train : c.eval;
    for (size_t i = 0; i < j[list].size(); ++i) {
      target.push_back(DataSourceFromJson(j[list][i], source,
                                          std::string(list) + "[" + std::to_string(i) + "]."));
    }
  }
  util::ReadOptional(j, "max_seq_len", &c.max_seq_len, source, "");
  util::ReadOptional(j, "batch_size", &c.batch_size, source, "");
  util::ReadOptional(j, "grad_accum", &c.grad_accum, source, "");
  util::ReadOptional(j, "max_steps", &c.max_steps, source, "");
  util::ReadOptional(j, "max_minutes", &c.max_minutes, source, "");
  util::ReadOptional(j, "lr", &c.lr, source, "");
  util::ReadOptional(j, "min_lr_ratio", &c.min_lr_ratio, source, "");
  util::ReadOptional(j, "warmup_steps", &c.warmup_steps, source, "");
  util::ReadOptional(j, "weight_decay", &c.weight_decay, source, "");
  util::ReadOptional(j, "beta1", &c.beta1, source, "");
  util::ReadOptional(j, "beta2", &c.beta2, source, "");
  util::ReadOptional(j, "grad_clip", &c.grad_clip, source, "");
  util::ReadOptional(j, "eval_every", &c.eval_every, source, "");
  util::ReadOptional(j, "eval_max_new_tokens", &c.eval_max_new_tokens, source, "");
  util::ReadOptional(j, "eval_n", &c.eval_n, source, "");
  util::ReadOptional(j, "log_every", &c.log_every, source, "");
  util::ReadOptional(j, "save_every", &c.save_every, source, "");
  util::ReadOptional(j, "seed", &c.seed, source, "");
  util::ReadOptional(j, "threads", &c.threads, source, "");
  util::ReadOptional(j, "device", &c.device, source, "");
  Require(!c.train.empty(), source, "train", "at least one training data source is required");
  Require(c.batch_size >= 1, source, "batch_size", "must be >= 1");
  Require(c.grad_accum >= 1, source, "grad_accum", "must be >= 1");
  Require(c.max_steps >= 1, source, "max_steps", "must be >= 1");
  Require(c.max_seq_len >= 16, source, "max_seq_len", "must be >= 16");
  Require(c.lr > 0 && c.lr < 1, source, "lr", "must be in (0, 1)");
  Require(c.min_lr_ratio >= 0 && c.min_lr_ratio <= 1, source, "min_lr_ratio", "must be in [0, 1]");
  Require(c.warmup_steps >= 0 && c.warmup_steps < c.max_steps, source, "warmup_steps",
          "must be in [0, max_steps)");
  Require(c.beta1 >= 0 && c.beta1 < 1 && c.beta2 >= 0 && c.beta2 < 1, source, "beta1",
          "betas must be in [0, 1)");
  Require(c.grad_clip >= 0, source, "grad_clip", "must be >= 0");
  Require(c.tokenizer_vocab == 0 || c.tokenizer_vocab >= 300, source, "tokenizer_vocab",
          "must be 0 (byte-level) or >= 300 (256 bytes + specials + merges)");
  Require(c.threads >= 0, source, "threads", "must be >= 0");
  return c;
}

json SftConfigToJson(const SftConfig& c) {
  json train = json::array(), eval = json::array();
  for (const auto& d : c.train) train.push_back(DataSourceToJson(d));
  for (const auto& d : c.eval) eval.push_back(DataSourceToJson(d));
  return {{"preset", c.preset},
          {"model_overrides", c.model_overrides},
          {"init_checkpoint", c.init_checkpoint},
          {"tokenizer_vocab", c.tokenizer_vocab},
          {"tokenizer_split_digits", c.tokenizer_split_digits},
          {"train", train},
          {"eval", eval},
          {"max_seq_len", c.max_seq_len},
          {"batch_size", c.batch_size},
          {"grad_accum", c.grad_accum},
          {"max_steps", c.max_steps},
          {"max_minutes", c.max_minutes},
          {"lr", c.lr},
          {"min_lr_ratio", c.min_lr_ratio},
          {"warmup_steps", c.warmup_steps},
          {"weight_decay", c.weight_decay},
          {"beta1", c.beta1},
          {"beta2", c.beta2},
          {"grad_clip", c.grad_clip},
          {"eval_every", c.eval_every},
          {"eval_max_new_tokens", c.eval_max_new_tokens},
          {"eval_n", c.eval_n},
          {"log_every", c.log_every},
          {"save_every", c.save_every},
          {"seed", c.seed},
          {"threads", c.threads},
          {"device", c.device}};
}

std::string FormatConfigTable(const json& config_json, const std::string& title) {
  std::ostringstream out;
  out << "+----------------------+--------------------------------------------------+\n";
  out << "| " << title << std::string(title.size() < 71 ? 71 - title.size() : 0, ' ') << "|\n";
  out << "+----------------------+--------------------------------------------------+\n";
  for (const auto& [key, value] : config_json.items()) {
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.size() > 48) text = text.substr(0, 45) + "...";
    out << "| " << key << std::string(key.size() < 21 ? 21 - key.size() : 0, ' ') << "| " << text
        << std::string(text.size() < 49 ? 49 - text.size() : 0, ' ') << "|\n";
  }
  out << "+----------------------+--------------------------------------------------+\n";
  return out.str();
}

}  // namespace trainers
