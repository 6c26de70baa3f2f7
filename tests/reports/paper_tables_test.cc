// The built-in paper tables: every number carries its provenance, spot values match
// method_anchors.md, malformed files are rejected, and ordering checks judge agreement correctly.
#include <gtest/gtest.h>

#include <set>

#include "harness/util/error.h"
#include "reports/paper_tables.h"

namespace {

using reports::PaperTable;

const reports::PaperEntry* Find(const std::vector<PaperTable>& tables, const std::string& id,
                                const std::string& base, const std::string& method, const std::string& task,
                                const std::string& setting) {
  for (const auto& t : tables) {
    if (t.id != id) continue;
    for (const auto& e : t.entries) {
      if (e.base_model == base && e.method == method && e.task == task && e.setting == setting) return &e;
    }
  }
  return nullptr;
}

TEST(PaperTables, EveryNumberHasProvenance) {
  const auto tables = reports::BuiltinPaperTables();
  std::set<std::string> ids;
  size_t entries = 0;
  for (const auto& t : tables) {
    ids.insert(t.id);
    for (const auto& e : t.entries) {
      ++entries;
      EXPECT_FALSE(e.source.empty()) << t.file;
      EXPECT_FALSE(e.table.empty()) << t.file;
      EXPECT_FALSE(e.paper_version.empty()) << t.file;
      EXPECT_FALSE(e.arxiv.empty()) << t.file;
      EXPECT_FALSE(e.scale.empty()) << t.file;
      EXPECT_GE(e.value, 0.0);
      EXPECT_LE(e.value, 100.0);
    }
  }
  EXPECT_EQ(ids, (std::set<std::string>{"openchat", "reft-table2-acl", "reft-table2-v1", "reft-table4", "reft-table5",
                                        "start-table1-v1", "wsrl"}));
  EXPECT_GT(entries, 150u);
}

struct Spot {
  const char* id;
  const char* base;
  const char* method;
  const char* task;
  const char* setting;
  double value;
  const char* version;
};

TEST(PaperTables, SpotValuesMatchTheAnchors) {
  const auto tables = reports::BuiltinPaperTables();
  const Spot spots[] = {
      {"reft-table2-v1", "CodeLLAMA", "ReFT", "GSM8K", "P-CoT", 72.8, "arXiv v1"},
      {"reft-table2-v1", "Galactica", "Offline-ST", "SVAMP", "N-CoT", 56.5, "arXiv v1"},
      {"reft-table2-acl", "CodeLLAMA", "ReFT", "GSM8K", "P-CoT", 75.28, "ACL 2024 camera-ready"},
      {"reft-table4", "CodeLLAMA", "ReFT", "GSM8K", "P-CoT, Voting@100", 75.0, "arXiv v1"},
      {"reft-table5", "Galactica", "SFT", "GSM8K", "P-CoT", 23.7, "arXiv v1"},
      {"start-table1-v1", "QwQ-32B-Preview + Hint-RFT/RFT", "START", "AIME24", "pass@1", 66.7, "arXiv v1"},
      {"start-table1-v1", "QwQ-32B-Preview (no fine-tuning)", "QwQ-32B-Preview", "LiveCodeBench", "pass@1", 41.4,
       "arXiv v1"},
      {"openchat", "llama-2-13b", "openchat-13b (C-RLFT)", "AGIEval avg", "", 36.4, "arXiv v1 (ICLR 2024)"},
  };
  for (const auto& s : spots) {
    const auto* e = Find(tables, s.id, s.base, s.method, s.task, s.setting);
    ASSERT_NE(e, nullptr) << s.id << " " << s.method << " " << s.task << " " << s.setting;
    EXPECT_DOUBLE_EQ(e->value, s.value) << s.id;
    EXPECT_EQ(e->paper_version, s.version);
  }
}

TEST(PaperTables, MalformedFilesNameTheField) {
  nlohmann::json doc = {{"id", "x"},       {"paper", "p"},  {"arxiv", "1"}, {"paper_version", "v1"},
                        {"table", "T1"},   {"metric", "m"}, {"scale", "7B"}, {"source", "s"},
                        {"entries", {{{"method", "SFT"}, {"task", "GSM8K"}, {"value", "41"}}}}};
  try {
    reports::ParsePaperTable(doc, "x.json");
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "entries[0].value");
  }
  doc.erase("arxiv");
  EXPECT_THROW(reports::ParsePaperTable(doc, "x.json"), util::InputError);
}

reports::MeasuredTable Measured(double reft, double sft) {
  reports::MeasuredTable m;
  m[{"gsm8k", "reft", "accuracy"}] = {reft, 1, "accuracy", {"nano"}};
  m[{"gsm8k", "sft", "accuracy"}] = {sft, 1, "accuracy", {"nano"}};
  return m;
}

TEST(PaperTables, OrderingChecks) {
  PaperTable t = reports::ParsePaperTable(
      {{"id", "t"}, {"paper", "ReFT"}, {"arxiv", "2401.08967"}, {"paper_version", "v1"}, {"table", "Table 2"},
       {"metric", "acc"}, {"scale", "7B"}, {"source", "anchors"},
       {"entries",
        {{{"method", "SFT"}, {"harness_method", "sft"}, {"task", "GSM8K"}, {"harness_task", "gsm8k"},
          {"setting", "N"}, {"value", 41.0}},
         {{"method", "ReFT"}, {"harness_method", "reft"}, {"task", "GSM8K"}, {"harness_task", "gsm8k"},
          {"setting", "N"}, {"value", 46.8}},
         {{"method", "SFT"}, {"harness_method", "sft"}, {"task", "SVAMP"}, {"harness_task", "svamp"},
          {"setting", "N"}, {"value", 53.8}},
         {{"method", "ReFT"}, {"harness_method", "reft"}, {"task", "SVAMP"}, {"harness_task", "svamp"},
          {"setting", "N"}, {"value", 62.3}}}}},
      "t.json");
  struct Case {
    double reft, sft;
    reports::OrderingStatus gsm8k;
  } cases[] = {{0.6, 0.5, reports::OrderingStatus::kAgrees},
               {0.4, 0.5, reports::OrderingStatus::kDisagrees},
               {0.5, 0.5, reports::OrderingStatus::kTied}};
  for (const auto& c : cases) {
    auto checks = reports::CheckOrderings({t}, Measured(c.reft, c.sft));
    ASSERT_EQ(checks.size(), 2u);
    for (const auto& check : checks) {
      EXPECT_EQ(check.better, "reft");
      EXPECT_EQ(check.worse, "sft");
      EXPECT_EQ(check.paper_settings, 1);
      if (check.task == "gsm8k") {
        EXPECT_EQ(check.status, c.gsm8k);
        EXPECT_NE(check.paper_evidence.find("46.8 vs 41"), std::string::npos) << check.paper_evidence;
      } else {
        EXPECT_EQ(check.status, reports::OrderingStatus::kNotRun);  // svamp was not run
      }
    }
  }
}

}  // namespace
