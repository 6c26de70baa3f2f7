#include "trainers/checkpoint/weights.h"

#include <memory>
#include <set>

#include <ATen/ATen.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
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

void CopyWeights(LlamaForCausalLM& model, const WeightSource& source) {
  auto params = model->named_parameters(/*recurse=*/true);
  std::set<std::string> expected;
  for (const auto& item : params) expected.insert(item.key());
  for (const auto& [name, file] : source.files) {
    if (expected.count(name) || EndsWith(name, "rotary_emb.inv_freq")) continue;
    if (name == "lm_head.weight" && model->config().tie_word_embeddings) continue;
    throw util::InputError(util::Location{file, 0, name}, "tensor not in this model (config and weights disagree?)");
  }
  at::NoGradGuard no_grad;
  for (auto& item : params) {
    auto it = source.files.find(item.key());
    if (it == source.files.end()) {
      const std::string where = source.files.empty() ? "" : source.files.begin()->second;
      throw util::InputError(util::Location{where, 0, item.key()},
                             "missing tensor, expected shape " + ShapeString(item.value().sizes()));
    }
    const at::Tensor src = source.get(item.key());
    const util::Location at_tensor{it->second, 0, item.key()};
    if (src.sizes() != item.value().sizes()) {
      throw util::InputError(at_tensor, "shape " + ShapeString(src.sizes()) + " but the model expects " +
                                            ShapeString(item.value().sizes()));
    }
    if (!at::isFloatingType(src.scalar_type())) {
      throw util::InputError(at_tensor, std::string("expected a floating-point tensor, got ") +
                                            c10::toString(src.scalar_type()));
    }
    item.value().copy_(src);  // copy_ casts dtype and moves to the parameter's device
  }
}

WeightSource SafetensorsFileWeights(const std::string& path) {
  auto file = std::make_shared<SafetensorsFile>(ReadSafetensors(path));
  WeightSource source;
  for (const auto& [name, tensor] : file->tensors) source.files[name] = path;
  source.get = [file](const std::string& name) { return file->tensors.at(name); };
  return source;
}

WeightSource SafetensorsWeights(const std::string& dir) {
  const std::string single = dir + "/model.safetensors";
  const std::string index_path = dir + "/model.safetensors.index.json";
  if (util::FileExists(single)) return SafetensorsFileWeights(single);
  WeightSource source;
  if (!util::FileExists(index_path)) {
    throw util::InputError(util::Location{dir, 0, ""},
                           "no model.safetensors or model.safetensors.index.json (sharded) in this directory");
  }
  // Sharded: {"weight_map": {tensor: shard file}}. One shard is held at a time; parameters come in
  // layer order, which is the order shards are written in.
  const util::Json index = util::ReadJsonFile(index_path);
  if (!index.is_object() || !index.contains("weight_map") || !index.at("weight_map").is_object()) {
    throw util::InputError(util::Location{index_path, 0, "weight_map"}, "missing or not an object");
  }
  for (const auto& [name, shard] : index.at("weight_map").items()) {
    if (!shard.is_string() || shard.get<std::string>().find('/') != std::string::npos) {
      throw util::InputError(util::Location{index_path, 0, "weight_map." + name}, "expected a shard file name");
    }
    source.files[name] = dir + "/" + shard.get<std::string>();
  }
  auto held = std::make_shared<std::pair<std::string, SafetensorsFile>>();
  auto files = source.files;
  source.get = [held, files](const std::string& name) {
    const std::string& shard = files.at(name);
    if (held->first != shard) {
      held->second = ReadSafetensors(shard);
      held->first = shard;
    }
    auto it = held->second.tensors.find(name);
    if (it == held->second.tensors.end()) {
      throw util::InputError(util::Location{shard, 0, name}, "the index names this shard but the tensor is not in it");
    }
    return it->second;
  };
  return source;
}

}  // namespace trainers
