// Table-driven checks of the GPT-2 pre-tokenizer, including the \s+(?!\S) backtracking cases.
#include "trainers/tokenizer/pretokenize.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/json_io.h"
#include "trainers/tokenizer/unicode_classes.h"

namespace tokenizer {
namespace {

struct SplitCase {
  const char* name;
  std::string text;
  std::vector<std::string> pieces;
};

class SplitTest : public testing::TestWithParam<SplitCase> {};

TEST_P(SplitTest, MatchesGpt2Pattern) {
  const SplitCase& c = GetParam();
  EXPECT_EQ(SplitGpt2(c.text), c.pieces);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SplitTest,
    testing::Values(
        SplitCase{"Empty", "", {}},
        SplitCase{"Words", "Hello world", {"Hello", " world"}},
        SplitCase{"TwoSpacesBeforeWord", "a  b", {"a", " ", " b"}},
        SplitCase{"ThreeSpacesBeforeWord", "a   b", {"a", "  ", " b"}},
        SplitCase{"TrailingSpaces", "trailing   ", {"trailing", "   "}},
        SplitCase{"OnlySpaces", "   ", {"   "}},
        SplitCase{"LeadingSpaces", "  hello", {" ", " hello"}},
        SplitCase{"SpaceNewlineAtEnd", "x \n", {"x", " \n"}},
        SplitCase{"NewlineBeforeWord", "line\nword", {"line", "\n", "word"}},
        SplitCase{"TwoNewlinesBeforeWord", "line\n\nword", {"line", "\n", "\n", "word"}},
        SplitCase{"SpaceNewlineBeforeWord", "a \nb", {"a", " ", "\n", "b"}},
        SplitCase{"NewlineSpacesIndent", "if x:\n    y", {"if", " x", ":", "\n   ", " y"}},
        SplitCase{"TabsBeforeWord", "\t\tx", {"\t", "\t", "x"}},
        SplitCase{"SpaceBeforeTab", "a \tb", {"a", " ", "\t", "b"}},
        SplitCase{"Contractions", "I'm they're we've you'll he'd it's don't",
                  {"I", "'m", " they", "'re", " we", "'ve", " you", "'ll", " he", "'d", " it", "'s",
                   " don", "'t"}},
        SplitCase{"ContractionsAreCaseSensitive", "DON'T", {"DON", "'", "T"}},
        SplitCase{"ContractionAtStart", "'sup", {"'s", "up"}},
        SplitCase{"SpaceApostrophe", "a 's", {"a", " '", "s"}},
        SplitCase{"DoubleApostrophe", "''s", {"''", "s"}},
        SplitCase{"LettersDigits", "abc123def", {"abc", "123", "def"}},
        SplitCase{"SpaceDigits", "x 123 45", {"x", " 123", " 45"}},
        SplitCase{"Punctuation", "hello!!! world?", {"hello", "!!!", " world", "?"}},
        SplitCase{"SpacePunctuation", " !?", {" !?"}},
        SplitCase{"Code", "f(x)=x*2;", {"f", "(", "x", ")=", "x", "*", "2", ";"}},
        SplitCase{"Cjk", "\xE4\xBD\xA0\xE5\xA5\xBD \xE4\xB8\x96\xE7\x95\x8C",
                  {"\xE4\xBD\xA0\xE5\xA5\xBD", " \xE4\xB8\x96\xE7\x95\x8C"}},
        SplitCase{"PrecomposedLetter", "caf\xC3\xA9", {"caf\xC3\xA9"}},
        // U+0301 COMBINING ACUTE is Mn: neither letter nor number.
        SplitCase{"CombiningMark", "cafe\xCC\x81s", {"cafe", "\xCC\x81", "s"}},
        // U+1F44B waving hand + U+1F3FD skin tone (So, Sk) join the following '!'.
        SplitCase{"Emoji", "hi \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD!",
                  {"hi", " \xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD!"}},
        // U+00A0 NO-BREAK SPACE is \s but not the optional ' ' prefix.
        SplitCase{"NoBreakSpace", "x\xC2\xA0y", {"x", "\xC2\xA0", "y"}},
        // U+3000 IDEOGRAPHIC SPACE after a space.
        SplitCase{"IdeographicSpace", "x \xE3\x80\x80y", {"x", " ", "\xE3\x80\x80", "y"}},
        // U+00BD and U+00B2 are No (numbers).
        SplitCase{"OtherNumbers", "\xC2\xBD \xC2\xB2", {"\xC2\xBD", " \xC2\xB2"}},
        // Bytes that are not UTF-8 split as single non-letter characters.
        SplitCase{"InvalidByte", "a\xFF\xFE b", {"a", "\xFF\xFE", " b"}}),
    [](const testing::TestParamInfo<SplitCase>& info) { return info.param.name; });

TEST(SplitGpt2, PiecesCoverTextExactly) {
  const std::string text = "  x\t\n\n y 12ab's \xE2\x80\xA8z   ";
  std::string joined;
  for (const std::string& piece : SplitGpt2(text)) {
    EXPECT_FALSE(piece.empty());
    joined += piece;
  }
  EXPECT_EQ(joined, text);
}

struct ClassCase {
  char32_t cp;
  CharClass cls;
};

TEST(ClassifyCodePoint, KnownCodePoints) {
  const ClassCase cases[] = {
      {'a', CharClass::kLetter},     {'Z', CharClass::kLetter},    {'7', CharClass::kNumber},
      {' ', CharClass::kSpace},      {'\t', CharClass::kSpace},    {0x0B, CharClass::kSpace},
      {'_', CharClass::kOther},      {0x1F, CharClass::kOther},    {0x85, CharClass::kSpace},
      {0xA0, CharClass::kSpace},     {0xE9, CharClass::kLetter},   {0x0301, CharClass::kOther},
      {0x0663, CharClass::kNumber},  {0x2028, CharClass::kSpace},  {0x2029, CharClass::kSpace},
      {0x3000, CharClass::kSpace},   {0x4E2D, CharClass::kLetter}, {0x1F600, CharClass::kOther},
      {0x2167, CharClass::kNumber},  {0x10FFFF, CharClass::kOther}, {0x02B0, CharClass::kLetter},
  };
  for (const ClassCase& c : cases) {
    EXPECT_EQ(static_cast<int>(ClassifyCodePoint(c.cp)), static_cast<int>(c.cls))
        << "U+" << std::hex << static_cast<uint32_t>(c.cp);
  }
}

TEST(ClassifyCodePoint, AsciiTableAgreesWithGeneratedRanges) {
  for (char32_t cp = 0; cp < 128; ++cp) {
    CharClass from_ranges = CharClass::kOther;
    for (int i = 0; i < kNumCodePointRanges; ++i) {
      if (kCodePointRanges[i].first <= cp && cp <= kCodePointRanges[i].last) {
        from_ranges = kCodePointRanges[i].cls;
      }
    }
    EXPECT_EQ(static_cast<int>(ClassifyCodePoint(cp)), static_cast<int>(from_ranges)) << cp;
  }
}

TEST(DecodeUtf8, RejectsOverlongAndSurrogates) {
  char32_t cp;
  EXPECT_EQ(DecodeUtf8("\xC0\x80", 0, &cp), 1);  // overlong NUL
  EXPECT_EQ(cp, kInvalidCodePoint);
  EXPECT_EQ(DecodeUtf8("\xED\xA0\x80", 0, &cp), 1);  // surrogate
  EXPECT_EQ(cp, kInvalidCodePoint);
  EXPECT_EQ(DecodeUtf8("\xF0\x9F\x98\x80", 0, &cp), 4);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(DecodeUtf8("\xE4\xBD", 0, &cp), 1);  // truncated
  EXPECT_EQ(cp, kInvalidCodePoint);
}

// Splits from HF `tokenizers` (scripts/pretokenize_golden.py): Digits + ByteLevel, and the Llama-3 and
// Qwen2 Split regexes, on whitespace runs, CRLF, contractions in both cases, digit runs, non-ASCII
// letters and numbers (½, Arabic-Indic digits, superscripts), emoji and no-break spaces.
TEST(PreTokenize, MatchesHfTokenizersGolden) {
  const nlohmann::json golden = util::ReadJsonFile(std::string(HARNESS_TEST_FIXTURES) + "/tokenizer/pretokenize_golden.json");
  const std::pair<const char*, PreTokenizer> kinds[] = {{"gpt2_digits", PreTokenizer::kGpt2Digits},
                                                        {"llama3", PreTokenizer::kLlama3},
                                                        {"qwen2", PreTokenizer::kQwen2}};
  ASSERT_EQ(golden["texts"].size(), 20u);
  for (const auto& [name, kind] : kinds) {
    for (size_t i = 0; i < golden["texts"].size(); ++i) {
      const std::string text = golden["texts"][i];
      EXPECT_EQ(PreTokenize(kind, text), golden[name][i].get<std::vector<std::string>>()) << name << ": " << text;
    }
  }
}

TEST(PreTokenize, Llama3GroupsDigitsByThreeAndQwen2SplitsThem) {
  EXPECT_EQ(PreTokenize(PreTokenizer::kLlama3, "x 12345"), (std::vector<std::string>{"x", " ", "123", "45"}));
  EXPECT_EQ(PreTokenize(PreTokenizer::kQwen2, "x 123"), (std::vector<std::string>{"x", " ", "1", "2", "3"}));
  EXPECT_EQ(PreTokenize(PreTokenizer::kGpt2Digits, "a 12"), (std::vector<std::string>{"a", " ", "1", "2"}));
  EXPECT_EQ(PreTokenize(PreTokenizer::kGpt2, "a 12"), (std::vector<std::string>{"a", " 12"}));
}

}  // namespace
}  // namespace tokenizer
