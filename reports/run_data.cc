// Readers for results.json / samples.jsonl (see run_data.h for what is strict and what is tolerant).
#include "reports/run_data.h"

#include <filesystem>
#include <set>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"

namespace reports {

namespace {

using util::InputError;
using util::Json;
using util::Location;

Location At(const std::string& file, long line, const std::string& field) {
  return Location{file, line, field};
}

// Optional string field: absent or null → "", a number is rendered, anything else is an error.
std::string OptionalText(const Json& object, const std::string& field, const Location& where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return "";
  return util::RequireScalarAsString(object, field, where);
}

long long OptionalInteger(const Json& object, const std::string& field, const Location& where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer() && !it->is_number_unsigned()) {
    Location at = where;
    at.field = field;
    throw InputError(at, "expected an integer, got " + util::JsonTypeName(*it));
  }
  return it->get<long long>();
}

std::vector<std::string> OptionalStringArray(const Json& object, const std::string& field,
                                             const Location& where) {
  std::vector<std::string> out;
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return out;
  Location at = where;
  at.field = field;
  if (!it->is_array()) throw InputError(at, "expected an array, got " + util::JsonTypeName(*it));
  for (const auto& v : *it) {
    if (!v.is_string()) throw InputError(at, "expected an array of strings, found " + util::JsonTypeName(v));
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Readers for one field of a nested object whose path (e.g. "trajectories[0].tool_calls[1]") is `path`;
// errors name "<path>.<field>". Absent or null → the default.
Location FieldAt(const Location& where, const std::string& path, const std::string& field) {
  return At(where.file, where.line, path + "." + field);
}

std::string NestedString(const Json& object, const std::string& path, const std::string& field, const Location& where,
                         bool required) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    if (required) throw InputError(FieldAt(where, path, field), "missing required field");
    return "";
  }
  if (!it->is_string()) {
    throw InputError(FieldAt(where, path, field), "expected a string, got " + util::JsonTypeName(*it));
  }
  return it->get<std::string>();
}

long long NestedCount(const Json& object, const std::string& path, const std::string& field, const Location& where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return 0;
  if (!it->is_number_integer() && !it->is_number_unsigned()) {
    throw InputError(FieldAt(where, path, field), "expected an integer, got " + util::JsonTypeName(*it));
  }
  const long long v = it->get<long long>();
  if (v < 0) throw InputError(FieldAt(where, path, field), "expected a non-negative integer, got " + it->dump());
  return v;
}

const Json* NestedArray(const Json& object, const std::string& path, const std::string& field, const Location& where) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_array()) {
    throw InputError(FieldAt(where, path, field), "expected an array, got " + util::JsonTypeName(*it));
  }
  return &*it;
}

void RequireObject(const Json& value, const std::string& path, const Location& where) {
  if (!value.is_object()) {
    throw InputError(At(where.file, where.line, path), "expected a JSON object, got " + util::JsonTypeName(value));
  }
}

ToolCall ParseToolCall(const Json& value, const std::string& path, const Location& where) {
  RequireObject(value, path, where);
  ToolCall call;
  call.code = NestedString(value, path, "code", where, true);
  call.output = NestedString(value, path, "output", where, false);
  call.status = NestedString(value, path, "status", where, true);
  if (auto it = value.find("seconds"); it != value.end() && !it->is_null()) {
    if (!it->is_number()) {
      throw InputError(FieldAt(where, path, "seconds"), "expected a number, got " + util::JsonTypeName(*it));
    }
    call.seconds = it->get<double>();
  }
  call.round = NestedCount(value, path, "round", where);
  return call;
}

InsertedHint ParseHint(const Json& value, const std::string& path, const Location& where) {
  RequireObject(value, path, where);
  InsertedHint hint;
  hint.kind = NestedString(value, path, "kind", where, false);
  hint.text = NestedString(value, path, "text", where, true);
  hint.where = NestedString(value, path, "where", where, false);
  hint.round = NestedCount(value, path, "round", where);
  return hint;
}

Trajectory ParseTrajectory(const Json& value, const std::string& path, const Location& where) {
  RequireObject(value, path, where);
  Trajectory t;
  t.text = NestedString(value, path, "text", where, true);
  if (const Json* calls = NestedArray(value, path, "tool_calls", where)) {
    for (size_t i = 0; i < calls->size(); ++i) {
      t.tool_calls.push_back(ParseToolCall((*calls)[i], path + ".tool_calls[" + std::to_string(i) + "]", where));
    }
  }
  if (const Json* hints = NestedArray(value, path, "hints", where)) {
    for (size_t i = 0; i < hints->size(); ++i) {
      t.hints.push_back(ParseHint((*hints)[i], path + ".hints[" + std::to_string(i) + "]", where));
    }
  }
  t.hint_rounds = NestedCount(value, path, "hint_rounds", where);
  if (auto it = value.find("truncated_calls"); it != value.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      throw InputError(FieldAt(where, path, "truncated_calls"), "expected a boolean, got " + util::JsonTypeName(*it));
    }
    t.truncated_calls = it->get<bool>();
  }
  return t;
}

