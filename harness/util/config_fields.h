// Config structs whose fields are declared once. A `Fields<Config>` list names each field with its
// member, one-line doc and validator; parsing (unknown keys with "did you mean", type checks, the
// validators), `ToJson`, the printed table and `harness methods --json` all come from that list. The
// default of a field is its value in a default-constructed Config.
//
//   static const util::Fields<Eval>& EvalFields() {
//     static const auto* f = &(new util::Fields<Eval>())
//         ->Add("k", &Eval::k, "sampled completions per problem", util::AtLeast(0))
//         .Rule([](const Eval& e) { return e.k > 1 && e.temperature <= 0 ? ... : util::Ok(); });
//     return *f;
//   }
//
// Errors are util::InputError naming the config file and the dotted key path ("tasks[0].steps").
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "harness/util/config_json.h"
#include "harness/util/error.h"
#include "harness/util/json_io.h"

namespace util {

// A validator returns "" when the value is acceptable, else the message.
template <typename T>
using Check = std::function<std::string(const T&)>;

// A rule over the whole config (cross-field); returns {field, message} or {"", ""} when fine.
struct RuleFailure {
  std::string field;
  std::string message;
};
inline RuleFailure Ok() { return {}; }

template <typename T>
Check<T> AtLeast(T low) {
  return [low](const T& v) { return v >= low ? std::string() : "must be >= " + Json(low).dump(); };
}
template <typename T>
Check<T> InRange(T low, T high) {  // inclusive
  return [low, high](const T& v) {
    return v >= low && v <= high ? std::string()
                                 : "must be in [" + Json(low).dump() + ", " + Json(high).dump() + "]";
  };
}
Check<std::string> OneOf(std::vector<std::string> allowed);  // "" is allowed only when listed
Check<std::string> NonEmpty();

namespace internal {

template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

// Type name for docs and `harness methods`.
template <typename T>
std::string TypeName() {
  if constexpr (std::is_same_v<T, std::string>) return "string";
  else if constexpr (std::is_same_v<T, bool>) return "bool";
  else if constexpr (std::is_integral_v<T>) return "int";
  else if constexpr (std::is_floating_point_v<T>) return "number";
  else if constexpr (std::is_same_v<T, Json>) return "object";
  else if constexpr (IsVector<T>::value) return "list of " + TypeName<typename T::value_type>();
  else return "object";
}

// Reads one scalar (string, bool, integer, number) or a JSON object, type-checked.
template <typename T>
T ReadValue(const Json& value, const std::string& source, const std::string& where) {
  if constexpr (std::is_same_v<T, Json>) {
    if (!value.is_object()) ConfigError(source, where, "expected an object, got " + JsonTypeName(value));
    return value;
  } else if constexpr (IsVector<T>::value) {
    if (!value.is_array()) ConfigError(source, where, "expected an array, got " + JsonTypeName(value));
    T out;
    for (size_t i = 0; i < value.size(); ++i) {
      out.push_back(ReadValue<typename T::value_type>(value[i], source, where + "[" + std::to_string(i) + "]"));
    }
    return out;
  } else {
    if constexpr (std::is_same_v<T, std::string>) {
      if (!value.is_string()) ConfigError(source, where, "expected a string, got " + JsonTypeName(value));
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!value.is_boolean()) ConfigError(source, where, "expected true/false, got " + JsonTypeName(value));
    } else if constexpr (std::is_integral_v<T>) {
      if (!value.is_number_integer()) ConfigError(source, where, "expected an integer, got " + value.dump());
      if (std::is_unsigned_v<T> && value.get<long long>() < 0 && !value.is_number_unsigned())
        ConfigError(source, where, "expected a non-negative integer, got " + value.dump());
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!value.is_number()) ConfigError(source, where, "expected a number, got " + JsonTypeName(value));
    }
    try {
      return value.get<T>();
    } catch (const Json::exception& e) {
      ConfigError(source, where, e.what());
    }
  }
}

}  // namespace internal

template <typename Config>
class Fields {
 public:
  // A field of a scalar type (string, bool, integer, number), a vector of those, or a JSON object.
  template <typename T>
  Fields& Add(std::string name, T Config::*member, std::string doc, Check<T> check = nullptr) {
    Field f;
    f.name = name;
    f.type = internal::TypeName<T>();
    f.doc = std::move(doc);
    f.check = [member, check, name](const Config& c, const std::string& source, const std::string& path) {
      if (!check) return;
      std::string problem = check(c.*member);
      if (!problem.empty()) ConfigError(source, path + name, problem + ", got " + Json(c.*member).dump());
    };
    f.read = [member, name, validate = f.check](const Json& value, Config* c, const std::string& source,
                                                const std::string& path) {
      c->*member = internal::ReadValue<T>(value, source, path + name);
      validate(*c, source, path);
    };
    f.write = [member](const Config& c) { return Json(c.*member); };
    fields_.push_back(std::move(f));
    return *this;
  }

