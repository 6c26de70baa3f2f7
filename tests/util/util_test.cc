#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <stdexcept>
#include <unistd.h>
#include <algorithm>
#include <cmath>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "harness/util/parallel.h"
#include "harness/util/text.h"

namespace {

std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("harness_util_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Sha256, KnownVectors) {
  // FIPS 180-4 examples.
  EXPECT_EQ(util::Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(util::Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(util::Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(util::Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, CpuExtensionsAgreeWithThePortableCode) {
  // Where the CPU has SHA extensions both paths run; elsewhere this compares the portable path with
  // itself and the known vectors above carry the check.
  std::string bytes;
  uint64_t x = 88172645463325252ULL;
  for (int i = 0; i < 70000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    bytes += static_cast<char>(x & 0xFF);
  }
  std::cerr << "SHA-256 on the CPU's SHA extensions: " << (util::Sha256UsesCpuExtensions() ? "yes" : "no") << "\n";
  for (size_t n : {0, 1, 55, 56, 63, 64, 65, 119, 127, 128, 129, 1000, 4095, 4096, 70000}) {
    const std::string_view part(bytes.data(), n);
    const std::string fast = util::Sha256Hex(part);
    util::Sha256ForcePortableForTesting(true);
    const std::string portable = util::Sha256Hex(part);
    util::Sha256ForcePortableForTesting(false);
    EXPECT_EQ(fast, portable) << n << " bytes";
  }
}

TEST(Sha256, PaddingBoundaries) {
  // Lengths around the 55/56/64-byte padding edges must all hash distinctly and deterministically.
  std::set<std::string> seen;
  for (size_t n : {55, 56, 57, 63, 64, 65, 119, 120}) {
    auto h = util::Sha256Hex(std::string(n, 'x'));
    EXPECT_EQ(h.size(), 64u);
    EXPECT_TRUE(seen.insert(h).second) << n;
  }
  EXPECT_EQ(util::Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(SeededPermutation, DeterministicAndContentHashed) {
  auto a = util::SeededPermutation(4, 7, "question one");
  auto b = util::SeededPermutation(4, 7, "question one");
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3}));
  // Over many contents, every position receives every index (the shuffle is not degenerate).
  std::vector<std::vector<int>> counts(4, std::vector<int>(4, 0));
  for (int i = 0; i < 400; ++i) {
    auto p = util::SeededPermutation(4, 7, "q" + std::to_string(i));
    for (int pos = 0; pos < 4; ++pos) counts[pos][p[pos]]++;
  }
  for (auto& row : counts)
    for (int c : row) EXPECT_GT(c, 60);
}

TEST(Text, FormatNumber) {
  EXPECT_EQ(util::FormatNumber(51.0), "51");
  EXPECT_EQ(util::FormatNumber(-2.5), "-2.5");
  EXPECT_EQ(util::FormatNumber(0.1), "0.1");
  EXPECT_EQ(util::FormatNumber(-0.0), "0");
  EXPECT_EQ(util::FormatNumber(1e6), "1000000");
}

TEST(Text, Utf8Validation) {
  EXPECT_TRUE(util::IsValidUtf8("plain ascii"));
  EXPECT_TRUE(util::IsValidUtf8("caf\xc3\xa9 \xe7\xad\x94\xe6\xa1\x88 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(util::IsValidUtf8("bad \xff byte"));
  // Past ASCII runs read eight bytes at a time: the offset is still exact.
  EXPECT_EQ(util::FirstInvalidUtf8("0123456789abcdef\xff"), 16u);
  EXPECT_EQ(util::FirstInvalidUtf8("0123456\xc3\xa9" "0123456789\xe2\x82"), 19u);
  EXPECT_EQ(util::FirstInvalidUtf8("0123456789abcdefg"), 17u);
  EXPECT_EQ(util::FirstInvalidUtf8("ab\xc0\xaf"), 2u);  // overlong '/'
  EXPECT_FALSE(util::IsValidUtf8("\xed\xa0\x80"));       // surrogate
  EXPECT_FALSE(util::IsValidUtf8("\xe2\x82"));           // truncated
}

TEST(Text, ClosestMatch) {
  std::vector<std::string> names = {"gsm8k", "svamp", "mathqa", "livecodebench"};
  EXPECT_EQ(util::ClosestMatch("gsm9k", names), "gsm8k");
  EXPECT_EQ(util::ClosestMatch("livecodebnch", names), "livecodebench");
  EXPECT_EQ(util::ClosestMatch("zzzzzzzz", names), "");
}

TEST(Text, JoinAndDidYouMean) {
  EXPECT_EQ(util::Join({}), "");
  EXPECT_EQ(util::Join({"a"}), "a");
  EXPECT_EQ(util::Join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(util::Join({"a", "b"}, " | "), "a | b");
  const std::vector<std::string> names = {"gsm8k", "svamp"};
  EXPECT_EQ(util::DidYouMean("gsm9k", names, "known tasks"), " (did you mean 'gsm8k'?); known tasks: gsm8k, svamp");
  EXPECT_EQ(util::DidYouMean("zzzzzzzz", names, "known"), "; known: gsm8k, svamp");
}

TEST(JsonLines, ReportsFileLineAndReason) {
  auto path = TempPath("bad.jsonl");
  Write(path, "{\"a\": 1}\n\n{\"a\": 2,}\n");
  try {
    util::ReadJsonLines(path);
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().line, 3);
    EXPECT_NE(std::string(e.what()).find("malformed JSON"), std::string::npos) << e.what();
  }
}

// Bad lines are InputErrors naming the line. The number overflow was found by fuzz_predictions and
// fuzz_tokenizer_json: it escaped as nlohmann's out_of_range.
TEST(JsonLines, RejectsBadLinesAndEmptyFiles) {
  struct Bad {
    const char* name;
    const char* text;
    long line;
    const char* reason;
  };
  for (const Bad& c : {Bad{"latin1.jsonl", "{\"a\": \"ok\"}\n{\"a\": \"caf\xe9\"}\n", 2, "UTF-8"},
                       Bad{"overflow.jsonl", "{\"a\": 1}\n{\"a\": 2725e760272756}\n", 2, "number overflow"}}) {
    SCOPED_TRACE(c.name);
    auto path = TempPath(c.name);
    Write(path, c.text);
    try {
      util::ReadJsonLines(path);
      FAIL();
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().line, c.line);
      EXPECT_NE(std::string(e.what()).find(c.reason), std::string::npos) << e.what();
    }
  }
  auto empty = TempPath("empty.jsonl");
  Write(empty, "\n  \n");
  EXPECT_THROW(util::ReadJsonLines(empty), util::InputError);
  auto file = TempPath("overflow.json");
  Write(file, "{\"merges\": [1e99999]}");
  EXPECT_THROW(util::ReadJsonFile(file), util::InputError);
}

TEST(JsonLines, SkipsBlankLinesKeepsNumbers) {
  auto path = TempPath("ok.jsonl");
  Write(path, "{\"a\": 1}\r\n\n{\"a\": 2}");
  auto rows = util::ReadJsonLines(path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_EQ(rows[1].line, 3);
  EXPECT_EQ(rows[1].value["a"], 2);
}

// ReadJsonLines reads in blocks of about 1 MiB: lines that straddle a block's end, a line longer than a
// block, blank and CRLF lines and a last line without a newline keep their values and line numbers, and
// an error past the first block names its line.
TEST(JsonLines, BlocksKeepValuesAndLineNumbers) {
  const std::string long_text(3u << 20, 'x');  // one line of 3 MiB
  std::string text;
  std::vector<std::pair<long, std::string>> want;  // line number, value of "s"
  long line = 0;
  for (int i = 0; i < 40000; ++i) {
    const std::string value = i == 20000 ? long_text : "v" + std::to_string(i) + std::string(i % 97, 'y');
    text += "{\"s\": \"" + value + "\"}" + (i % 3 == 0 ? "\r\n" : "\n");
    want.emplace_back(++line, value);
    if (i % 1000 == 7) {
      text += "  \n";
      ++line;
    }
  }
  text += "{\"s\": \"last\"}";  // no newline at the end
  want.emplace_back(++line, "last");
  auto path = TempPath("blocks.jsonl");
  Write(path, text);
  const auto rows = util::ReadJsonLines(path);
  ASSERT_EQ(rows.size(), want.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].line, want[i].first) << i;
    ASSERT_EQ(rows[i].value["s"], want[i].second) << i;
  }
  Write(path, text + "\n{\"s\": }\n");
  try {
    util::ReadJsonLines(path);
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().line, line + 1);
  }
}

// ToJsonLines and WriteJsonLinesAtomic serialize about 1 MiB of rows at a time on every core: both give
// each row's nlohmann dump and a newline, in order, for any number of rows, small (one block) or large
// (several blocks, a partial last one).
TEST(JsonLines, WriteAtomicAndToJsonLinesAreEachRowsDump) {
  for (size_t n : {0u, 1u, 5u, 127u, 1000u}) {
    SCOPED_TRACE(n);
    std::vector<util::Json> rows;
    for (size_t i = 0; i < n; ++i) {
      // Texts of up to 12,000 bytes: 1,000 rows make about 6 MB.
      rows.push_back({{"id", i}, {"text", std::string(i % 13 * 1000, 'a') + "\n\"q\""}, {"x", 0.5 * static_cast<double>(i)}});
    }
    std::string expected;
    for (const auto& row : rows) expected += row.dump(-1, ' ', false, util::Json::error_handler_t::replace) + "\n";
    const auto path = TempPath("rows.jsonl");
    util::WriteJsonLinesAtomic(path, rows);
    EXPECT_EQ(util::ReadFile(path), expected);
    EXPECT_EQ(util::ToJsonLines(rows), expected);
  }
}

TEST(JsonFields, TypedAccessNamesTheField) {
  util::Json obj = {{"n", "x"}, {"s", 5}};
  util::Location at{"f.jsonl", 7, ""};
  try {
    util::RequireString(obj, "s", at);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_EQ(std::string(e.what()), "f.jsonl:7: field 's': expected a string, got number");
  }
  try {
    util::RequireField(obj, "missing", at);
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "missing");
  }
  EXPECT_EQ(util::RequireScalarAsString(util::Json{{"v", 51.0}}, "v", at), "51");
}

TEST(Files, AtomicWriteReplacesAndLeavesNoTemp) {
  auto path = TempPath("sub/dir/out.json");
  util::WriteFileAtomic(path, "first");
  util::WriteFileAtomic(path, "second");
  EXPECT_EQ(util::ReadFile(path), "second");
  for (auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    EXPECT_EQ(entry.path().filename(), "out.json");
  }
  EXPECT_THROW(util::ReadFile(TempPath("nope.txt")), util::InputError);
}

// A writer destroyed without Commit (the producer threw) leaves the old file and no temporary one.
TEST(Files, AtomicFileWriterCommitsOrLeavesTheOldFile) {
  auto path = TempPath("writer/out.txt");
  util::WriteFileAtomic(path, "old");
  try {
    util::AtomicFileWriter out(path);
    out.Write("new ");
    throw std::runtime_error("producer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(util::ReadFile(path), "old");
  {
    util::AtomicFileWriter out(path);
    out.Write("new ");
    out.Write("");
    out.Write("text");
    out.Commit();
    EXPECT_THROW(out.Write("more"), std::logic_error);
    EXPECT_THROW(out.Commit(), std::logic_error);
  }
  EXPECT_EQ(util::ReadFile(path), "new text");
  for (auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    EXPECT_EQ(entry.path().filename(), "out.txt");
  }
}

}  // namespace

TEST(AppendJson, EqualsNlohmannsDumpByteForByte) {
  // AppendJson is the fast path of samples.jsonl; its output must be exactly dump(-1, ' ', false,
  // replace): escapes, control characters, invalid UTF-8 (replaced), floats, nesting, empty values.
  using util::Json;
  const auto dump = [](const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); };
  const auto fast = [](const Json& v) {
    std::string out;
    util::AppendJson(out, v);
    return out;
  };
  std::vector<Json> cases = {
      nullptr, true, false, 0, -7, int64_t{-9223372036854775807LL - 1}, uint64_t{18446744073709551615ULL}, 0.1,
      -2.5, 1e300, 3.0, std::nan(""), "", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t",
      std::string("\x01\x1f\x7f nul:") + std::string(1, '\0'), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "bad \xff byte", "truncated \xe2\x82", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
      Json::array(), Json::object(), Json::array({1, "two", nullptr, Json::array({3.5})}),
      Json{{"b", 1}, {"a", Json{{"z", "\n"}, {"y", Json::array()}}}, {"\xff key", true}},
  };
  // Each character that needs escaping (and the bytes beside those ranges) at every offset of a long
  // plain run, so that the eight-bytes-at-a-time scan meets it in every lane.
  for (const char special : {'"', '\\', '\n', '\x01', '\x1f', '\0', ' ', '!', '#', '[', ']', '\x7f'}) {
    for (size_t at = 0; at < 24; ++at) {
      std::string text = "abcdefghijklmnopqrstuvwx";
      text[at] = special;
      cases.push_back(text);
      cases.push_back(text + "\xe2\x80\x99s tail of plain text");
    }
  }
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 300; ++i) {
    std::string bytes;
    const int n = static_cast<int>(x % 40);
    for (int k = 0; k < n; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      // Mostly ASCII with control characters, quotes and high bytes mixed in.
      const int pick = static_cast<int>(x % 10);
      bytes += pick < 6 ? static_cast<char>(0x20 + x % 95) : pick < 8 ? static_cast<char>(x % 0x20)
                                                                       : static_cast<char>(0x80 + x % 0x80);
    }
    cases.push_back(bytes);
    cases.push_back(Json{{"completions", Json::array({bytes, bytes + "\""})}, {"n", i}});
  }
  for (const Json& v : cases) EXPECT_EQ(fast(v), dump(v)) << dump(v);
  // And the lines file: one object per line, in order, from one or more threads.
  std::vector<Json> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(Json{{"id", i}, {"text", "line\n" + std::to_string(i)}});
  std::string expected;
  for (const auto& r : rows) expected += dump(r) + "\n";
  EXPECT_EQ(util::ToJsonLines(rows), expected);
  EXPECT_EQ(util::ToJsonLines({}), "");
}

// ParseJsonFast builds exactly nlohmann's values for valid documents (types included: int64 for
// negative integers, uint64 otherwise, a double out of range) and declines everything invalid.
TEST(ParseJsonFast, SameValuesAsNlohmannAndDeclinesInvalid) {
  const std::vector<std::string> valid = {
      R"({"id": "0", "completions": ["a\nb", "\u00e9\ud83d\ude00", "\"\\/\b\f\r\t"], "scores": [1, -2, 0.5]})",
      "-0", "0", "1e5", "-1.5E-3", "18446744073709551615", "18446744073709551616", "-9223372036854775808",
      "-9223372036854775809", "1e-400", " [ ] ", "{}", R"({"a": 1, "a": 2, "b": [true, false, null]})",
      R"("\u0000x")", "[[[[[1]]]]]", "\"caf\xc3\xa9\"",
      // an escaped quote before the closing one (the reservation at the first escape falls short)
      R"(["a\nb \"quoted\" and a longer tail after it \\ with \u00e9 more", "x\"", "\\\""])"};
  for (const auto& text : valid) {
    util::Json fast;
    ASSERT_TRUE(util::ParseJsonFast(text, &fast)) << text;
    const util::Json reference = util::Json::parse(text);
    EXPECT_EQ(fast, reference) << text;
    EXPECT_EQ(fast.dump(), reference.dump()) << text;
    EXPECT_EQ(fast.type(), reference.type()) << text;
  }
  const std::vector<std::string> invalid = {"", "01", "1.", "-", "[1,]", "{\"a\" 1}", "\"\\ud800\"", "\"\\udc00\"",
                                            "\"\\x\"", "\"a\nb\"", "tru", "1e999", "[1] 2", "{\"a\":1,}", "\"abc",
                                            // invalid UTF-8 in a string (found by fuzz_json_fast: accepted,
                                            // it made a value whose dump() throws)
                                            "[\"do 4\xab pens\"]", "\"\xc3\"", "\"\xed\xa0\x80\""};
  for (const auto& text : invalid) {
    util::Json out;
    EXPECT_FALSE(util::ParseJsonFast(text, &out)) << text;
    EXPECT_ANY_THROW(util::Json::parse(text)) << text;
  }
}

