// Reading and writing Hugging Face's tokenizer.json for byte-level BPE. Only configurations this
// implementation reproduces exactly are accepted; anything else is an InputError naming the field,
// never a tokenizer that silently encodes differently from HF.
#include <map>
#include <stdexcept>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/tokenizer/tokenizer.h"

namespace tokenizer {
namespace {

using util::Json;
using util::Location;

[[noreturn]] void Fail(const std::string& path, const std::string& field, const std::string& msg) {
  throw util::InputError(Location{path, 0, field}, msg);
}

bool IsNullOrAbsent(const Json& object, const char* key) {
  return !object.contains(key) || object.at(key).is_null();
}

bool BoolOr(const Json& object, const char* key, bool fallback, const std::string& path,
            const std::string& field) {
  if (IsNullOrAbsent(object, key)) return fallback;
  if (!object.at(key).is_boolean()) Fail(path, field + "." + key, "expected true or false");
  return object.at(key).get<bool>();
}

// Type name of an HF component ("ByteLevel", ...), or "" when the field is null or absent.
std::string ComponentType(const Json& root, const char* key, const std::string& path) {
  if (IsNullOrAbsent(root, key)) return "";
  const Json& c = root.at(key);
  if (!c.is_object() || !c.contains("type") || !c.at("type").is_string()) {
    Fail(path, key, "expected an object with a string 'type'");
  }
  return c.at("type").get<std::string>();
}

void CheckComponents(const Json& root, const std::string& path) {
  if (!IsNullOrAbsent(root, "normalizer")) {
    Fail(path, "normalizer", "normalizers are not supported (only byte-level BPE without one)");
  }
  const std::string pre = ComponentType(root, "pre_tokenizer", path);
  if (pre != "ByteLevel") {
    Fail(path, "pre_tokenizer", "expected type ByteLevel, got '" + (pre.empty() ? "null" : pre) + "'");
  }
  const Json& p = root.at("pre_tokenizer");
  if (BoolOr(p, "add_prefix_space", true, path, "pre_tokenizer")) {
    Fail(path, "pre_tokenizer.add_prefix_space", "only add_prefix_space=false is supported");
  }
  if (!BoolOr(p, "use_regex", true, path, "pre_tokenizer")) {
    Fail(path, "pre_tokenizer.use_regex", "only use_regex=true (the GPT-2 pattern) is supported");
  }
  const std::string dec = ComponentType(root, "decoder", path);
  if (dec != "ByteLevel") {
    Fail(path, "decoder", "expected type ByteLevel, got '" + (dec.empty() ? "null" : dec) + "'");
  }
  // A ByteLevel post-processor only adjusts offsets; anything else (templates adding bos/eos)
  // would change the ids HF returns.
  const std::string post = ComponentType(root, "post_processor", path);
  if (!post.empty() && post != "ByteLevel") {
    Fail(path, "post_processor", "post-processor '" + post + "' is not supported");
  }
}

void CheckModelOptions(const Json& model, const std::string& path) {
  if (model.contains("type") && model.at("type") != "BPE") {
    Fail(path, "model.type", "expected BPE, got " + model.at("type").dump());
  }
  if (!IsNullOrAbsent(model, "dropout")) Fail(path, "model.dropout", "BPE dropout is not supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!IsNullOrAbsent(model, key) &&
        !(model.at(key).is_string() && model.at(key).get<std::string>().empty())) {
      Fail(path, std::string("model.") + key, "not supported for byte-level BPE");
    }
  }
  if (BoolOr(model, "byte_fallback", false, path, "model")) {
    Fail(path, "model.byte_fallback", "byte_fallback is not supported");
  }
}

}  // namespace

