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

void CheckByteLevel(const Json& p, const std::string& path, const std::string& field, bool use_regex) {
  if (BoolOr(p, "add_prefix_space", true, path, field)) {
    Fail(path, field + ".add_prefix_space", "only add_prefix_space=false is supported");
  }
  if (BoolOr(p, "use_regex", true, path, field) != use_regex) {
    Fail(path, field + ".use_regex", use_regex ? "only use_regex=true (the GPT-2 pattern) is supported here"
                                               : "expected use_regex=false after a Split pre-tokenizer");
  }
}

std::string TypeOf(const Json& c) {
  return c.is_object() && c.contains("type") && c.at("type").is_string() ? c.at("type").get<std::string>() : "";
}

// The pre-tokenizers of pretokenize.h, as HF writes them: ByteLevel (GPT-2 regex);
// Sequence[Digits(individual_digits), ByteLevel]; Sequence[Split(Llama-3 or Qwen2 regex, Isolated),
// ByteLevel(use_regex=false)].
PreTokenizer ReadPreTokenizer(const Json& root, const std::string& path) {
  const std::string supported =
      "supported: ByteLevel; Sequence[Digits(individual_digits), ByteLevel]; Sequence[Split(Llama-3 or Qwen2 "
      "regex), ByteLevel(use_regex=false)]";
  const std::string type = ComponentType(root, "pre_tokenizer", path);
  if (type.empty()) Fail(path, "pre_tokenizer", "missing or null; a byte-level BPE needs one (" + supported + ")");
  const Json& p = root.at("pre_tokenizer");
  if (type == "ByteLevel") {
    CheckByteLevel(p, path, "pre_tokenizer", /*use_regex=*/true);
    return PreTokenizer::kGpt2;
  }
  if (type != "Sequence" || !p.contains("pretokenizers") || !p.at("pretokenizers").is_array() ||
      p.at("pretokenizers").size() != 2) {
    Fail(path, "pre_tokenizer", "pre-tokenizer '" + (type.empty() ? "null" : type) + "' is not supported (" +
                                    supported + ")");
  }
  const Json& first = p.at("pretokenizers")[0];
  const Json& second = p.at("pretokenizers")[1];
  if (TypeOf(second) != "ByteLevel") Fail(path, "pre_tokenizer.pretokenizers[1]", supported);
  if (TypeOf(first) == "Digits") {
    if (!BoolOr(first, "individual_digits", false, path, "pre_tokenizer.pretokenizers[0]")) {
      Fail(path, "pre_tokenizer.pretokenizers[0].individual_digits", "only individual_digits=true is supported");
    }
    CheckByteLevel(second, path, "pre_tokenizer.pretokenizers[1]", /*use_regex=*/true);
    return PreTokenizer::kGpt2Digits;
  }
  if (TypeOf(first) == "Split") {
    const std::string field = "pre_tokenizer.pretokenizers[0]";
    const Json pattern = first.value("pattern", Json());
    const std::string regex = pattern.is_object() && pattern.contains("Regex") && pattern.at("Regex").is_string()
                                  ? pattern.at("Regex").get<std::string>() : "";
    if (first.value("behavior", std::string()) != "Isolated" || BoolOr(first, "invert", false, path, field)) {
      Fail(path, field, "only behavior Isolated without invert is supported");
    }
    CheckByteLevel(second, path, "pre_tokenizer.pretokenizers[1]", /*use_regex=*/false);
    if (regex == kLlama3Pattern) return PreTokenizer::kLlama3;
    if (regex == kQwen2Pattern) return PreTokenizer::kQwen2;
    Fail(path, field + ".pattern", "split regex is not one we reproduce (the Llama-3 and Qwen2 patterns)");
  }
  Fail(path, "pre_tokenizer.pretokenizers[0]", supported);
}

