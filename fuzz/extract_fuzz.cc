// Extraction presets and equivalence on arbitrary completion bytes, for one record of every answer
// kind (and GPQA's own presets): nothing may throw or crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tasks/extract/extract.h"

namespace {

std::vector<tasks::Record> Records() {
  std::vector<tasks::Record> records;
  auto add = [&](const char* task, tasks::AnswerKind kind, const char* gold, std::vector<std::string> choices) {
    tasks::Record r;
    r.task = task;
    r.kind = kind;
    r.gold = gold;
    r.choices = std::move(choices);
    records.push_back(r);
  };
  add("gsm8k", tasks::AnswerKind::kNumeric, "1450000", {});
  add("mathqa", tasks::AnswerKind::kChoice, "C", {"38", "27.675", "30", "none", "12 m"});
  add("gpqa", tasks::AnswerKind::kChoice, "B", {"alpha", "beta", "gamma", "delta"});
  add("agieval", tasks::AnswerKind::kChoiceSet, "AD", {"one", "two", "three", "four"});
  add("aime", tasks::AnswerKind::kInteger, "25", {});
  add("agieval", tasks::AnswerKind::kCloze, "\\frac{1}{2}", {});
  add("livecodebench", tasks::AnswerKind::kCode, "", {});
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<tasks::Record> records = Records();
  const std::string completion(reinterpret_cast<const char*>(data), size);
  for (const auto& record : records) {
    for (const auto& preset : tasks::extract::PresetsFor(record)) {
      const tasks::ExtractedAnswer answer = tasks::extract::Extract(completion, record, preset);
      tasks::extract::IsEquivalent(answer, record);
      // The completion as a gold answer too: loaders normalise gold text with the same code.
      tasks::Record as_gold = record;
      as_gold.gold = completion;
      tasks::extract::IsEquivalent(answer, as_gold);
    }
  }
  return 0;
}
