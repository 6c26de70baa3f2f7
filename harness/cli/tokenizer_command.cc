// `harness tokenizer train|encode`: train a byte-level BPE tokenizer on text files and write an HF
// tokenizer.json; encode text with one (or with the plain byte-level fallback).
#include <chrono>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "trainers/tokenizer/tokenizer.h"

namespace cli {
namespace {

struct TrainOptions {
  std::vector<std::string> corpus;
  std::vector<std::string> jsonl_fields;
  std::vector<std::string> specials;
  int vocab_size = 0;
  bool split_digits = false;
  std::string out;
};

// Whole files as texts, or with --jsonl-field the named string fields of every JSONL record.
std::vector<std::string> ReadCorpus(const TrainOptions& opt) {
  std::vector<std::string> texts;
  for (const std::string& path : opt.corpus) {
    if (opt.jsonl_fields.empty()) {
      texts.push_back(util::ReadFile(path));
      if (!util::IsValidUtf8(texts.back())) {
        const size_t at = util::FirstInvalidUtf8(texts.back());
        throw util::InputError(util::Location{path, 0, ""},
                               "invalid UTF-8 at byte " + std::to_string(at));
      }
      continue;
    }
    for (const util::JsonLine& row : util::ReadJsonLines(path)) {
      for (const std::string& field : opt.jsonl_fields) {
        texts.push_back(util::RequireString(row.value, field, util::Location{path, row.line, ""}));
      }
    }
  }
  return texts;
}

int RunTrain(const TrainOptions& opt) {
  const std::vector<std::string> specials =
      opt.specials.empty() ? tokenizer::DefaultSpecialTokens() : opt.specials;
  const std::vector<std::string> texts = ReadCorpus(opt);
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  const auto start = std::chrono::steady_clock::now();
  const tokenizer::Tokenizer tok = tokenizer::TrainBpe(texts, opt.vocab_size, specials,
                                                       tokenizer::BpeOptions{opt.split_digits});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tok.Save(opt.out);
  size_t tokens = 0;
  for (const auto& t : texts) tokens += tok.Encode(t).size();
  std::cout << "wrote " << opt.out << ": vocab " << tok.vocab_size() << " (" << specials.size()
            << " special, 256 byte, " << tok.num_merges() << " merges), trained in "
            << util::FormatNumber(static_cast<int>(seconds * 1000) / 1000.0) << " s on " << bytes
            << " bytes; corpus encodes to " << tokens << " tokens ("
            << util::FormatNumber(tokens ? static_cast<int>(100.0 * bytes / tokens) / 100.0 : 0)
            << " bytes/token)\n";
  return kOk;
}

int RunEncode(const std::string& path, bool byte_level, const std::string& text, bool as_json) {
  if (path.empty() == !byte_level) {
    throw util::InputError(util::Location{"", 0, "--tokenizer"},
                           "give exactly one of --tokenizer FILE or --byte-level");
  }
  const tokenizer::Tokenizer tok = byte_level
                                       ? tokenizer::Tokenizer::ByteLevel(
                                             tokenizer::DefaultSpecialTokens())
                                       : tokenizer::Tokenizer::Load(path);
  const std::vector<int> ids = tok.Encode(text);
  if (as_json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (int id : ids) tokens.push_back(tok.TokenText(id));
    const nlohmann::json out{{"ids", ids}, {"tokens", tokens}, {"num_tokens", ids.size()}};
    std::cout << out.dump() << "\n";
    return kOk;
  }
  for (size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
  std::cout << "\n";
  return kOk;
}

}  // namespace

void RegisterTokenizerCommand(CLI::App& app, Action* selected) {
  auto* cmd = app.add_subcommand("tokenizer", "Train or apply a byte-level BPE tokenizer");
  cmd->require_subcommand(1);

  auto train = std::make_shared<TrainOptions>();
  auto* t = cmd->add_subcommand(
      "train", "Train BPE merges on text and write a Hugging Face tokenizer.json");
  t->add_option("--corpus", train->corpus, "Corpus files (UTF-8 text, or JSONL with --jsonl-field)")
      ->required()
      ->check(CLI::ExistingFile);
  t->add_option("--jsonl-field", train->jsonl_fields,
                "Read corpus files as JSONL and train on these string fields of each record");
  t->add_option("--vocab-size", train->vocab_size,
                "Target vocabulary size, special and 256 byte tokens included")
      ->required();
  t->add_option("--special", train->specials,
                "Special tokens, in id order (default: <|bos|> <|eos|> <|pad|> and the project's "
                "condition, tool and hint markers)");
  t->add_option("--out", train->out, "Output tokenizer.json")->required();
  t->add_flag("--split-digits", train->split_digits,
              "Never merge digits: every digit is its own token (helps small models with arithmetic)");
  t->callback([selected, train] { *selected = [train] { return RunTrain(*train); }; });

  auto path = std::make_shared<std::string>();
  auto text = std::make_shared<std::string>();
  auto byte_level = std::make_shared<bool>(false);
  auto as_json = std::make_shared<bool>(false);
  auto* e = cmd->add_subcommand("encode", "Print the token ids of a text");
  e->add_option("--tokenizer", *path, "tokenizer.json to use");
  e->add_flag("--byte-level", *byte_level,
              "Use the plain byte-level tokenizer with the default special tokens");
  e->add_option("--text", *text, "Text to encode")->required();
  e->add_flag("--json", *as_json, "Print {\"ids\", \"tokens\", \"num_tokens\"} as JSON");
  e->callback([selected, path, text, byte_level, as_json] {
    *selected = [=] { return RunEncode(*path, *byte_level, *text, *as_json); };
  });
}

}  // namespace cli
