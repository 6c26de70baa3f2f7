// The loaders' shared parsers: JSON/JSONL container detection, RFC 4180 CSV, Python literals.
#include <gtest/gtest.h>

#include "tasks/loaders/csv.h"
#include "tasks/loaders/py_literal.h"
#include "tasks/loaders/source.h"
#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ExpectInputError;
using tasks_test::Scratch;

TEST(ReadRecords, JsonLinesSkipsBlankLinesAndKeepsLineNumbers) {
  const std::string path = Scratch("src/a.jsonl", "{\"x\": 1}\n\n{\"x\": 2}\n");
  auto records = tasks::loaders::ReadRecords(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].index, 1);
  EXPECT_EQ(records[1].where.line, 3);
}

TEST(ReadRecords, JsonArrayRecordsCarryTheLineTheyStartOn) {
  const std::string path =
      Scratch("src/a.json", "[\n  {\"x\": \"a ] , {\"},\n\n  {\"x\": [1, {\"y\": 2}]}\n]\n");
  auto records = tasks::loaders::ReadRecords(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].where.line, 2);
  EXPECT_EQ(records[1].where.line, 4);
  EXPECT_EQ(records[1].value["x"][1]["y"], 2);
}

TEST(ReadRecords, ContainerIsDetectedFromContentNotExtension) {
  const std::string path = Scratch("src/demo.json", "{\"x\": 1}\n{\"x\": 2}\n");
  EXPECT_EQ(tasks::loaders::ReadRecords(path).size(), 2u);
}

TEST(ReadRecords, Errors) {
  const std::string empty = Scratch("src/empty.jsonl", "  \n");
  ExpectInputError([&] { tasks::loaders::ReadRecords(empty); }, empty, 0, "", "empty");
  const std::string bad = Scratch("src/bad.jsonl", "{\"x\": 1}\n{\"x\": \n");
  ExpectInputError([&] { tasks::loaders::ReadRecords(bad); }, bad, 2, "", "malformed JSON");
  const std::string latin1 = Scratch("src/latin1.jsonl", "{\"x\": 1}\n{\"x\": \"caf\xe9\"}\n");
  ExpectInputError([&] { tasks::loaders::ReadRecords(latin1); }, latin1, 2, "", "UTF-8");
  const std::string scalar = Scratch("src/scalar.jsonl", "{\"x\": 1}\n42\n");
  ExpectInputError([&] { tasks::loaders::ReadRecords(scalar); }, scalar, 2, "", "JSON object");
  const std::string empty_array = Scratch("src/empty_array.json", "[]");
  ExpectInputError([&] { tasks::loaders::ReadRecords(empty_array); }, empty_array, 0, "",
                   "no records");
}

TEST(Csv, QuotedCellsHoldCommasQuotesAndLineBreaks) {
  auto table = tasks::loaders::CsvTable::Parse(
      "id,text,note\r\n1,\"a, b\",x\r\n2,\"line one\nline \"\"two\"\"\",\r\n3,plain,\"\"\n",
      "mem.csv");
  ASSERT_EQ(table.rows().size(), 3u);
  EXPECT_EQ(table.rows()[0].cells[1], "a, b");
  EXPECT_EQ(table.rows()[1].cells[1], "line one\nline \"two\"");
  EXPECT_EQ(table.rows()[1].cells[2], "");
  EXPECT_EQ(table.rows()[1].line, 3);
  EXPECT_EQ(table.rows()[2].line, 5);
  EXPECT_EQ(table.Column("note"), 2u);
  EXPECT_EQ(table.FindColumn("missing"), -1);
}

TEST(Csv, ByteOrderMarkAndMissingFinalNewline) {
  auto table = tasks::loaders::CsvTable::Parse("\xEF\xBB\xBFq,a\n\"x\",y", "mem.csv");
  EXPECT_EQ(table.header()[0], "q");
  ASSERT_EQ(table.rows().size(), 1u);
  EXPECT_EQ(table.rows()[0].cells[1], "y");
}

TEST(Csv, Errors) {
  using tasks::loaders::CsvTable;
  ExpectInputError([] { CsvTable::Parse("a,b\n1,\"open\nstill open\n", "m.csv"); }, "m.csv", 2, "",
                   "unterminated");
  ExpectInputError([] { CsvTable::Parse("a,b\n1,2,3\n", "m.csv"); }, "m.csv", 2, "", "3 cells");
  ExpectInputError([] { CsvTable::Parse("a,b\n1,x\"y\n", "m.csv"); }, "m.csv", 2, "", "quote");
  ExpectInputError([] { CsvTable::Parse("a,b\n1,\"x\"y\n", "m.csv"); }, "m.csv", 2, "",
                   "closing quote");
  ExpectInputError([] { CsvTable::Parse("", "m.csv"); }, "m.csv", 0, "", "empty");
  ExpectInputError([] { CsvTable::Parse("a,b\n\xff,1\n", "m.csv"); }, "m.csv", 2, "", "UTF-8");
  ExpectInputError([] { CsvTable::Parse("a,b\n1,2\n", "m.csv").Column("Question"); }, "m.csv", 1,
                   "Question", "missing required column");
}

TEST(PythonLiteral, ReprsOfDictsListsAndStrings) {
  const util::Location where{"f.csv", 3, "lsat-ar"};
  auto v = tasks::loaders::ParsePythonLiteral(
      "{'passage': None, \"question\": 'It\\'s \"x\"\\n\\u00e9', 'options': ['(A)1', '(B)2',], "
      "'label': ('A', 'B'), 'n': -3, 'f': 2.5e1, 'ok': True}",
      where);
  EXPECT_TRUE(v["passage"].is_null());
  EXPECT_EQ(v["question"], "It's \"x\"\n\xc3\xa9");
  EXPECT_EQ(v["options"].size(), 2u);
  EXPECT_EQ(v["label"][1], "B");
  EXPECT_EQ(v["n"], -3);
  EXPECT_DOUBLE_EQ(v["f"].get<double>(), 25.0);
  EXPECT_EQ(v["ok"], true);
  EXPECT_EQ(tasks::loaders::ParsePythonLiteral("'a' \"b\"", where), "ab");
  EXPECT_EQ(tasks::loaders::ParsePythonLiteral("'\\d+\\\\'", where), "\\d+\\");
}

TEST(PythonLiteral, NeverEvaluatesAnything) {
  const util::Location where{"f.csv", 3, "options"};
  for (const char* text :
       {"__import__('os')", "['a', b]", "{1, 2}", "['a'", "'unterminated", "[1] x"}) {
    ExpectInputError([&] { tasks::loaders::ParsePythonLiteral(text, where); }, "f.csv", 3,
                     "options", "Python literal");
  }
}

}  // namespace
