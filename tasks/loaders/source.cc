// Container detection and per-record positions for task data files.
#include "tasks/loaders/source.h"

#include <filesystem>

#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"

namespace tasks::loaders {

namespace {

long LineOfOffset(const std::string& text, size_t offset) {
  long line = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

// Byte offsets at which each top-level element of a JSON array starts. The scan only tracks strings
// and nesting depth; the real parse (with its error messages) happens separately.
std::vector<size_t> ArrayElementOffsets(const std::string& text) {
  std::vector<size_t> offsets;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool expect_element = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (depth == 1 && expect_element && c != ']') {
      offsets.push_back(i);
      expect_element = false;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
      if (depth == 1) expect_element = true;
    } else if (c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 1) {
      expect_element = true;
    }
  }
  return offsets;
}

}  // namespace

std::vector<SourceRecord> ReadRecords(const std::string& path) {
  const std::string text = util::ReadFile(path);
  const size_t bad = util::FirstInvalidUtf8(text);
  if (bad != text.size()) {
    throw util::InputError(util::Location{path, LineOfOffset(text, bad), ""},
                           "invalid UTF-8 at byte " + std::to_string(bad));
  }
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    throw util::InputError(util::Location{path, 0, ""}, "file is empty");

  std::vector<SourceRecord> records;
  if (text[first] == '[') {
    util::Json array = util::ReadJsonFile(path);
    if (!array.is_array()) {
      throw util::InputError(util::Location{path, 0, ""}, "expected a JSON array of records");
    }
    const std::vector<size_t> offsets = ArrayElementOffsets(text);
    // Offsets increase, so one pass over the text numbers every element's line.
    long line = 1;
    size_t scanned = 0;
    for (size_t i = 0; i < array.size(); ++i) {
      long at = 0;
      if (i < offsets.size()) {
        for (; scanned < offsets[i]; ++scanned) line += text[scanned] == '\n';
        at = line;
      }
      records.push_back({std::move(array[i]), static_cast<long>(i), util::Location{path, at, ""}});
    }
  } else {
    std::vector<util::JsonLine> lines = util::ReadJsonLines(path);
    for (size_t i = 0; i < lines.size(); ++i) {
      records.push_back({std::move(lines[i].value), static_cast<long>(i),
                         util::Location{path, lines[i].line, ""}});
    }
  }
  if (records.empty()) throw util::InputError(util::Location{path, 0, ""}, "file holds no records");
  for (const auto& r : records) RequireObject(r);
  return records;
}

std::string SourceString(const SourceRecord& record) {
  return record.where.file + ":" + std::to_string(record.where.line);
}

std::string FileStem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

util::Location At(const SourceRecord& record, const std::string& field) {
  util::Location at = record.where;
  at.field = field;
  return at;
}

void RequireObject(const SourceRecord& record) {
  if (!record.value.is_object()) {
    throw util::InputError(
        record.where, "expected a JSON object per record, got " + util::JsonTypeName(record.value));
  }
}

bool Has(const nlohmann::json& object, const std::string& field) {
  auto it = object.find(field);
  return it != object.end() && !it->is_null();
}

}  // namespace tasks::loaders
