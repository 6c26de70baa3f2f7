// Helpers for the synthetic-generator tests: option builders, temp files, an RFC 4180 reader, and a
// batch runner for generated Python programs (one python3 process for many programs).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/util/files.h"
#include "tasks/synth/synth.h"

namespace synth_test {

inline tasks::synth::SynthOptions Opt(const std::string& task, const std::string& split, int n,
                                      uint64_t seed, const std::string& style = "", int steps = 0) {
  tasks::synth::SynthOptions o;
  o.task = task;
  o.split = split;
  o.n = n;
  o.seed = seed;
  o.style = style;
  o.steps = steps;
  return o;
}

inline std::string TempPath(const std::string& name) {
  auto dir =
      std::filesystem::temp_directory_path() / ("harness_synth_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

inline bool HavePython() { return std::system("python3 -c 'pass' > /dev/null 2>&1") == 0; }

// Runs the cases (see tests/fixtures/synth/run_programs.py) and returns one result object per case.
inline nlohmann::json RunPrograms(const nlohmann::json& cases) {
  const std::string in = TempPath("cases.json"), out = TempPath("results.json");
  util::WriteFileAtomic(in, cases.dump());
  std::string cmd =
      std::string("python3 ") + HARNESS_TEST_FIXTURES + "/synth/run_programs.py " + in + " " + out;
  if (std::system(cmd.c_str()) != 0) return nlohmann::json::array();
  return nlohmann::json::parse(util::ReadFile(out));
}

// Minimal RFC 4180 reader: quoted fields, doubled quotes, CRLF or LF line ends, newlines inside
// quotes.
inline std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_quotes = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      in_quotes = quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
      quoted = false;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(field);
      field.clear();
      quoted = false;
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || quoted) rows.back().push_back(field);
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

}  // namespace synth_test