  // A list of nested structs, each read by `item` (which must outlive this list).
  template <typename Item>
  Fields& AddList(std::string name, std::vector<Item> Config::*member, const Fields<Item>* item,
                  std::string doc) {
    Field f;
    f.name = name;
    f.type = "list";
    f.doc = std::move(doc);
    f.describe_nested = [item] { return item->Describe(); };
    f.read = [member, item, name](const Json& value, Config* c, const std::string& source,
                                  const std::string& path) {
      if (!value.is_array()) ConfigError(source, path + name, "expected an array, got " + JsonTypeName(value));
      (c->*member).clear();
      for (size_t i = 0; i < value.size(); ++i) {
        (c->*member).push_back(item->Read(value[i], source, path + name + "[" + std::to_string(i) + "]."));
      }
    };
    f.check = [member, item, name](const Config& c, const std::string& source, const std::string& path) {
      for (size_t i = 0; i < (c.*member).size(); ++i)
        item->Validate((c.*member)[i], source, path + name + "[" + std::to_string(i) + "].");
    };
    f.write = [member, item](const Config& c) {
      Json out = Json::array();
      for (const auto& x : c.*member) out.push_back(item->ToJson(x));
      return out;
    };
    fields_.push_back(std::move(f));
    return *this;
  }

  // A nested struct read by `sub` (which must outlive this list); absent keys keep their defaults.
  template <typename Sub>
  Fields& AddStruct(std::string name, Sub Config::*member, const Fields<Sub>* sub, std::string doc) {
    Field f;
    f.name = name;
    f.type = "object";
    f.doc = std::move(doc);
    f.describe_nested = [sub] { return sub->Describe(); };
    f.read = [member, sub, name](const Json& value, Config* c, const std::string& source,
                                 const std::string& path) {
      sub->ReadInto(value, &(c->*member), source, path + name + ".");
    };
    f.check = [member, sub, name](const Config& c, const std::string& source, const std::string& path) {
      sub->Validate(c.*member, source, path + name + ".");
    };
    f.write = [member, sub](const Config& c) { return sub->ToJson(c.*member); };
    fields_.push_back(std::move(f));
    return *this;
  }

  // A rule over the whole config, checked after every field has been read.
  Fields& Rule(std::function<RuleFailure(const Config&)> rule) {
    rules_.push_back(std::move(rule));
    return *this;
  }

  // Reads `j` over a default-constructed Config, then validates it.
  Config Read(const Json& j, const std::string& source, const std::string& path = "") const {
    Config c{};
    ReadInto(j, &c, source, path);
    return c;
  }

  // Reads `j` over the values already in *c (absent keys keep them), then checks the rules.
  void ReadInto(const Json& j, Config* c, const std::string& source, const std::string& path = "") const {
    RejectUnknownKeys(j, Names(), source, path.empty() ? "" : path);
    for (const auto& f : fields_) {
      auto it = j.find(f.name);
      if (it != j.end()) {
        f.read(*it, c, source, path);
      } else {
        f.check(*c, source, path);  // a default (or earlier value) must pass the validator too
      }
    }
    CheckRules(*c, source, path);
  }

  // For foreign formats that carry many other keys (a Hugging Face config.json): reads the declared
  // fields present and not null (each type-checked and validated), ignores every other key. The rules
  // are left to the caller's Validate, after it has applied the format's own defaults.
  void ReadKnown(const Json& j, Config* c, const std::string& source) const {
    if (!j.is_object()) ConfigError(source, "(top level)", "expected an object");
    for (const auto& f : fields_) {
      auto it = j.find(f.name);
      if (it != j.end() && !it->is_null()) f.read(*it, c, source, "");
    }
  }

  // Every field's validator and every rule, for configs built in code rather than read.
  void Validate(const Config& c, const std::string& source, const std::string& path = "") const {
    for (const auto& f : fields_) f.check(c, source, path);
    CheckRules(c, source, path);
  }

  Json ToJson(const Config& c) const {
    Json out = Json::object();
    for (const auto& f : fields_) out[f.name] = f.write(c);
    return out;
  }

  // [{name, type, default, doc}] in declaration order (nested lists and structs carry their fields).
  Json Describe() const {
    const Config defaults{};
    Json out = Json::array();
    for (const auto& f : fields_) {
      Json row = {{"name", f.name}, {"type", f.type}, {"default", f.write(defaults)}, {"doc", f.doc}};
      if (f.describe_nested) row["fields"] = f.describe_nested();
      out.push_back(row);
    }
    return out;
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& f : fields_) names.push_back(f.name);
    return names;
  }

 private:
  void CheckRules(const Config& c, const std::string& source, const std::string& path) const {
    for (const auto& rule : rules_) {
      RuleFailure failure = rule(c);
      if (!failure.message.empty()) ConfigError(source, path + failure.field, failure.message);
    }
  }

  struct Field {
    std::string name, type, doc;
    std::function<Json()> describe_nested;  // the item's / struct's own fields
    std::function<void(const Json&, Config*, const std::string&, const std::string&)> read;
    std::function<void(const Config&, const std::string&, const std::string&)> check;
    std::function<Json(const Config&)> write;
  };
  std::vector<Field> fields_;
  std::vector<std::function<RuleFailure(const Config&)>> rules_;
};

// "| name | value |" table of a config's JSON (llm.c style), printed when a trainer starts.
std::string FormatConfigTable(const Json& config_json, const std::string& title);

}  // namespace util
