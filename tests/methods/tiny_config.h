// The tiny SFT configuration the trainer tests share: a 2-layer, 32-wide model on 48 synthetic GSM8K problems.
#pragma once

#include <nlohmann/json.hpp>

#include "trainers/sft/sft_config.h"

namespace test_support {

// `overrides` are merged over the shared settings before validation.
inline trainers::SftConfig TinySftConfig(const nlohmann::json& overrides = nlohmann::json::object()) {
  nlohmann::json j = {
      {"preset", "nano"},
      {"model_overrides", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
                           {"num_attention_heads", 2}, {"num_key_value_heads", 1}}},
      {"tokenizer_vocab", 320},
      {"train", {{{"task", "gsm8k"}, {"synthetic_n", 48}, {"synthetic_seed", 3}}}},
      {"batch_size", 4}, {"grad_accum", 2}, {"max_steps", 12}, {"warmup_steps", 2}, {"lr", 0.01},
      {"log_every", 2}, {"save_every", 0}, {"seed", 5}, {"threads", 1}};
  j.update(overrides);
  return trainers::SftConfigFromJson(j, "tiny");
}

}  // namespace test_support
