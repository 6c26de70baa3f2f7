// HF-layout checkpoint directories: save and load.
#include "trainers/checkpoint/hf_checkpoint.h"

#include <set>

#include <ATen/ATen.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/safetensors.h"

namespace trainers {
namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string ShapeString(at::IntArrayRef shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

void SaveModelWeights(LlamaForCausalLM& model, const std::string& path) {
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    tensors.emplace_back(item.key(), item.value());
  }
  WriteSafetensors(path, tensors, {{"format", "pt"}});
}

void LoadModelWeights(LlamaForCausalLM& model, const std::string& path) {
  SafetensorsFile file = ReadSafetensors(path);
  auto params = model->named_parameters(/*recurse=*/true);
  std::set<std::string> expected;
  for (const auto& item : params) expected.insert(item.key());
  for (const auto& [name, tensor] : file.tensors) {
    if (expected.count(name) || EndsWith(name, "rotary_emb.inv_freq")) continue;
    if (name == "lm_head.weight" && model->config().tie_word_embeddings) continue;
    throw util::InputError(util::Location{path, 0, name},
                           "tensor not in this model (config.json and weights disagree?)");
  }
  at::NoGradGuard no_grad;
  for (auto& item : params) {
    auto it = file.tensors.find(item.key());
    if (it == file.tensors.end()) {
      throw util::InputError(util::Location{path, 0, item.key()}, "missing tensor, expected shape " +
                                                                     ShapeString(item.value().sizes()));
    }
    const at::Tensor& src = it->second;
    if (src.sizes() != item.value().sizes()) {
      throw util::InputError(util::Location{path, 0, item.key()},
                             "shape " + ShapeString(src.sizes()) + " but the model expects " +
                                 ShapeString(item.value().sizes()));
    }
    if (!at::isFloatingType(src.scalar_type())) {
      throw util::InputError(util::Location{path, 0, item.key()},
                             std::string("expected a floating-point tensor, got ") + c10::toString(src.scalar_type()));
    }
    item.value().copy_(src);  // copy_ casts dtype and moves to the parameter's device
  }
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

ModelConfig ReadCheckpointConfig(const std::string& dir) {
  const std::string path = dir + "/config.json";
  if (!util::FileExists(path)) {
    throw util::InputError(util::Location{path, 0, ""}, "no config.json: not a checkpoint directory");
  }
  return FromHfConfigJson(util::ReadJsonFile(path), path);
}

GenerationDefaults ReadGenerationDefaults(const std::string& dir) {
  GenerationDefaults out;
  const std::string path = dir + "/generation_config.json";
  if (!util::FileExists(path)) return out;
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
  return out;
}

LlamaForCausalLM LoadCheckpoint(const std::string& dir, const RuntimeConfig& runtime) {
  const ModelConfig config = ReadCheckpointConfig(dir);
  SetTorchThreads(runtime.threads);
  const auto device = ResolveDevice(runtime.device);
  const auto dtype = ResolveDtype(runtime.dtype);
  LlamaForCausalLM model(config);
  model->to(device, dtype);
  LoadModelWeights(model, dir + "/model.safetensors");
  model->eval();
  return model;
}

}  // namespace trainers
