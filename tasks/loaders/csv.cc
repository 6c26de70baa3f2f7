// RFC 4180 parsing, tolerant of CRLF and LF line ends and of a UTF-8 byte-order mark.
#include "tasks/loaders/csv.h"

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/text.h"

namespace tasks::loaders {

std::vector<CsvRow> ParseCsvRows(const std::string& text, const std::string& path) {
  const size_t bad = util::FirstInvalidUtf8(text);
  if (bad != text.size()) {
    long line = 1;
    for (size_t i = 0; i < bad; ++i) line += text[i] == '\n';
    throw util::InputError(util::Location{path, line, ""},
                           "invalid UTF-8 at byte " + std::to_string(bad));
  }
  size_t i = 0;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;

  std::vector<CsvRow> rows;
  long line = 1;
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::string cell;
    bool row_done = false;
    while (!row_done) {
      cell.clear();
      if (i < text.size() && text[i] == '"') {
        const long opened_at = line;
        ++i;
        while (true) {
          if (i >= text.size()) {
            throw util::InputError(util::Location{path, opened_at, ""},
                                   "unterminated quoted field (opened on this line)");
          }
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              cell += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          cell += c;
          ++i;
        }
        // After the closing quote only a separator or a line end may follow.
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          throw util::InputError(util::Location{path, line, ""},
                                 "unexpected text after a closing quote");
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (text[i] == '"') {
            throw util::InputError(util::Location{path, line, ""},
                                   "quote inside an unquoted field (quote the whole field)");
          }
          cell += text[i++];
        }
      }
      row.cells.push_back(cell);
      if (i >= text.size()) {
        row_done = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        if (text[i] == '\r') ++i;
        if (i < text.size() && text[i] == '\n') ++i;
        ++line;
        row_done = true;
      }
    }
    // A blank line is no record (it would otherwise be one empty cell).
    if (!(row.cells.size() == 1 && row.cells[0].empty())) rows.push_back(std::move(row));
  }
  return rows;
}

CsvTable CsvTable::Parse(const std::string& text, const std::string& path) {
  std::vector<CsvRow> rows = ParseCsvRows(text, path);
  if (rows.empty()) throw util::InputError(util::Location{path, 0, ""}, "file is empty");
  CsvTable table;
  table.path_ = path;
  table.header_ = rows.front().cells;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].cells.size() != table.header_.size()) {
      throw util::InputError(util::Location{path, rows[r].line, ""},
                             "row has " + std::to_string(rows[r].cells.size()) +
                                 " cells, header has " + std::to_string(table.header_.size()));
    }
    table.rows_.push_back(std::move(rows[r]));
  }
  return table;
}

CsvTable CsvTable::Read(const std::string& path) { return Parse(util::ReadFile(path), path); }

long CsvTable::FindColumn(const std::string& name) const {
  for (size_t c = 0; c < header_.size(); ++c) {
    if (header_[c] == name) return static_cast<long>(c);
  }
  return -1;
}

size_t CsvTable::Column(const std::string& name) const {
  long c = FindColumn(name);
  if (c < 0) throw util::InputError(util::Location{path_, 1, name}, "missing required column");
  return static_cast<size_t>(c);
}

}  // namespace tasks::loaders
