// An RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and line breaks (GPQA's
// questions and AGIEval's few_shot_prompts.csv both rely on multi-line quoted cells).
#pragma once

#include <string>
#include <vector>

namespace tasks::loaders {

struct CsvRow {
  std::vector<std::string> cells;
  long line = 0;  // 1-based line of the file on which the row starts
};

// A parsed file: the first row is the header; columns are looked up by name.
class CsvTable {
 public:
  // Parses `path`. Throws util::InputError (file, line) for invalid UTF-8, an unterminated quoted
  // field, a stray quote inside an unquoted field, text after a closing quote, an empty file, and
  // rows whose cell count differs from the header's.
  static CsvTable Read(const std::string& path);
  // Parses text already in memory; `path` only names it in errors.
  static CsvTable Parse(const std::string& text, const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }  // data rows, header excluded

  // Index of the column named `name`; throws util::InputError (file, line 1, field = name) when
  // absent.
  size_t Column(const std::string& name) const;
  // -1 when absent.
  long FindColumn(const std::string& name) const;

 private:
  std::string path_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

// Splits CSV text into rows (header included) without checking row widths.
std::vector<CsvRow> ParseCsvRows(const std::string& text, const std::string& path);

}  // namespace tasks::loaders