RowKey ParseKey(const Json& object, const Location& where) {
  RowKey key;
  key.task = util::RequireString(object, "task", where);
  key.method = util::RequireString(object, "method", where);
  key.variant = OptionalText(object, "variant", where);
  key.model = OptionalText(object, "model", where);
  key.seed = OptionalInteger(object, "seed", where);
  return key;
}

MetricRow ParseRow(const Json& row, const std::string& path, size_t index) {
  Location where = At(path, 0, "");
  const std::string prefix = "results[" + std::to_string(index) + "].";
  if (!row.is_object()) {
    throw InputError(At(path, 0, "results[" + std::to_string(index) + "]"),
                     "expected a JSON object, got " + util::JsonTypeName(row));
  }
  auto field_error = [&](const std::string& field, const std::string& msg) {
    return InputError(At(path, 0, prefix + field), msg);
  };
  MetricRow out;
  try {
    out.key = ParseKey(row, where);
    out.n = OptionalInteger(row, "n", where);
  } catch (const InputError& e) {
    throw field_error(e.where().field, e.detail());
  }
  auto metrics = row.find("metrics");
  if (metrics == row.end()) throw field_error("metrics", "missing required field");
  if (!metrics->is_object()) {
    throw field_error("metrics", "expected an object, got " + util::JsonTypeName(*metrics));
  }
  for (const auto& [name, value] : metrics->items()) {
    if (value.is_null()) continue;  // a metric that could not be computed (e.g. pass@k with n < k)
    if (util::EndsWith(name, "_ci95")) {
      if (!value.is_array() || value.size() != 2 || !value[0].is_number() || !value[1].is_number()) {
        throw field_error("metrics." + name, "expected [low, high], got " + value.dump());
      }
      out.ci95[name.substr(0, name.size() - 5)] = {value[0].get<double>(), value[1].get<double>()};
      continue;
    }
    if (!value.is_number()) {
      // Non-numeric extras (notes, per-bucket objects) are kept in `raw` but not compared.
      continue;
    }
    if (util::EndsWith(name, "_stderr")) {
      out.stderrs[name.substr(0, name.size() - 7)] = value.get<double>();
    } else {
      out.values[name] = value.get<double>();
    }
  }
  out.raw = row;
  return out;
}

}  // namespace

std::string RowKey::TaskLabel() const { return variant.empty() ? task : task + "[" + variant + "]"; }

std::string RowKey::Label() const {
  std::string out = TaskLabel() + "/" + method;
  if (!model.empty()) out += "/" + model;
  out += "/seed" + std::to_string(seed);
  return out;
}

std::map<std::string, const SampleRecord*> LoadedRun::SamplesOf(const RowKey& key) const {
  std::map<std::string, const SampleRecord*> out;
  for (const auto& s : samples) {
    if (s.key == key) out.emplace(s.id, &s);
  }
  return out;
}

std::string SamplesPathFor(const std::string& results_path) {
  std::filesystem::path p(results_path);
  return (p.parent_path() / "samples.jsonl").string();
}

LoadedRun ParseResults(const nlohmann::json& document, const std::string& path) {
  LoadedRun run;
  run.results_path = path;
  if (!document.is_object()) {
    throw InputError(At(path, 0, ""), "expected a JSON object at top level, got " + util::JsonTypeName(document));
  }
  auto version = document.find("schema_version");
  if (version == document.end()) throw InputError(At(path, 0, "schema_version"), "missing required field");
  if (!version->is_number_integer() && !version->is_number_unsigned()) {
    throw InputError(At(path, 0, "schema_version"), "expected an integer, got " + version->dump());
  }
  run.schema_version = version->get<int>();
  auto results = document.find("results");
  if (results == document.end()) throw InputError(At(path, 0, "results"), "missing required field");
  if (!results->is_array()) {
    throw InputError(At(path, 0, "results"), "expected an array, got " + util::JsonTypeName(*results));
  }
  std::set<RowKey> seen;
  for (size_t i = 0; i < results->size(); ++i) {
    MetricRow row = ParseRow((*results)[i], path, i);
    if (!seen.insert(row.key).second) {
      throw InputError(At(path, 0, "results[" + std::to_string(i) + "]"),
                       "duplicate row " + row.key.Label());
    }
    run.rows.push_back(std::move(row));
  }
  run.studies = ParseStudies(document, path);
  run.document = document;
  return run;
}

