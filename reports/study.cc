// Studies in results.json: the runner's entry, the reader and the aggregation over seeds (see study.h).
#include "reports/study.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "harness/util/json_io.h"

namespace reports {

namespace {

using nlohmann::json;
using util::InputError;
using util::Location;

std::string Join(const std::string& path, const std::string& field) { return path.empty() ? field : path + "." + field; }

[[noreturn]] void Fail(const std::string& file, const std::string& field, const std::string& message) {
  throw InputError(Location{file, 0, field}, message);
}

// Optional string: absent or null → fallback.
std::string Text(const json& object, const std::string& key, const std::string& file, const std::string& path,
                 const std::string& fallback = "") {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) Fail(file, Join(path, key), "expected a string, got " + util::JsonTypeName(*it));
  return it->get<std::string>();
}

const json* OptionalObject(const json& object, const std::string& key, const std::string& file,
                           const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  if (!it->is_object()) Fail(file, Join(path, key), "expected an object, got " + util::JsonTypeName(*it));
  return &*it;
}

// An array of numbers; nulls become NaN when `allow_null`.
std::vector<double> Numbers(const json& object, const std::string& key, const std::string& file, const std::string& path,
                            bool allow_null) {
  auto it = object.find(key);
  if (it == object.end()) Fail(file, Join(path, key), "missing required field");
  if (!it->is_array()) Fail(file, Join(path, key), "expected an array of numbers, got " + util::JsonTypeName(*it));
  std::vector<double> out;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (v.is_number()) {
      out.push_back(v.get<double>());
    } else if (v.is_null() && allow_null) {
      out.push_back(NAN);
    } else {
      Fail(file, Join(path, key) + "[" + std::to_string(i) + "]",
           std::string("expected a number") + (allow_null ? " or null" : "") + ", got " + util::JsonTypeName(v));
    }
  }
  return out;
}

template <typename T>
void AddOnce(std::vector<T>& list, const T& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

}  // namespace

nlohmann::json StudyEntry(const nlohmann::json& summary, const std::string& method, uint64_t seed,
                          const std::string& where) {
  if (!summary.is_object() || !summary.contains("study") || summary["study"].is_null()) return nullptr;
  json entry = summary["study"];
  if (!entry.is_object()) Fail(where, "study", "expected an object, got " + util::JsonTypeName(entry));
  entry["method"] = method;
  entry["seed"] = seed;
  ParseStudy(entry, where, "study");
  return entry;
}

StudyRecord ParseStudy(const nlohmann::json& value, const std::string& file, const std::string& path) {
  if (!value.is_object()) Fail(file, path, "expected a study object, got " + util::JsonTypeName(value));
  StudyRecord r;
  r.name = Text(value, "name", file, path);
  if (r.name.empty()) Fail(file, Join(path, "name"), "missing required field");
  r.title = Text(value, "title", file, path, r.name);
  r.method = Text(value, "method", file, path);
  r.arm = Text(value, "arm", file, path, r.method);
  r.x_label = Text(value, "x_label", file, path);
  r.notes = Text(value, "notes", file, path);
  if (auto it = value.find("seed"); it != value.end() && !it->is_null()) {
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
      Fail(file, Join(path, "seed"), "expected an integer, got " + util::JsonTypeName(*it));
    }
    r.seed = it->get<long long>();
  }
  if (auto it = value.find("switch_x"); it != value.end() && !it->is_null()) {
    if (!it->is_number()) Fail(file, Join(path, "switch_x"), "expected a number, got " + util::JsonTypeName(*it));
    r.switch_x = it->get<double>();
  }
  const json* curves = OptionalObject(value, "curves", file, path);
  if (curves == nullptr) Fail(file, Join(path, "curves"), "missing required field");
  for (const auto& [key, c] : curves->items()) {
    const std::string at = Join(path, "curves." + key);
    if (!c.is_object()) Fail(file, at, "expected an object with x and y, got " + util::JsonTypeName(c));
    StudyCurve curve;
    curve.label = Text(c, "label", file, at, key);
    curve.x = Numbers(c, "x", file, at, false);
    curve.y = Numbers(c, "y", file, at, true);
    if (curve.x.size() != curve.y.size()) {
      Fail(file, Join(at, "y"), "has " + std::to_string(curve.y.size()) + " values for " +
                                    std::to_string(curve.x.size()) + " x values");
    }
    r.curves.emplace_back(key, std::move(curve));
  }
  if (const json* scalars = OptionalObject(value, "scalars", file, path)) {
    for (const auto& [key, v] : scalars->items()) {
      if (v.is_null()) {
        r.scalars.emplace_back(key, NAN);
      } else if (v.is_number()) {
        r.scalars.emplace_back(key, v.get<double>());
      } else {
        Fail(file, Join(path, "scalars." + key), "expected a number, got " + util::JsonTypeName(v));
      }
    }
  }
  if (const json* labels = OptionalObject(value, "scalar_labels", file, path)) {
    for (const auto& [key, v] : labels->items()) r.scalar_labels[key] = Text(*labels, key, file, Join(path, "scalar_labels"));
  }
  return r;
}

