#include "harness/scoring/predictions.h"

#include "harness/util/json_io.h"

namespace scoring {

namespace {

using util::Json;
using util::Location;

// The strings are moved out of `value` (a parsed line, dropped afterwards): completions are most of
// the file's bytes.
std::vector<std::string> StringList(Json& value, const Location& at) {
  if (!value.is_array()) throw util::InputError(at, "expected an array of strings, got " + util::JsonTypeName(value));
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      throw util::InputError(at, "element " + std::to_string(i) + " is " + util::JsonTypeName(value[i]) +
                                     ", expected a string");
    }
    out.push_back(std::move(value[i].get_ref<std::string&>()));
  }
  return out;
}

Prediction FromHarnessLine(Json& row, const Location& where) {
  Prediction p;
  p.id = util::RequireScalarAsString(row, "id", where);
  Location at = where;
  at.field = "completions";
  util::RequireField(row, "completions", where);
  p.completions = StringList(row["completions"], at);
  if (row.contains("scores") && !row["scores"].is_null()) {
    at.field = "scores";
    const Json& scores = row["scores"];
    if (!scores.is_array()) throw util::InputError(at, "expected an array of numbers");
    for (const auto& s : scores) {
      if (!s.is_number()) throw util::InputError(at, "expected numbers, got " + util::JsonTypeName(s));
      p.scores.push_back(s.get<double>());
    }
    if (p.scores.size() != p.completions.size()) {
      throw util::InputError(at, std::to_string(p.scores.size()) + " scores for " +
                                     std::to_string(p.completions.size()) + " completions");
    }
  }
  return p;
}

// lm-eval: "resps" is one list per request; generate_until tasks have one request whose list holds the
// repeats ([[gen1, gen2, ...]]). A flat list of strings is accepted too.
Prediction FromLmEvalLine(Json& row, const Location& where) {
  Prediction p;
  Location at = where;
  at.field = "doc_id";
  const Json& doc_id = util::RequireField(row, "doc_id", where);
  if (!doc_id.is_number_integer() || doc_id.get<long>() < 0) {
    throw util::InputError(at, "expected a non-negative integer, got " + doc_id.dump());
  }
  p.doc_index = doc_id.get<long>();
  at.field = "resps";
  util::RequireField(row, "resps", where);
  Json& resps = row["resps"];
  if (!resps.is_array()) throw util::InputError(at, "expected an array");
  for (auto& request : resps) {
    if (request.is_string()) {
      p.completions.push_back(request.get<std::string>());
    } else {
      auto list = StringList(request, at);
      p.completions.insert(p.completions.end(), list.begin(), list.end());
    }
  }
  return p;
}

}  // namespace

std::vector<Prediction> ReadPredictions(const std::string& path) {
  std::vector<Prediction> out;
  std::vector<util::JsonLine> lines = util::ReadJsonLines(path);
  out.reserve(lines.size());
  for (auto& line : lines) {
    Location where{path, line.line, ""};
    if (!line.value.is_object()) {
      throw util::InputError(where, "expected a JSON object, got " + util::JsonTypeName(line.value));
    }
    Prediction p = line.value.contains("resps") || line.value.contains("doc_id")
                       ? FromLmEvalLine(line.value, where)
                       : FromHarnessLine(line.value, where);
    if (p.completions.empty()) {
      where.field = line.value.contains("resps") ? "resps" : "completions";
      throw util::InputError(where, "no completions");
    }
    p.file = path;
    p.line = line.line;
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace scoring