SampleRecord ParseSample(const Json& value, const Location& where) {
  const std::string& samples_path = where.file;
  const long line = where.line;
  if (!value.is_object()) throw InputError(where, "expected a JSON object, got " + util::JsonTypeName(value));
  SampleRecord s;
  s.line = line;
  s.key = ParseKey(value, where);
  s.id = util::RequireScalarAsString(value, "id", where);
  s.prompt = OptionalText(value, "prompt", where);
  s.gold = OptionalText(value, "gold", where);
  s.completions = OptionalStringArray(value, "completions", where);
  s.rules = OptionalStringArray(value, "rules", where);
  if (auto it = value.find("extracted"); it != value.end() && !it->is_null()) {
    if (!it->is_array()) {
      throw InputError(At(samples_path, line, "extracted"), "expected an array, got " + util::JsonTypeName(*it));
    }
    for (const auto& e : *it) {
      if (e.is_null()) {
        s.extracted.emplace_back(std::nullopt);
      } else if (e.is_string()) {
        s.extracted.emplace_back(e.get<std::string>());
      } else {
        throw InputError(At(samples_path, line, "extracted"),
                         "expected strings or nulls, found " + util::JsonTypeName(e));
      }
    }
  }
  if (auto it = value.find("scores"); it != value.end() && !it->is_null()) {
    if (!it->is_array()) {
      throw InputError(At(samples_path, line, "scores"), "expected an array, got " + util::JsonTypeName(*it));
    }
    for (const auto& e : *it) {
      if (!e.is_number()) {
        throw InputError(At(samples_path, line, "scores"), "expected numbers, found " + util::JsonTypeName(e));
      }
      s.scores.push_back(e.get<double>());
    }
  }
  if (auto it = value.find("trajectories"); it != value.end() && !it->is_null()) {
    if (!it->is_array()) {
      throw InputError(At(samples_path, line, "trajectories"), "expected an array, got " + util::JsonTypeName(*it));
    }
    for (size_t i = 0; i < it->size(); ++i) {
      s.trajectories.push_back(ParseTrajectory((*it)[i], "trajectories[" + std::to_string(i) + "]", where));
    }
    if (!s.trajectories.empty() && !s.completions.empty() && s.trajectories.size() != s.completions.size()) {
      throw InputError(At(samples_path, line, "trajectories"),
                       "expected one trajectory per completion: " + std::to_string(s.trajectories.size()) +
                           " trajectories, " + std::to_string(s.completions.size()) + " completions");
    }
  }
  const Json& correct = util::RequireField(value, "correct", where);
  if (!correct.is_array() || correct.empty()) {
    throw InputError(At(samples_path, line, "correct"), "expected a non-empty array of booleans");
  }
  for (const auto& c : correct) {
    if (!c.is_boolean()) {
      throw InputError(At(samples_path, line, "correct"), "expected booleans, found " + util::JsonTypeName(c));
    }
    s.correct.push_back(c.get<bool>());
  }
  return s;
}

std::vector<SampleRecord> ReadSamples(const std::string& samples_path) {
  std::vector<SampleRecord> out;
  std::map<std::pair<RowKey, std::string>, long> first_line;
  for (const auto& [value, line] : util::ReadJsonLines(samples_path)) {
    SampleRecord s = ParseSample(value, At(samples_path, line, ""));
    auto [it, inserted] = first_line.emplace(std::make_pair(s.key, s.id), line);
    if (!inserted) {
      throw InputError(At(samples_path, line, "id"), "duplicate sample '" + s.id + "' of row " + s.key.Label() +
                                                         " (first on line " + std::to_string(it->second) + ")");
    }
    out.push_back(std::move(s));
  }
  return out;
}

LoadedRun LoadRun(const std::string& results_path, bool with_samples) {
  LoadedRun run = ParseResults(util::ReadJsonFile(results_path), results_path);
  const std::string samples = SamplesPathFor(results_path);
  // A run without rows (only studies) has no samples to join; its samples.jsonl is empty.
  if (with_samples && !run.rows.empty() && util::FileExists(samples)) {
    run.samples = ReadSamples(samples);
    run.samples_path = samples;
  }
  return run;
}

}  // namespace reports
