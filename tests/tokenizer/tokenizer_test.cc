// Encoding, decoding and special-token handling of the byte-level tokenizer and of a small
// hand-built BPE tokenizer.
#include "trainers/tokenizer/tokenizer.h"

#include <thread>

#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "trainers/tokenizer/byte_level.h"

namespace tokenizer {
namespace {

std::vector<int> Bytes(std::string_view s) {
  std::vector<int> ids;
  for (char c : s) ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

TEST(ByteLevelMap, MatchesGpt2) {
  EXPECT_EQ(ByteToUnicode(' '), "\xC4\xA0");    // U+0120 'Ġ'
  EXPECT_EQ(ByteToUnicode('\n'), "\xC4\x8A");   // U+010A 'Ċ'
  EXPECT_EQ(ByteToUnicode('a'), "a");
  EXPECT_EQ(ByteToUnicode(0xAD), "\xC5\x83");   // soft hyphen is remapped: U+0143
  EXPECT_EQ(ByteToUnicode(0xE9), "\xC3\xA9");   // 'é' keeps its code point
  std::string back;
  ASSERT_TRUE(TokenTextToBytes("\xC4\xA0hello\xC4\x8A", &back));
  EXPECT_EQ(back, " hello\n");
  EXPECT_FALSE(TokenTextToBytes(" x", &back));  // a raw space is not a byte-level code point
}

TEST(ByteLevelTokenizer, EncodesBytesAndSpecials) {
  const Tokenizer t = Tokenizer::ByteLevel({"<|bos|>", "<|eos|>", "<|pad|>", "<code>"});
  EXPECT_EQ(t.vocab_size(), 260);
  EXPECT_EQ(t.bos_id(), 256);
  EXPECT_EQ(t.eos_id(), 257);
  EXPECT_EQ(t.pad_id(), 258);
  EXPECT_EQ(t.TokenId("<code>"), 259);
  EXPECT_EQ(t.TokenId("\xC4\xA0"), ' ');
  EXPECT_EQ(t.TokenId("<nope>"), -1);
  EXPECT_EQ(t.TokenText(256), "<|bos|>");
  EXPECT_EQ(t.Encode("hi"), Bytes("hi"));
  EXPECT_EQ(t.Encode("<|bos|>hi <code>x<|eos|>"),
            (std::vector<int>{256, 'h', 'i', ' ', 259, 'x', 257}));
  EXPECT_TRUE(t.IsSpecial(256));
  EXPECT_FALSE(t.IsSpecial('a'));
}

TEST(ByteLevelTokenizer, NoSpecialsMeansNoSpecialIds) {
  const Tokenizer t = Tokenizer::ByteLevel({});
  EXPECT_EQ(t.vocab_size(), 256);
  EXPECT_EQ(t.bos_id(), -1);
  EXPECT_EQ(t.eos_id(), -1);
  EXPECT_EQ(t.pad_id(), -1);
  EXPECT_EQ(t.Encode("<|bos|>").size(), 7u);
}

TEST(ByteLevelTokenizer, SpecialTokensMatchLeftmostLongest) {
  const Tokenizer t = Tokenizer::ByteLevel({"<a>", "<a>b", "b<"});
  // At offset 0 both "<a>" and "<a>b" start: the longer wins; "b<" cannot start inside it.
  EXPECT_EQ(t.Encode("<a>b<a>"), (std::vector<int>{257, 256}));
  // Leftmost wins over longer-but-later.
  EXPECT_EQ(t.Encode("xb<a>"), (std::vector<int>{'x', 258, 'a', '>'}));
}

TEST(ByteLevelTokenizer, DecodeRoundTripsAndSkipsSpecials) {
  const Tokenizer t = Tokenizer::ByteLevel(DefaultSpecialTokens());
  const std::vector<std::string> texts = {
      "", "plain", "  two\n\nlines\t tab", "caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80",
      "raw \xFF\xFE bytes", "<|bos|>Q: 2+2?<|eos|>"};
  for (const std::string& text : texts) EXPECT_EQ(t.Decode(t.Encode(text)), text);
  EXPECT_EQ(t.Decode(t.Encode("<|bos|>Q<code>x</code><|eos|>"), /*skip_special_tokens=*/true),
            "Qx");
}

TEST(ByteLevelTokenizer, BadIdsThrow) {
  const Tokenizer t = Tokenizer::ByteLevel({"<|eos|>"});
  EXPECT_THROW(t.Decode({1, 257}), std::out_of_range);
  EXPECT_THROW(t.Decode({-1}), std::out_of_range);
  EXPECT_THROW(t.TokenText(300), std::out_of_range);
}

TEST(ByteLevelTokenizer, RejectsConflictingSpecials) {
  EXPECT_THROW(Tokenizer::ByteLevel({"<x>", "<x>"}), util::InputError);
  EXPECT_THROW(Tokenizer::ByteLevel({"a"}), util::InputError);  // same text as byte token 'a'
  EXPECT_THROW(Tokenizer::ByteLevel({""}), util::InputError);
  EXPECT_THROW(Tokenizer::ByteLevel({"\xFF"}), util::InputError);  // not UTF-8
}

// A tokenizer with merges chosen by hand: ranks decide, not the order pairs appear in a word.
Tokenizer HandBuilt() {
  Tokenizer::Parts parts;
  for (int b = 0; b < 256; ++b) parts.vocab.push_back(ByteToUnicode(static_cast<unsigned char>(b)));
  const auto add = [&](const std::string& tok) {
    parts.vocab.push_back(tok);
    return static_cast<int>(parts.vocab.size()) - 1;
  };
  const int bc = add("bc");                       // 256
  const int ab = add("ab");                       // 257
  const int abc = add("abc");                     // 258
  const int g_a = add("\xC4\xA0" "a");            // 259 " a"
  // Byte ids equal byte values here, so the " a" merge is (' ', 'a').
  parts.merges = {{'b', 'c'}, {'a', 'b'}, {'a', bc}, {' ', 'a'}};
  EXPECT_EQ(ab, 257);
  EXPECT_EQ(abc, 258);
  EXPECT_EQ(g_a, 259);
  parts.added_ids = {add("<|eos|>")};
  parts.special_ids = parts.added_ids;
  return Tokenizer::FromParts(std::move(parts));
}

TEST(BpeEncode, AppliesMergesByRank) {
  const Tokenizer t = HandBuilt();
  // "abc": (b,c) has rank 0, so "a"+"bc" then rank-2 merge gives "abc"; (a,b) never applies.
  EXPECT_EQ(t.Encode("abc"), (std::vector<int>{258}));
  EXPECT_EQ(t.Encode("abab"), (std::vector<int>{257, 257}));
  // In " abc", (a,bc) has rank 2 and beats (' ',a) at rank 3, so the space stays alone.
  EXPECT_EQ(t.Encode("x abc a"), (std::vector<int>{'x', ' ', 258, 259}));
  EXPECT_EQ(t.Encode(" ab"), (std::vector<int>{' ', 257}));  // (a,b) rank 1 beats (' ',a)
  EXPECT_EQ(t.Encode(" ax"), (std::vector<int>{259, 'x'}));
  EXPECT_EQ(t.Encode("abc<|eos|>"), (std::vector<int>{258, 260}));
  EXPECT_EQ(t.Decode(t.Encode("x abc a")), "x abc a");
  EXPECT_EQ(t.num_merges(), 4);
}

TEST(BpeEncode, CachedAndUncachedAgree) {
  const Tokenizer t = HandBuilt();
  const std::string long_piece(1000, 'a');  // longer than the cache's piece limit
  const std::string text = "abc abc " + long_piece + "bc abc";
  const std::vector<int> first = t.Encode(text);
  EXPECT_EQ(t.Encode(text), first);
  const Tokenizer copy = t;  // copies share the cache
  EXPECT_EQ(copy.Encode(text), first);
  EXPECT_EQ(t.Decode(first), text);
}

TEST(BpeEncode, ConcurrentEncodesAgree) {
  const Tokenizer t = TrainBpe({"the cat sat on the mat; the dog sat on the log. 12 + 34 = 46"}, 300,
                               {"<|eos|>"});
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("the " + std::to_string(i) + " cats sat<|eos|> on mats " + std::to_string(i * 7));
  }
  std::vector<std::vector<int>> expected;
  for (const std::string& text : texts) expected.push_back(t.Encode(text));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 20; ++rep) {
        for (size_t i = 0; i < texts.size(); ++i) {
          if (t.Encode(texts[i]) != expected[i]) ++mismatches[k];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(BpeEncode, RejectsMergeWithoutResultToken) {
  Tokenizer::Parts parts;
  for (int b = 0; b < 256; ++b) parts.vocab.push_back(ByteToUnicode(static_cast<unsigned char>(b)));
  parts.merges = {{'x', 'y'}};
  EXPECT_THROW(Tokenizer::FromParts(parts), std::invalid_argument);
}

TEST(DefaultSpecialTokens, StartWithBosEosPad) {
  const std::vector<std::string> s = DefaultSpecialTokens();
  ASSERT_GE(s.size(), 3u);
  EXPECT_EQ(s[0], "<|bos|>");
  EXPECT_EQ(s[1], "<|eos|>");
  EXPECT_EQ(s[2], "<|pad|>");
  const Tokenizer t = Tokenizer::ByteLevel(s);
  EXPECT_EQ(t.bos_id(), 256);
  EXPECT_EQ(t.eos_id(), 257);
  EXPECT_EQ(t.pad_id(), 258);
}

}  // namespace
}  // namespace tokenizer
