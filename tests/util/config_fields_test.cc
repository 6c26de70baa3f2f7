// util::Fields: one declaration gives parsing (unknown keys with "did you mean", types, validators,
// rules), ToJson and Describe.
#include <gtest/gtest.h>

#include <fstream>

#include "harness/util/config_fields.h"
#include "harness/util/json_locate.h"

namespace {

struct Inner {
  int k = 4;
  double temperature = 0.7;
};

struct Outer {
  std::string name = "x";
  std::vector<uint64_t> seeds = {1};
  bool flag = false;
  std::vector<Inner> items;
  Inner inner;
};

const util::Fields<Inner>& InnerFields() {
  static const auto* f = [] {
    auto* f = new util::Fields<Inner>();
    f->Add("k", &Inner::k, "samples", util::AtLeast(0)).Add("temperature", &Inner::temperature, "T", util::InRange(0.0, 2.0));
    f->Rule([](const Inner& i) {
      return i.k > 1 && i.temperature == 0 ? util::RuleFailure{"temperature", "k > 1 needs T > 0"} : util::Ok();
    });
    return f;
  }();
  return *f;
}

const util::Fields<Outer>& OuterFields() {
  static const auto* f = [] {
    auto* f = new util::Fields<Outer>();
    f->Add("name", &Outer::name, "a name", util::OneOf({"x", "y"}))
        .Add("seeds", &Outer::seeds, "seeds")
        .Add("flag", &Outer::flag, "a flag")
        .AddList("items", &Outer::items, &InnerFields(), "items")
        .AddStruct("inner", &Outer::inner, &InnerFields(), "inner");
    return f;
  }();
  return *f;
}

TEST(ConfigFields, ReadsOverDefaultsAndWritesBack) {
  Outer o = OuterFields().Read({{"name", "y"}, {"items", {{{"k", 2}}}}, {"inner", {{"temperature", 1.5}}}}, "c.json");
  EXPECT_EQ(o.name, "y");
  ASSERT_EQ(o.items.size(), 1u);
  EXPECT_EQ(o.items[0].k, 2);
  EXPECT_DOUBLE_EQ(o.items[0].temperature, 0.7);
  EXPECT_EQ(o.inner.k, 4);
  EXPECT_DOUBLE_EQ(o.inner.temperature, 1.5);
  const util::Json j = OuterFields().ToJson(o);
  EXPECT_EQ(j, util::Json::parse(R"({"name":"y","seeds":[1],"flag":false,"items":[{"k":2,"temperature":0.7}],
                                     "inner":{"k":4,"temperature":1.5}})"));
  // The round trip is exact.
  EXPECT_EQ(OuterFields().ToJson(OuterFields().Read(j, "c.json")), j);
}

TEST(ConfigFields, EveryErrorNamesFileAndDottedField) {
  struct Case {
    util::Json j;
    std::string field;
    std::string says;
  } cases[] = {
      {{{"nme", "x"}}, "nme", "did you mean 'name'"},
      {{{"name", "z"}}, "name", "must be one of x, y"},
      {{{"name", 3}}, "name", "expected a string"},
      {{{"seeds", {-1}}}, "seeds[0]", "non-negative"},
      {{{"seeds", "1"}}, "seeds", "expected an array"},
      {{{"flag", 1}}, "flag", "true/false"},
      {{{"items", {{{"k", -1}}}}}, "items[0].k", "must be >= 0"},
      {{{"items", {{{"kk", 1}}}}}, "items[0].kk", "did you mean 'k'"},
      {{{"inner", {{"k", 3}, {"temperature", 0.0}}}}, "inner.temperature", "k > 1 needs T > 0"},
      {{{"inner", {{"temperature", 3.0}}}}, "inner.temperature", "must be in [0.0, 2.0]"},
      {{{"inner", {{"k", 1.5}}}}, "inner.k", "expected an integer"},
  };
  for (const auto& c : cases) {
    try {
      OuterFields().Read(c.j, "c.json");
      ADD_FAILURE() << c.j;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().file, "c.json") << c.j;
      EXPECT_EQ(e.where().field, c.field) << c.j;
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigFields, DescribeListsTypesDefaultsDocsAndNestedFields) {
  const util::Json d = OuterFields().Describe();
  ASSERT_EQ(d.size(), 5u);
  EXPECT_EQ(d[0], util::Json({{"name", "name"}, {"type", "string"}, {"default", "x"}, {"doc", "a name"}}));
  EXPECT_EQ(d[1]["type"], "list of int");
  EXPECT_EQ(d[4]["fields"][1]["default"], 0.7);
  // Validate checks configs built in code with the same validators.
  Outer o;
  o.inner.k = -2;
  EXPECT_THROW(OuterFields().Validate(o, "code"), util::InputError);
}

}  // namespace

namespace {

TEST(JsonLocate, NamesTheLineOfDottedPaths) {
  const std::string text =
      "{\n"
      "  \"name\": \"x\",\n"
      "  \"tasks\": [\n"
      "    {\"task\": \"gsm8k\",\n"
      "     \"template\": \"qa-v2\"},\n"
      "    {\"task\": \"svamp\"}\n"
      "  ],\n"
      "  \"training\": {\"lr\": -1, \"esc\": \"a\\\"b\"},\n"
      "  \"seeds\": [1,\n"
      "            -2]\n"
      "}\n";
  struct Case {
    const char* path;
    long line;
  } cases[] = {{"name", 2},           {"tasks", 3},        {"tasks[0].task", 4}, {"tasks[0].template", 5},
               {"tasks[1].task", 6},  {"training.lr", 8},  {"training.esc", 8},  {"seeds[1]", 10},
               {"training.nope", 8},  {"tasks[1].x", 6},   {"absent", 0},        {"", 0}};
  for (const auto& c : cases) EXPECT_EQ(util::LineOfJsonPath(text, c.path), c.line) << c.path;
  EXPECT_EQ(util::LineOfJsonPath("not json", "a"), 0);
  EXPECT_EQ(util::LineOfJsonPath("{\"a\": [", "a[0]"), 1);  // truncated text: no crash
}

TEST(JsonLocate, ConfigErrorsFromFilesCarryTheLine) {
  const std::string path = ::testing::TempDir() + "/locate_config.json";
  {
    std::ofstream out(path);
    out << "{\n  \"name\": \"x\",\n  \"inner\": {\n    \"k\": -1\n  }\n}\n";
  }
  try {
    OuterFields().Read(util::ReadJsonFile(path), path);
    ADD_FAILURE() << "k = -1 accepted";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().line, 4);
    EXPECT_EQ(e.where().field, "inner.k");
    EXPECT_NE(std::string(e.what()).find(path + ":4: field 'inner.k'"), std::string::npos) << e.what();
  }
}

}  // namespace
