// BPE training: merge order on tiny corpora worked out by hand, determinism, vocabulary limits and
// special tokens kept out of merges.
#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "trainers/tokenizer/tokenizer.h"

namespace tokenizer {
namespace {

const char kG[] = "\xC4\xA0";  // byte-level form of ' '

TEST(TrainBpe, MergesMostFrequentPairFirst) {
  // Words: "aaaa" x1, " aaaa" x2. (a,a) occurs 9 times, then (aa,aa) 3, then (Ġ,aaaa) 2.
  const Tokenizer t = TrainBpe({"aaaa aaaa aaaa"}, 1000, {"<|eos|>"});
  ASSERT_EQ(t.num_merges(), 3);
  EXPECT_EQ(t.vocab_size(), 1 + 256 + 3);
  EXPECT_EQ(t.TokenText(0), "<|eos|>");
  EXPECT_EQ(t.TokenId("a"), 1 + 'a');
  EXPECT_EQ(t.TokenText(257), "aa");
  EXPECT_EQ(t.TokenText(258), "aaaa");
  EXPECT_EQ(t.TokenText(259), std::string(kG) + "aaaa");
  EXPECT_EQ(t.Encode("aaaa aaaa<|eos|>"), (std::vector<int>{258, 259, 0}));
  EXPECT_EQ(t.Encode("aaa"), (std::vector<int>{257, 1 + 'a'}));
}

TEST(TrainBpe, SplitDigitsKeepsEveryDigitItsOwnToken) {
  const std::vector<std::string> corpus = {"x 12 12 12 120 ab12 ab12 1212 abab"};
  const Tokenizer plain = TrainBpe(corpus, 1000, {});
  EXPECT_LT(plain.Encode(" 1212").size(), 5u);  // without the option digits merge

  const Tokenizer split = TrainBpe(corpus, 1000, {}, BpeOptions{/*split_digits=*/true});
  for (int id = 256; id < split.vocab_size(); ++id) {
    const std::string text = split.Decode({id}, false);
    EXPECT_EQ(text.find_first_of("0123456789"), std::string::npos) << "merge " << id << " '" << text << "'";
  }
  // " 1212" is a space and four digit tokens; letters around digits still merge.
  EXPECT_EQ(split.Encode(" 1212"), (std::vector<int>{' ', '1', '2', '1', '2'}));
  EXPECT_EQ(split.Encode("abab").size(), 2u);  // "ab" merged ("abab" occurs once: no second merge)
  EXPECT_EQ(split.Decode(split.Encode("ab12 1212 x"), false), "ab12 1212 x");
}

TEST(TrainBpe, BreaksTiesByBytes) {
  // Pairs (a,b), (Ġ,c), (c,d) all occur twice; ' ' sorts before 'a' and 'c'.
  const Tokenizer t = TrainBpe({"ab ab cd cd"}, 1000, {});
  ASSERT_GE(t.num_merges(), 3);
  EXPECT_EQ(t.TokenText(256), std::string(kG) + "c");
  EXPECT_EQ(t.TokenText(257), std::string(kG) + "cd");
  EXPECT_EQ(t.TokenText(258), "ab");
}

TEST(TrainBpe, StopsAtVocabSize) {
  const Tokenizer t = TrainBpe({"the cat sat on the mat with the hat"}, 256 + 2 + 3, {"<a>", "<b>"});
  EXPECT_EQ(t.vocab_size(), 261);
  EXPECT_EQ(t.num_merges(), 3);
}

TEST(TrainBpe, KeepsSpecialTokensOutOfMerges) {
  const Tokenizer t = TrainBpe({"<|eos|><|eos|><|eos|>x<|eos|>"}, 1000, {"<|eos|>"});
  EXPECT_EQ(t.num_merges(), 0);
  EXPECT_EQ(t.Encode("<|eos|>x"), (std::vector<int>{0, 1 + 'x'}));
}

TEST(TrainBpe, IsDeterministicAndRoundTrips) {
  util::SplitMix64 rng(7);
  const std::vector<std::string> words = {"the",  "cat",   "sat",  " ", "  ", "\n", "12",  "345",
                                          "don't", "\xE4\xBD\xA0", "\xF0\x9F\x98\x80", "x=y;",
                                          "\t", "caf\xC3\xA9", "("};
  std::vector<std::string> texts;
  for (int doc = 0; doc < 200; ++doc) {
    std::string text;
    for (int i = 0; i < 40; ++i) text += words[rng.Below(words.size())];
    texts.push_back(text);
  }
  const Tokenizer a = TrainBpe(texts, 400, DefaultSpecialTokens());
  const Tokenizer b = TrainBpe(texts, 400, DefaultSpecialTokens());
  EXPECT_EQ(a.ToJson(), b.ToJson());
  EXPECT_EQ(a.vocab_size(), 400);
  size_t bytes = 0, tokens = 0;
  for (const std::string& text : texts) {
    const std::vector<int> ids = a.Encode(text);
    EXPECT_EQ(a.Decode(ids), text);
    bytes += text.size();
    tokens += ids.size();
  }
  EXPECT_LT(tokens * 2, bytes);  // the merges actually compress the training text
}

TEST(TrainBpe, RejectsImpossibleConfigs) {
  EXPECT_THROW(TrainBpe({"x"}, 255, {}), util::InputError);
  EXPECT_THROW(TrainBpe({"x"}, 257, {"<a>", "<b>"}), util::InputError);
  EXPECT_THROW(TrainBpe({"x"}, 300, {"<a>", "<a>"}), util::InputError);
  EXPECT_THROW(TrainBpe({"x"}, 300, {"x"}), util::InputError);
}

}  // namespace
}  // namespace tokenizer
