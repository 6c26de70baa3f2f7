// Helpers shared by the task tests: fixture paths, scratch files, and InputError checks.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/util/error.h"
#include "tasks/registry.h"

namespace tasks_test {

inline std::string Fixture(const std::string& relative) {
  return std::string(HARNESS_TEST_FIXTURES) + "/tasks/" + relative;
}

// Writes `text` to a fresh file named `name` under a per-process temp dir and returns its path.
inline std::string Scratch(const std::string& name, const std::string& text) {
  auto dir =
      std::filesystem::temp_directory_path() / ("harness_tasks_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / std::filesystem::path(name).parent_path());
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

inline std::vector<tasks::Record> Load(const std::string& task, const std::string& path,
                                       const std::string& variant = "") {
  tasks::LoadOptions options;
  options.path = path;
  options.variant = variant;
  return tasks::FindTask(task).Load(options);
}

// Runs `fn`, expects util::InputError, and checks its location and that the message holds `needle`.
inline void ExpectInputError(const std::function<void()>& fn, const std::string& file, long line,
                             const std::string& field, const std::string& needle = "") {
  try {
    fn();
    ADD_FAILURE() << "expected util::InputError";
  } catch (const util::InputError& e) {
    if (!file.empty()) {
      EXPECT_EQ(e.where().file, file) << e.what();
    }
    EXPECT_EQ(e.where().line, line) << e.what();
    EXPECT_EQ(e.where().field, field) << e.what();
    if (!needle.empty()) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
}

// One loaded record checked against its expected id, gold and variant.
struct GoldCase {
  const char* task;
  const char* file;
  size_t count;
  size_t index;
  const char* id;
  const char* gold;
  const char* variant;
};

// A malformed file and the location its InputError must name.
struct ErrorCase {
  const char* task;
  const char* name;
  const char* text;
  long line;
  const char* field;
  const char* needle;
};

// A readable, stable test-name suffix: letters, digits and "-_./:" kept, anything else as '_'.
inline std::string Slug(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || c == '/' || c == ':';
    out += keep ? c : '_';
  }
  return out;
}

// Parameter printers, so ctest lists "gsm8k:gsm8k/test.jsonl:1" instead of raw bytes.
inline void PrintTo(const GoldCase& c, std::ostream* os) {
  *os << Slug(std::string(c.task) + ":" + c.file + ":" + std::to_string(c.index));
}
inline void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << Slug(std::string(c.task) + ":" + c.name);
}

}  // namespace tasks_test