Tokenizer Tokenizer::Load(const std::string& path) {
  const Json root = util::ReadJsonFile(path);
  if (!root.is_object()) Fail(path, "", "expected a JSON object (a tokenizer.json)");
  if (!root.contains("model") || !root.at("model").is_object()) {
    Fail(path, "model", "missing or not an object");
  }
  const Json& model = root.at("model");
  CheckModelOptions(model, path);
  CheckComponents(root, path);

  // id -> token from model.vocab and added_tokens together; ids must end up dense.
  std::map<int, std::string> by_id;
  std::map<std::string, int> by_token;
  const auto add = [&](const std::string& token, long long id, const std::string& field) {
    if (id < 0 || id > 100000000) Fail(path, field, "id " + std::to_string(id) + " out of range");
    auto t = by_token.find(token);
    if (t != by_token.end()) {
      if (t->second != id) {
        Fail(path, field, "token '" + token + "' has ids " + std::to_string(t->second) + " and " +
                              std::to_string(id));
      }
      return;
    }
    if (!by_id.emplace(static_cast<int>(id), token).second) {
      Fail(path, field, "id " + std::to_string(id) + " is used by '" + by_id[id] + "' and '" +
                            token + "'");
    }
    by_token.emplace(token, static_cast<int>(id));
  };
  if (!model.contains("vocab") || !model.at("vocab").is_object()) {
    Fail(path, "model.vocab", "missing or not an object of token -> id");
  }
  for (const auto& [token, id] : model.at("vocab").items()) {
    if (!id.is_number_integer()) Fail(path, "model.vocab", "id of '" + token + "' is not an integer");
    add(token, id.get<long long>(), "model.vocab");
  }

  Parts parts;
  if (root.contains("added_tokens") && !root.at("added_tokens").is_null()) {
    const Json& added = root.at("added_tokens");
    if (!added.is_array()) Fail(path, "added_tokens", "expected an array");
    for (size_t i = 0; i < added.size(); ++i) {
      const std::string field = "added_tokens[" + std::to_string(i) + "]";
      const Json& a = added[i];
      if (!a.is_object()) Fail(path, field, "expected an object");
      if (!a.contains("id") || !a.at("id").is_number_integer()) {
        Fail(path, field + ".id", "missing or not an integer");
      }
      if (!a.contains("content") || !a.at("content").is_string() ||
          a.at("content").get<std::string>().empty()) {
        Fail(path, field + ".content", "missing, empty or not a string");
      }
      for (const char* key : {"single_word", "lstrip", "rstrip"}) {
        if (BoolOr(a, key, false, path, field)) {
          Fail(path, field + "." + key, "added-token option not supported (must be false)");
        }
      }
      const std::string content = a.at("content").get<std::string>();
      const int id = static_cast<int>(a.at("id").get<long long>());
      add(content, id, field);
      parts.added_ids.push_back(id);
      if (BoolOr(a, "special", false, path, field)) parts.special_ids.push_back(id);
    }
  }

  const int n = by_id.empty() ? 0 : by_id.rbegin()->first + 1;
  if (static_cast<int>(by_id.size()) != n) {
    for (int id = 0; id < n; ++id) {
      if (!by_id.count(id)) Fail(path, "model.vocab", "no token has id " + std::to_string(id));
    }
  }
  parts.vocab.reserve(n);
  for (auto& [id, token] : by_id) parts.vocab.push_back(token);

  if (!model.contains("merges") || !model.at("merges").is_array()) {
    Fail(path, "model.merges", "missing or not an array");
  }
  const Json& merges = model.at("merges");
  parts.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string field = "model.merges[" + std::to_string(i) + "]";
    std::string left, right;
    const Json& m = merges[i];
    if (m.is_string()) {  // "left right" (tokenizers < 0.20 and most published files)
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        Fail(path, field, "expected \"left right\", got \"" + s + "\"");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      Fail(path, field, "expected a string \"left right\" or a pair [left, right]");
    }
    auto l = by_token.find(left);
    auto r = by_token.find(right);
    if (l == by_token.end() || r == by_token.end()) {
      Fail(path, field, "merge names unknown token '" + (l == by_token.end() ? left : right) + "'");
    }
    parts.merges.emplace_back(l->second, r->second);
  }
  parts.ignore_merges = BoolOr(model, "ignore_merges", false, path, "model");

  try {
    return FromParts(std::move(parts));
  } catch (const std::invalid_argument& e) {
    Fail(path, "model", e.what());
  }
}

std::string Tokenizer::ToJson() const {
  using OJson = nlohmann::ordered_json;
  OJson added = OJson::array();
  for (int id = 0; id < vocab_size(); ++id) {
    if (!is_added_[id]) continue;
    added.push_back(OJson{{"id", id},
                          {"content", id_to_token_[id]},
                          {"single_word", false},
                          {"lstrip", false},
                          {"rstrip", false},
                          {"normalized", !is_special_[id]},
                          {"special", static_cast<bool>(is_special_[id])}});
  }
  OJson vocab = OJson::object();
  for (int id = 0; id < vocab_size(); ++id) vocab[id_to_token_[id]] = id;
  // Merges as "left right" strings, which every tokenizers version reads, unless a token holds a
  // space (not byte-level form); then as [left, right] pairs (tokenizers >= 0.20).
  bool pairs = false;
  for (const auto& [a, b] : merges_) {
    if (id_to_token_[a].find(' ') != std::string::npos ||
        id_to_token_[b].find(' ') != std::string::npos) {
      pairs = true;
    }
  }
  OJson merges = OJson::array();
  for (const auto& [a, b] : merges_) {
    if (pairs) {
      merges.push_back(OJson::array({id_to_token_[a], id_to_token_[b]}));
    } else {
      merges.push_back(id_to_token_[a] + " " + id_to_token_[b]);
    }
  }
  OJson model{{"type", "BPE"},
              {"dropout", nullptr},
              {"unk_token", nullptr},
              {"continuing_subword_prefix", nullptr},
              {"end_of_word_suffix", nullptr},
              {"fuse_unk", false},
              {"byte_fallback", false}};
  if (ignore_merges_) model["ignore_merges"] = true;
  model["vocab"] = std::move(vocab);
  model["merges"] = std::move(merges);
  const OJson byte_level{{"type", "ByteLevel"},
                         {"add_prefix_space", false},
                         {"trim_offsets", true},
                         {"use_regex", true}};
  OJson root{{"version", "1.0"},
             {"truncation", nullptr},
             {"padding", nullptr},
             {"added_tokens", std::move(added)},
             {"normalizer", nullptr},
             {"pre_tokenizer", byte_level},
             {"post_processor", nullptr},
             {"decoder", byte_level},
             {"model", std::move(model)}};
  return root.dump(2) + "\n";
}

void Tokenizer::Save(const std::string& path) const { util::WriteFileAtomic(path, ToJson()); }

}  // namespace tokenizer
