// tokenizer.json: save/load round trips, both merge spellings, and an InputError naming the field
// for each kind of malformed or unsupported file.
#include <fstream>
#include <functional>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/tokenizer/tokenizer.h"

namespace tokenizer {
namespace {

using Json = nlohmann::ordered_json;

std::string TempPath(const std::string& name) { return testing::TempDir() + "tokjson_" + name; }

Tokenizer Trained() {
  return TrainBpe({"the theme of the thesis: there, then 12 123 1234 don't\n\n  indent"}, 300,
                  {"<|bos|>", "<|eos|>", "<|pad|>", "<code>"});
}

TEST(TokenizerJson, SaveLoadRoundTrip) {
  const Tokenizer t = Trained();
  ASSERT_GT(t.num_merges(), 5);
  const std::string path = TempPath("roundtrip.json");
  t.Save(path);
  const Tokenizer back = Tokenizer::Load(path);
  EXPECT_EQ(back.ToJson(), t.ToJson());
  EXPECT_EQ(back.vocab_size(), t.vocab_size());
  EXPECT_EQ(back.num_merges(), t.num_merges());
  EXPECT_EQ(back.bos_id(), 0);
  EXPECT_EQ(back.eos_id(), 1);
  EXPECT_EQ(back.pad_id(), 2);
  const std::string text = "<|bos|>the thesis then 1234<code>x</code><|eos|>";
  EXPECT_EQ(back.Encode(text), t.Encode(text));
  EXPECT_EQ(back.Decode(back.Encode(text)), text);
}

TEST(TokenizerJson, WritesHuggingFaceLayout) {
  const Json j = Json::parse(Trained().ToJson());
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["pre_tokenizer"]["type"], "ByteLevel");
  EXPECT_EQ(j["pre_tokenizer"]["add_prefix_space"], false);
  EXPECT_EQ(j["decoder"]["type"], "ByteLevel");
  EXPECT_EQ(j["added_tokens"][0]["content"], "<|bos|>");
  EXPECT_EQ(j["added_tokens"][0]["special"], true);
  EXPECT_EQ(j["model"]["vocab"]["<|eos|>"], 1);
  EXPECT_EQ(j["model"]["merges"][0], "h e");  // "th" and "he" tie at 6; 'h' < 't'
}

TEST(TokenizerJson, AcceptsMergesAsPairs) {
  const Tokenizer t = Trained();
  Json j = Json::parse(t.ToJson());
  for (Json& m : j["model"]["merges"]) {
    const std::string s = m.get<std::string>();
    m = Json::array({s.substr(0, s.find(' ')), s.substr(s.find(' ') + 1)});
  }
  const std::string path = TempPath("pairs.json");
  util::WriteFileAtomic(path, j.dump());
  EXPECT_EQ(Tokenizer::Load(path).ToJson(), t.ToJson());
}

TEST(TokenizerJson, AcceptsAddedTokensOutsideModelVocab) {
  Json j = Json::parse(Tokenizer::ByteLevel({"<|eos|>"}).ToJson());
  j["model"]["vocab"].erase("<|eos|>");
  const std::string path = TempPath("added_outside.json");
  util::WriteFileAtomic(path, j.dump());
  const Tokenizer t = Tokenizer::Load(path);
  EXPECT_EQ(t.eos_id(), 256);
  EXPECT_EQ(t.Encode("a<|eos|>"), (std::vector<int>{'a', 256}));
}

// A byte without a token of its own (SmolLM2 has none for some control bytes) is dropped, as HF's BPE
// drops a character missing from the vocabulary when there is no unk token.
TEST(TokenizerJson, DropsBytesWithoutATokenAsHfDoes) {
  Json j = Json::parse(Tokenizer::ByteLevel({"<|eos|>"}).ToJson());
  const int id = j["model"]["vocab"]["q"];
  j["model"]["vocab"].erase("q");
  j["model"]["vocab"]["not-a-byte"] = id;
  const std::string path = TempPath("missing_byte.json");
  util::WriteFileAtomic(path, j.dump());
  EXPECT_EQ(Tokenizer::Load(path).Encode("aqb"), (std::vector<int>{'a', 'b'}));
}

// Each pre-tokenizer is written the way HF spells it and read back; tokenizer_config.json carries eos,
// add_bos_token and the chat template through a save (what SFT of a real model relies on).
TEST(TokenizerJson, PreTokenizersAndTokenizerConfigRoundTrip) {
  const std::string dir = TempPath("config_dir");
  util::MakeDirs(dir);
  for (PreTokenizer kind : {PreTokenizer::kGpt2, PreTokenizer::kGpt2Digits, PreTokenizer::kLlama3, PreTokenizer::kQwen2}) {
    Json j = Json::parse(Trained().ToJson());
    Tokenizer::Parts parts;
    for (int id = 0; id < Trained().vocab_size(); ++id) parts.vocab.push_back(Trained().TokenText(id));
    for (int id = 0; id < 4; ++id) parts.added_ids.push_back(id), parts.special_ids.push_back(id);
    parts.pre_tokenizer = kind;
    parts.eos_token = "<code>";
    parts.add_bos = false;
    parts.chat_template = "{% for m in messages %}<|im_start|>{{ m.content }}<|im_end|>{% endfor %}";
    const Tokenizer t = Tokenizer::FromParts(parts);
    util::WriteFileAtomic(dir + "/tokenizer.json", t.ToJson());
    util::WriteFileAtomic(dir + "/tokenizer_config.json", t.ToConfigJson());
    const Tokenizer back = Tokenizer::LoadDir(dir);
    EXPECT_EQ(static_cast<int>(back.pre_tokenizer()), static_cast<int>(kind));
    EXPECT_EQ(back.eos_id(), 3);
    EXPECT_FALSE(back.add_bos());
    EXPECT_EQ(back.chat_template(), parts.chat_template);
    EXPECT_EQ(back.ChatPrompt("hi 12"), "<|im_start|>user\nhi 12<|im_end|>\n<|im_start|>assistant\n");
    const std::string text = "x 12345 don't\n\n  y";
    EXPECT_EQ(back.Encode(text), t.Encode(text));
  }
  Tokenizer::Parts plain;
  for (int id = 0; id < Trained().vocab_size(); ++id) plain.vocab.push_back(Trained().TokenText(id));
  EXPECT_THROW(Tokenizer::FromParts(plain).ChatPrompt("hi"), util::InputError);  // no template: an error
}

struct BadCase {
  const char* name;
  std::function<void(Json&)> edit;
  const char* field;  // expected util::Location::field
};

class MalformedTest : public testing::TestWithParam<BadCase> {};

TEST_P(MalformedTest, ThrowsInputErrorNamingField) {
  Json j = Json::parse(Trained().ToJson());
  GetParam().edit(j);
  const std::string path = TempPath(std::string(GetParam().name) + ".json");
  util::WriteFileAtomic(path, j.dump());
  try {
    Tokenizer::Load(path);
    FAIL() << "expected util::InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().field, GetParam().field) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedTest,
    testing::Values(
        BadCase{"NotAnObject", [](Json& j) { j = Json::array(); }, ""},
        BadCase{"NoModel", [](Json& j) { j.erase("model"); }, "model"},
        BadCase{"WordPiece", [](Json& j) { j["model"]["type"] = "WordPiece"; }, "model.type"},
        BadCase{"NoVocab", [](Json& j) { j["model"].erase("vocab"); }, "model.vocab"},
        BadCase{"VocabIdNotInt", [](Json& j) { j["model"]["vocab"]["a"] = "x"; }, "model.vocab"},
        BadCase{"DuplicateId", [](Json& j) { j["model"]["vocab"]["a"] = 100; }, "model.vocab"},
        BadCase{"GapInIds", [](Json& j) { j["model"]["vocab"]["zz_extra"] = 5000; }, "model.vocab"},
        BadCase{"NoMerges", [](Json& j) { j["model"].erase("merges"); }, "model.merges"},
        BadCase{"MergeOneToken", [](Json& j) { j["model"]["merges"][1] = "th"; },
                "model.merges[1]"},
        BadCase{"MergeUnknownToken", [](Json& j) { j["model"]["merges"][2] = "t qqq"; },
                "model.merges[2]"},
        BadCase{"MergeWrongType", [](Json& j) { j["model"]["merges"][0] = 7; }, "model.merges[0]"},
        BadCase{"MergeWithoutResult",
                [](Json& j) { j["model"]["merges"].push_back("q z"); }, "model"},
        BadCase{"Dropout", [](Json& j) { j["model"]["dropout"] = 0.1; }, "model.dropout"},
        BadCase{"Suffix", [](Json& j) { j["model"]["end_of_word_suffix"] = "</w>"; },
                "model.end_of_word_suffix"},
        BadCase{"Normalizer", [](Json& j) { j["normalizer"] = Json{{"type", "NFC"}}; },
                "normalizer"},
        BadCase{"PrefixSpace", [](Json& j) { j["pre_tokenizer"]["add_prefix_space"] = true; },
                "pre_tokenizer.add_prefix_space"},
        BadCase{"NoRegex", [](Json& j) { j["pre_tokenizer"]["use_regex"] = false; },
                "pre_tokenizer.use_regex"},
        BadCase{"Whitespace", [](Json& j) { j["pre_tokenizer"] = Json{{"type", "Whitespace"}}; },
                "pre_tokenizer"},
        // Found by fuzz_tokenizer_json: a missing or null pre-tokenizer escaped as json out_of_range.
        BadCase{"NoPreTokenizer", [](Json& j) { j.erase("pre_tokenizer"); }, "pre_tokenizer"},
        BadCase{"NullPreTokenizer", [](Json& j) { j["pre_tokenizer"] = nullptr; }, "pre_tokenizer"},
        BadCase{"NoDecoder", [](Json& j) { j["decoder"] = nullptr; }, "decoder"},
        BadCase{"Template",
                [](Json& j) { j["post_processor"] = Json{{"type", "TemplateProcessing"}}; },
                "post_processor"},
        BadCase{"AddedNoId", [](Json& j) { j["added_tokens"][1].erase("id"); },
                "added_tokens[1].id"},
        BadCase{"AddedEmpty", [](Json& j) { j["added_tokens"][0]["content"] = ""; },
                "added_tokens[0].content"},
        BadCase{"AddedLstrip", [](Json& j) { j["added_tokens"][2]["lstrip"] = true; },
                "added_tokens[2].lstrip"},
        BadCase{"AddedIdClash", [](Json& j) { j["added_tokens"][0]["id"] = 1; }, "added_tokens[0]"}),
    [](const testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST(TokenizerJson, NotJsonOrMissingFile) {
  const std::string path = TempPath("garbage.json");
  util::WriteFileAtomic(path, "{\"model\": ");
  EXPECT_THROW(Tokenizer::Load(path), util::InputError);
  EXPECT_THROW(Tokenizer::Load(TempPath("does_not_exist.json")), util::InputError);
}

}  // namespace
}  // namespace tokenizer