std::vector<StudyRecord> ParseStudies(const nlohmann::json& document, const std::string& file) {
  std::vector<StudyRecord> out;
  auto it = document.find("studies");
  if (it == document.end() || it->is_null()) return out;
  if (!it->is_array()) Fail(file, "studies", "expected an array, got " + util::JsonTypeName(*it));
  for (size_t i = 0; i < it->size(); ++i) out.push_back(ParseStudy((*it)[i], file, "studies[" + std::to_string(i) + "]"));
  return out;
}

std::vector<StudyCurvePoint> AggregateCurve(const std::vector<const StudyCurve*>& curves) {
  std::map<double, std::vector<double>> by_x;
  for (const StudyCurve* c : curves) {
    for (size_t i = 0; i < c->x.size(); ++i) {
      if (std::isfinite(c->x[i])) by_x[c->x[i]].push_back(c->y[i]);
    }
  }
  std::vector<StudyCurvePoint> out;
  for (const auto& [x, ys] : by_x) {
    const stats::MeanInterval m = stats::MeanWithTInterval(ys);
    out.push_back({x, m.mean, m.mean - m.half, m.mean + m.half, m.n});
  }
  return out;
}

std::vector<StudyGroup> GroupStudies(const std::vector<StudyRecord>& records) {
  std::vector<StudyGroup> groups;
  // (group, arm) -> the records of that arm.
  std::map<std::pair<size_t, size_t>, std::vector<const StudyRecord*>> members;
  for (const StudyRecord& r : records) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const StudyGroup& x) { return x.name == r.name; });
    if (g == groups.end()) {
      groups.push_back(StudyGroup{r.name, r.title, "", std::nullopt, {}, {}, {}, {}, {}});
      g = groups.end() - 1;
    }
    if (g->x_label.empty()) g->x_label = r.x_label;
    if (!g->switch_x && r.switch_x) g->switch_x = r.switch_x;
    for (const auto& [key, curve] : r.curves) {
      AddOnce(g->curve_keys, key);
      g->curve_labels.emplace(key, curve.label);
    }
    for (const auto& [key, value] : r.scalars) AddOnce(g->scalar_keys, key);
    for (const auto& [key, label] : r.scalar_labels) g->scalar_labels.emplace(key, label);
    auto a = std::find_if(g->arms.begin(), g->arms.end(), [&](const StudyArm& x) { return x.arm == r.arm; });
    if (a == g->arms.end()) {
      g->arms.push_back(StudyArm{r.arm, {}, {}, {}, {}, {}});
      a = g->arms.end() - 1;
    }
    AddOnce(a->methods, r.method);
    a->seeds.push_back(r.seed);
    if (!r.notes.empty()) AddOnce(a->notes, r.notes);
    members[{static_cast<size_t>(g - groups.begin()), static_cast<size_t>(a - g->arms.begin())}].push_back(&r);
  }
  for (auto& [index, recs] : members) {
    StudyGroup& g = groups[index.first];
    StudyArm& arm = g.arms[index.second];
    for (const auto& key : g.curve_keys) {
      std::vector<const StudyCurve*> curves;
      for (const StudyRecord* r : recs) {
        for (const auto& [k, c] : r->curves) {
          if (k == key) curves.push_back(&c);
        }
      }
      if (!curves.empty()) arm.curves[key] = AggregateCurve(curves);
    }
    for (const auto& key : g.scalar_keys) {
      std::vector<double> values;
      for (const StudyRecord* r : recs) {
        for (const auto& [k, v] : r->scalars) {
          if (k == key) values.push_back(v);
        }
      }
      if (!values.empty()) arm.scalars[key] = stats::MeanWithTInterval(values);
    }
  }
  for (auto& g : groups) {
    if (g.x_label.empty()) g.x_label = "x";
  }
  return groups;
}

}  // namespace reports