// Checks normalizer, decoder and post-processor; returns the bos token a TemplateProcessing
// post-processor prepends ("" when none), which HF adds on every encode (Llama-3).
std::string CheckComponents(const Json& root, const std::string& path) {
  if (!IsNullOrAbsent(root, "normalizer")) {
    Fail(path, "normalizer", "normalizers are not supported (only byte-level BPE without one)");
  }
  const std::string dec = ComponentType(root, "decoder", path);
  if (dec != "ByteLevel") {
    Fail(path, "decoder", "expected type ByteLevel, got '" + (dec.empty() ? "null" : dec) + "'");
  }
  // A ByteLevel post-processor only adjusts offsets; a TemplateProcessing that puts one special token
  // before the sequence is a bos; anything else would change the ids HF returns.
  const std::string post = ComponentType(root, "post_processor", path);
  if (post.empty() || post == "ByteLevel") return "";
  std::vector<Json> steps;
  if (post == "Sequence" && root.at("post_processor").value("processors", Json()).is_array()) {
    for (const Json& step : root.at("post_processor").at("processors")) steps.push_back(step);
  } else {
    steps.push_back(root.at("post_processor"));
  }
  std::string bos;
  for (const Json& step : steps) {
    if (TypeOf(step) == "ByteLevel") continue;
    const Json single = step.value("single", Json());
    const bool bos_then_a = TypeOf(step) == "TemplateProcessing" && single.is_array() && single.size() == 2 &&
                            single[0].contains("SpecialToken") && single[1].contains("Sequence");
    if (!bos_then_a) Fail(path, "post_processor", "post-processor '" + post + "' is not supported");
    bos = single[0]["SpecialToken"].value("id", std::string());
  }
  return bos;
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
  const std::string template_bos = CheckComponents(root, path);

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
  parts.pre_tokenizer = ReadPreTokenizer(root, path);
  parts.bos_token = template_bos;
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
    Tokenizer t = FromParts(std::move(parts));
    t.post_processor_bos_ = !template_bos.empty();
    return t;
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
  const auto byte_level = [](bool use_regex) {
    return OJson{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
  };
  OJson pre_tokenizer = byte_level(true);
  if (pre_tokenizer_ == PreTokenizer::kGpt2Digits) {
    pre_tokenizer = OJson{{"type", "Sequence"},
                          {"pretokenizers", {OJson{{"type", "Digits"}, {"individual_digits", true}}, byte_level(true)}}};
  } else if (pre_tokenizer_ == PreTokenizer::kLlama3 || pre_tokenizer_ == PreTokenizer::kQwen2) {
    const char* regex = pre_tokenizer_ == PreTokenizer::kLlama3 ? kLlama3Pattern : kQwen2Pattern;
    const OJson split{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
    pre_tokenizer = OJson{{"type", "Sequence"}, {"pretokenizers", {split, byte_level(false)}}};
  }
  OJson root{{"version", "1.0"},
             {"truncation", nullptr},
             {"padding", nullptr},
             {"added_tokens", std::move(added)},
             {"normalizer", nullptr},
             {"pre_tokenizer", std::move(pre_tokenizer)},
             {"post_processor", nullptr},
             {"decoder", byte_level(true)},
             {"model", std::move(model)}};
  return root.dump(2) + "\n";
}

void Tokenizer::Save(const std::string& path) const { util::WriteFileAtomic(path, ToJson()); }

std::string Tokenizer::ToConfigJson() const {
  const auto token_or_null = [this](int id) { return id < 0 ? Json(nullptr) : Json(id_to_token_[id]); };
  Json config{{"tokenizer_class", "PreTrainedTokenizerFast"},
              {"bos_token", token_or_null(bos_id_)},
              {"eos_token", token_or_null(eos_id_)},
              {"pad_token", token_or_null(pad_id_)},
              {"add_bos_token", add_bos_},
              {"clean_up_tokenization_spaces", false}};
  if (!chat_template_.empty()) config["chat_template"] = chat_template_;
  return config.dump(2) + "\n";
}

namespace {

// A special-token entry of tokenizer_config.json: a string, {"content": string}, or null.
std::string SpecialTokenText(const Json& config, const char* key, const std::string& path) {
  if (IsNullOrAbsent(config, key)) return "";
  const Json& v = config.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
  Fail(path, key, "expected a token string or {\"content\": string}");
}

// chat_template: a string, or a list of {name, template} of which "default" is taken.
std::string ChatTemplateText(const Json& config, const std::string& path) {
  if (IsNullOrAbsent(config, "chat_template")) return "";
  const Json& v = config.at("chat_template");
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    for (const Json& entry : v) {
      if (entry.is_object() && entry.value("name", std::string()) == "default" && entry.contains("template") &&
          entry.at("template").is_string()) {
        return entry.at("template").get<std::string>();
      }
    }
  }
  Fail(path, "chat_template", "expected a template string or a list holding a \"default\" entry");
}

}  // namespace

Tokenizer Tokenizer::LoadDir(const std::string& dir) {
  const std::string json_path = dir + "/tokenizer.json";
  if (!util::FileExists(json_path)) Fail(json_path, "", "no tokenizer.json in this checkpoint directory");
  const std::string config_path = dir + "/tokenizer_config.json";
  Tokenizer t = Load(json_path);
  if (!util::FileExists(config_path)) return t;
  const Json config = util::ReadJsonFile(config_path);
  if (!config.is_object()) Fail(config_path, "", "expected a JSON object");
  const auto id_of = [&](const char* key, int fallback) {
    const std::string text = SpecialTokenText(config, key, config_path);
    if (text.empty()) return config.contains(key) ? -1 : fallback;
    const int id = t.TokenId(text);
    if (id < 0) Fail(config_path, key, "token '" + text + "' is not in tokenizer.json's vocabulary");
    return id;
  };
  t.bos_id_ = id_of("bos_token", t.bos_id_);
  t.eos_id_ = id_of("eos_token", t.eos_id_);
  t.pad_id_ = id_of("pad_token", t.pad_id_);
  // HF adds bos only through a post-processor (kept: t.add_bos_ from Load) or add_bos_token.
  t.add_bos_ = BoolOr(config, "add_bos_token", false, config_path, "") || t.post_processor_bos_;
  t.chat_template_ = ChatTemplateText(config, config_path);
  t.chat_format_ = RecogniseChatTemplate(t.chat_template_);
  return t;
}

}  // namespace tokenizer
