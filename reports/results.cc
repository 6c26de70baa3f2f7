#include "reports/results.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <thread>

#include "harness/util/build_version.h"
#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"

#ifndef HARNESS_VERSION
#define HARNESS_VERSION "0.1.0"
#endif

namespace reports {

namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (util::StartsWith(line, "model name")) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return util::Trim(line.substr(colon + 1));
    }
  }
  return "unknown";
}

long long MemoryBytes() {
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long page_size = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page_size > 0 ? static_cast<long long>(pages) * page_size : 0;
}

}  // namespace

nlohmann::json ResultRowJson(const ResultRow& row) {
  return {{"task", row.task},
          {"variant", row.variant},
          {"method", row.method},
          {"model", row.model},
          {"seed", row.seed},
          {"n", row.n},
          {"template", row.template_name},
          {"extraction_preset", row.extraction_preset},
          {"k", row.k},
          {"metrics", row.metrics}};
}

nlohmann::json EnvironmentJson() {
  struct utsname uts {};
  ::uname(&uts);
  return {{"cpu_model", CpuModel()},
          {"cpu_cores", std::thread::hardware_concurrency()},
          {"memory_bytes", MemoryBytes()},
          {"os", std::string(uts.sysname) + " " + uts.release},
          {"machine", uts.machine},
          {"compiler", std::string("g++ ") + __VERSION__}};
}

std::string UtcNow() {
  std::time_t now = std::time(nullptr);
  std::tm tm {};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json MakeResultsDocument(const nlohmann::json& config, const std::vector<ResultRow>& rows,
                                   const nlohmann::json& environment) {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& row : rows) results.push_back(ResultRowJson(row));
  return {{"schema_version", kResultsSchemaVersion},
          {"harness", {{"version", HARNESS_VERSION}, {"git_commit", util::GitCommit()}, {"git_dirty", util::GitDirty()}}},
          {"created", UtcNow()},
          {"config", config},
          {"environment", environment},
          {"results", results}};
}

nlohmann::json ReadResultsDocument(const std::string& path) {
  nlohmann::json doc = util::ReadJsonFile(path);
  util::Location at{path, 0, "schema_version"};
  if (!doc.is_object() || !doc.contains("schema_version")) {
    throw util::InputError(at, "not a harness results file (no schema_version)");
  }
  if (!doc["schema_version"].is_number_integer() ||
      doc["schema_version"].get<int>() != kResultsSchemaVersion) {
    throw util::InputError(at, "schema_version " + doc["schema_version"].dump() +
                                   " is not supported (this harness reads version " +
                                   std::to_string(kResultsSchemaVersion) + ")");
  }
  if (!doc.contains("results") || !doc["results"].is_array()) {
    throw util::InputError(util::Location{path, 0, "results"}, "missing or not an array");
  }
  return doc;
}

}  // namespace reports
