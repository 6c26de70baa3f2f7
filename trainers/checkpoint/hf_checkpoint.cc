// HF-layout checkpoint directories: save and load.
#include "trainers/checkpoint/hf_checkpoint.h"

#include <ATen/ATen.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/gguf_model.h"
#include "trainers/checkpoint/safetensors.h"
#include "trainers/checkpoint/weights.h"

namespace trainers {
void SaveModelWeights(LlamaForCausalLM& model, const std::string& path) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(item.key(), item.value());
  }
  WriteSafetensors(path, tensors, {{"format", "pt"}});
}

void LoadModelWeights(LlamaForCausalLM& model, const std::string& path) {
  CopyWeights(model, SafetensorsFileWeights(path));
}

void SaveCheckpoint(const std::string& dir, LlamaForCausalLM& model, const std::string& tokenizer_json,
                    const GenerationDefaults& generation) {
  util::MakeDirs(dir);
  const ModelConfig& c = model->config();
  auto config_json = ToHfConfigJson(c, DtypeName(model->options().dtype().toScalarType()));
  config_json["transformers_version"] = "4.36.2";  // the version our compatibility test loads with
  util::WriteFileAtomic(dir + "/config.json", config_json.dump(2) + "\n");
  SaveModelWeights(model, dir + "/model.safetensors");
  auto id_or_null = [](int id) { return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id); };
  nlohmann::json gen = {
      {"bos_token_id", id_or_null(c.bos_token_id)}, {"eos_token_id", id_or_null(c.eos_token_id)},
      {"pad_token_id", id_or_null(c.pad_token_id)}, {"max_new_tokens", generation.max_new_tokens},
      {"do_sample", generation.do_sample},          {"temperature", generation.temperature},
      {"top_p", generation.top_p},                  {"top_k", generation.top_k},
  };
  util::WriteFileAtomic(dir + "/generation_config.json", gen.dump(2) + "\n");
  if (!tokenizer_json.empty()) util::WriteFileAtomic(dir + "/tokenizer.json", tokenizer_json);
}

void SaveCheckpoint(const std::string& dir, LlamaForCausalLM& model, const tokenizer::Tokenizer& tok,
                    const GenerationDefaults& generation) {
  SaveCheckpoint(dir, model, tok.ToJson(), generation);
  util::WriteFileAtomic(dir + "/tokenizer_config.json", tok.ToConfigJson());
}

bool IsGgufPath(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0;
}

ModelConfig ReadCheckpointConfig(const std::string& dir) {
  if (IsGgufPath(dir)) return GgufModelConfig(GgufFile::Open(dir));
  const std::string path = dir + "/config.json";
  if (!util::FileExists(path)) {
    throw util::InputError(util::Location{path, 0, ""}, "no config.json: not a checkpoint directory");
  }
  return FromHfConfigJson(util::ReadJsonFile(path), path);
}

GenerationDefaults ReadGenerationDefaults(const std::string& dir) {
  GenerationDefaults out;
  const std::string path = dir + "/generation_config.json";
  if (IsGgufPath(dir) || !util::FileExists(path)) return out;
  const auto json = util::ReadJsonFile(path);
  auto number = [&](const char* key, auto* value) {
    auto it = json.find(key);
    if (it == json.end() || it->is_null()) return;
    if (!it->is_number()) throw util::InputError(util::Location{path, 0, key}, "expected a number");
    *value = it->get<std::decay_t<decltype(*value)>>();
  };
  number("max_new_tokens", &out.max_new_tokens);
  number("temperature", &out.temperature);
  number("top_p", &out.top_p);
  number("top_k", &out.top_k);
  if (json.contains("do_sample") && json["do_sample"].is_boolean()) out.do_sample = json["do_sample"];
  if (json.contains("eos_token_id") && !json["eos_token_id"].is_null()) {  // an id or a list of ids
    const auto& eos = json["eos_token_id"];
    for (const auto& id : eos.is_array() ? eos : nlohmann::json::array({eos})) {
      if (!id.is_number_integer()) throw util::InputError(util::Location{path, 0, "eos_token_id"}, "expected token ids");
      out.eos_token_ids.push_back(id.get<int>());
    }
  }
  return out;
}

LlamaForCausalLM LoadCheckpoint(const std::string& path, const RuntimeConfig& runtime) {
  std::unique_ptr<GgufFile> gguf;
  if (IsGgufPath(path)) gguf = std::make_unique<GgufFile>(GgufFile::Open(path));
  const ModelConfig config = gguf ? GgufModelConfig(*gguf) : ReadCheckpointConfig(path);
  SetTorchThreads(runtime.threads);
  const auto device = ResolveDevice(runtime.device);
  const auto dtype = ResolveDtype(runtime.dtype);
  LlamaForCausalLM model(config);
  model->to(device, dtype);
  CopyWeights(model, gguf ? GgufWeights(*gguf, config) : SafetensorsWeights(path));
  model->eval();
  return model;
}

tokenizer::Tokenizer LoadCheckpointTokenizer(const std::string& path) {
  if (IsGgufPath(path)) return GgufTokenizer(GgufFile::Open(path));
  return tokenizer::Tokenizer::LoadDir(path);
}

}  // namespace trainers
