// The results.json document (schema in reports/results.schema.json) and the run environment recorded in it.
// Writers (score, eval, run) build rows and call MakeResultsDocument; reports only ever read these files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reports {

// Bump when a field changes meaning or is removed; readers refuse other versions.
constexpr int kResultsSchemaVersion = 1;

struct ResultRow {
  std::string task;
  std::string variant;
  std::string method;             // "external" for `harness score`, else base / sft / crlft / reft / start / wsrl
  std::string model;              // model name or checkpoint
  uint64_t seed = 0;
  int n = 0;                      // problems scored
  std::string template_name;
  std::string extraction_preset;
  int k = 1;                      // samples per problem used for @k metrics
  nlohmann::json metrics = nlohmann::json::object();
};

nlohmann::json ResultRowJson(const ResultRow& row);

// Machine facts: CPU model, cores, memory, OS, compiler. Torch facts are added by the torch side.
nlohmann::json EnvironmentJson();

// UTC timestamp "YYYY-MM-DDTHH:MM:SSZ".
std::string UtcNow();

// The full document: schema_version, harness {version, git_commit}, created, config, environment, results.
nlohmann::json MakeResultsDocument(const nlohmann::json& config, const std::vector<ResultRow>& rows,
                                   const nlohmann::json& environment);

// Reads a results.json and checks schema_version; throws util::InputError otherwise.
nlohmann::json ReadResultsDocument(const std::string& path);

}  // namespace reports