// Sha256File streams the file in 256 KB chunks: sizes around block and chunk boundaries hash as the
// whole bytes do.
TEST(Sha256File, StreamedEqualsWholeBytes) {
  const std::string path = ::testing::TempDir() + "/sha256_stream.bin";
  for (size_t size : {0, 1, 63, 64, 65, 262143, 262144, 262145, 262207, 700001}) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    util::WriteFileAtomic(path, bytes);
    EXPECT_EQ(util::Sha256File(path), util::Sha256Hex(bytes)) << size;
  }
  EXPECT_EQ(util::Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// ForEachSlice covers [0, n) once in contiguous chunks and reports the first failing item's error,
// as a single-threaded loop would, however the chunks fall on threads.
TEST(ForEachSlice, CoversEveryItemOnceAndRethrowsTheFirstError) {
  for (size_t n : {0u, 1u, 63u, 64u, 1000u, 4097u}) {
    std::vector<int> seen(n, 0);
    util::ForEachSlice(n, 8, [&](size_t begin, size_t end) {
      ASSERT_LE(begin, end);
      for (size_t i = begin; i < end; ++i) ++seen[i];
    });
    EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(n)) << n;
  }
  for (int repeat = 0; repeat < 20; ++repeat) {
    try {
      util::ForEachSlice(1000, 8, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
          if (i == 137 || i == 512 || i == 999) throw std::runtime_error("item " + std::to_string(i));
        }
      });
      FAIL() << "no error";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "item 137");
    }
  }
}

// ToLower / ToLowerInto lower-case A-Z only, every byte value at every position of the eight-byte
// steps and the tail (so bytes >= 0x80, UTF-8 included, and '@', '[' beside the range stay as they are).
TEST(ToLower, AsciiOnlyAtEveryLane) {
  EXPECT_EQ(util::ToLower("The ANSWER Is: Caf\xc3\x89 @[`{"), "the answer is: caf\xc3\x89 @[`{");
  EXPECT_EQ(util::ToLower(""), "");
  for (int byte = 0; byte < 256; ++byte) {
    for (size_t at = 0; at < 19; ++at) {
      std::string text(19, 'Q');
      text[at] = static_cast<char>(byte);
      std::string expected(19, 'q');
      expected[at] = byte >= 'A' && byte <= 'Z' ? static_cast<char>(byte + 32) : static_cast<char>(byte);
      ASSERT_EQ(util::ToLower(text), expected) << "byte " << byte << " at " << at;
    }
  }
}
